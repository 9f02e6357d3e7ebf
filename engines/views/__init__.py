"""Views of a form's records (table, kanban, calendar, gallery, gantt, tree): definitions, a registry of view
types, and their checks at publish. The runtime lists, saves and renders them (runtime/views.py, frontend)."""
from __future__ import annotations

from typing import Annotated, Any, Union

from pydantic import Field, TypeAdapter, ValidationError

from engines._registry import Registry
from engines.problems import Problem, ProblemsError, schema_location, schema_problem
from engines.views.definition import ColorRuleDef, SortDef, ViewBase
from engines.views.types.base import ViewType
from engines.views.types.calendar import CalendarView
from engines.views.types.gallery import GalleryView
from engines.views.types.gantt import GanttView
from engines.views.types.kanban import KanbanView
from engines.views.types.table import TableView
from engines.views.types.tree import TreeView
from engines.views.validate import ViewCheck, view_problems as _view_problems

VIEW_TYPES: Registry[ViewType] = Registry("view type")
for _type in (TableView(), KanbanView(), CalendarView(), GalleryView(), GanttView(), TreeView()):
    VIEW_TYPES.register(_type)

ViewDef = Annotated[Union[tuple(t.model for t in VIEW_TYPES)], Field(discriminator="type")]  # type: ignore[misc]
_adapter: TypeAdapter = TypeAdapter(ViewDef)


def view_problems(views: list[ViewBase], forms) -> list[Problem]:
    return _view_problems(views, forms, VIEW_TYPES)


def problem_from_pydantic(err: dict) -> Problem:
    """A pydantic error inside a view, with the type tag taken out of its location (…/0/kanban/group_by)."""
    loc = schema_location(err, lambda loc, i: loc[i] in VIEW_TYPES and (i == 0 or isinstance(loc[i - 1], int)))
    return schema_problem(err, loc, "type", "unknown_view_type", VIEW_TYPES.keys())


def parse_view(doc: Any, forms) -> ViewBase:
    """One view (a person's saved view): parsed and checked against the forms, or ProblemsError."""
    try:
        view = _adapter.validate_python(doc)
    except ValidationError as e:
        raise ProblemsError([problem_from_pydantic(err) for err in e.errors()]) from None
    problems = ViewCheck(view, forms, VIEW_TYPES).problems()
    if problems:
        raise ProblemsError(problems)
    return view


__all__ = ["VIEW_TYPES", "ViewDef", "ViewBase", "SortDef", "ColorRuleDef", "view_problems", "parse_view",
           "problem_from_pydantic"]
