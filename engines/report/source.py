"""What a report counts: the records of a form (`"source": "order"`) or the rows of one of its sub-tables
(`"source": "order.lines"`). A row reads its own fields by key (`product`, `qty`, `product.category`) and its
parent record through a relation named after the parent form (`order.paid_at`, `order.leader`): in SQL that
relation is the row's `parent_id`, so the usual joins reach the parent once, by primary key.

A row is visible when its parent record is; its hidden fields are those the parent form's permissions hide
under `lines.`. Drill-downs list the parent records: those having a row that meets the row's conditions.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from types import SimpleNamespace
from typing import Any, Mapping

from engines.expr import Scope, compile_expression
from engines.expr.ast import Call, Name, walk
from engines.form.fields.relation import RelationDef
from engines.problems import Problem

PARENT_COLUMN = "parent_id"


@dataclass(frozen=True)
class RowSource:
    """The rows of sub-table `field` of form `parent`; `form` is their key in scopes ("order.lines")."""
    parent: str
    field: str

    @property
    def form(self) -> str:
        return f"{self.parent}.{self.field}"

    @property
    def link(self) -> str:
        """The name a row uses for its parent record: the parent form's key."""
        return self.parent


def row_source(source: str) -> RowSource | None:
    """The sub-table a source names, None for a plain form."""
    parent, dot, field = source.partition(".")
    return RowSource(parent, field) if dot else None


class RowsForm:
    """The sub-table's rows as a form of their own: its fields, plus the parent record as a relation."""

    def __init__(self, subtable, rows: RowSource, label: str | None):
        self.key = rows.form
        self.definition = subtable
        self.parent_field = RelationDef(key=rows.link, type="relation", target=rows.parent, label=label)
        self.fields = [*subtable.fields, self.parent_field]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.definition, name)


def source_scope(forms: Mapping[str, Any], source: str) -> Scope:
    """The expression scope of a report's source: a form, or a sub-table's rows with their parent."""
    scope = Scope(forms, source)
    rows = row_source(source)
    if rows is not None and rows.form in scope.forms and not isinstance(scope.forms[rows.form], RowsForm):
        label = getattr(scope.forms[rows.parent], "name", None)
        scope.forms[rows.form] = RowsForm(scope.forms[rows.form], rows, label)
    return scope


def source_problems(source: str, forms: Mapping[str, Any]) -> list[Problem]:
    """A source must be a form, or a sub-table of one whose fields leave the parent's name free."""
    rows = row_source(source)
    if rows is None:
        return [] if source in forms else [Problem("/source", "unknown_form", {"key": source})]
    if rows.parent not in forms:
        return [Problem("/source", "unknown_form", {"key": rows.parent})]
    subtable = next((f for f in forms[rows.parent].fields if f.key == rows.field), None)
    if subtable is None or subtable.type != "subtable":
        return [Problem("/source", "report_not_subtable", {"key": source})]
    if any(f.key == rows.link for f in subtable.fields):
        return [Problem("/source", "report_parent_name_taken", {"key": rows.link, "source": source})]
    return []


class RowsCatalog:
    """A compile catalog over a sub-table's rows: the parent relation is the `parent_id` column."""

    def __init__(self, catalog, rows: RowSource):
        self.catalog, self.rows_source = catalog, rows
        self.forms = catalog.forms
        self.users = catalog.users

    def column_name(self, form: str, field: str) -> str:
        if form == self.rows_source.form and field == self.rows_source.link:
            return PARENT_COLUMN
        return self.catalog.column_name(form, field)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.catalog, name)


def without_parent_step(compiled, rows: RowSource):
    """The names of a compiled expression, for permission checks, starting at the parent record where they
    reach it through the row (`order.paid_at` → the order's `paid_at`): to permissions the parent is not a linked record but the
    row's own owner, so its row scope is the report's and only its hidden fields matter."""
    names = []
    for node in walk(compiled.node):
        if not isinstance(node, Name):
            continue
        steps = list(getattr(node, "steps", None) or [])
        if steps and steps[0].form == rows.form and steps[0].field == rows.link:
            steps = steps[1:] or [replace(steps[0], kind="system", form=rows.parent, field="id")]
        name = copy.copy(node)
        name.steps = steps
        names.append(name)
    return SimpleNamespace(node=Call(0, 0, name="", args=names))


# ---- drill-down: conditions on rows → conditions on their parent records ----------------------------------
def parent_condition(texts: list[str], forms: Mapping[str, Any], rows: RowSource, memo: dict | None = None) -> str:
    """The conditions selecting some rows, as one condition on the parent form: the parent's own conditions as
    they are, the ones reading the row together in `SUM(IF(…, 1, 0)) > 0` — a parent with one row meeting all
    of them. `memo` keeps rewritten texts between the rows of one result (the filters are the same in each)."""
    memo = {} if memo is None else memo
    own, of_rows = [], []
    for text in texts:
        if text not in memo:
            if None not in memo:  # the scope under None: no text is None
                memo[None] = source_scope(forms, rows.form)
            memo[text] = _to_parent(text, memo[None], rows)
        rewritten, reads_row = memo[text]
        (of_rows if reads_row else own).append(f"({rewritten})")
    if of_rows:
        own.append(f"SUM(IF({' AND '.join(of_rows)}, 1, 0)) > 0")
    return " AND ".join(own)


def _to_parent(text: str, scope: Scope, rows: RowSource) -> tuple[str, bool]:
    node = compile_expression(text, scope, expect="bool").node
    names = sorted((n for n in walk(node) if isinstance(n, Name)), key=lambda n: n.start)
    out, at, reads_row = [], 0, False
    for n in names:
        if n.path[0] == rows.link:
            name = ".".join(n.path[1:]) or "id"
        else:
            name, reads_row = ".".join((rows.field, *n.path)), True
        out += [text[at:n.start], name]
        at = n.end
    out.append(text[at:])
    return "".join(out), reads_row
