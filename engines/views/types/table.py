"""A table: chosen columns, grouped by a field, rows and cells coloured by rules."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from engines.form.fields.base import KEY_PATTERN
from engines.views.definition import ViewBase
from engines.views.types.base import ViewType


class TableViewDef(ViewBase):
    type: Literal["table"]
    columns: list[str] = Field(default_factory=list, max_length=100,
                               description="field keys in order; empty: every field")
    group_by: str | None = Field(default=None, pattern=KEY_PATTERN, description="rows grouped by this field's value")


class TableView(ViewType):
    key = "table"
    model = TableViewDef
    label = ("表格", "Table")

    def problems(self, view: TableViewDef, check) -> list:
        check.columns(view.columns, "/columns")
        if view.group_by:
            check.field_of(view.group_by, "/group_by", "groupable")
        return []
