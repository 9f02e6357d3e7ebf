"""A kanban board: one column per option of a single-choice field; dragging a card changes that field."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from engines.form.fields.base import KEY_PATTERN
from engines.views.definition import ViewBase
from engines.views.types.base import ViewType


class KanbanViewDef(ViewBase):
    type: Literal["kanban"]
    group_by: str = Field(pattern=KEY_PATTERN, description="a single-choice (select) field: one column per option")
    card_fields: list[str] = Field(default_factory=list, max_length=10, description="fields shown on each card")


class KanbanView(ViewType):
    key = "kanban"
    model = KanbanViewDef
    label = ("看板", "Kanban")

    def problems(self, view: KanbanViewDef, check) -> list:
        check.field_of(view.group_by, "/group_by", "choice")
        check.columns(view.card_fields, "/card_fields")
        return []
