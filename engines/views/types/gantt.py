"""A gantt chart (timeline): a bar per record from a start date to an end date, in lanes by a field."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem
from engines.views.definition import ViewBase
from engines.views.types.base import ViewType


class GanttViewDef(ViewBase):
    type: Literal["gantt"]
    start: str = Field(pattern=KEY_PATTERN, description="a date or date-time field: where the bar begins")
    end: str = Field(pattern=KEY_PATTERN, description="a date or date-time field: where the bar ends")
    label: str | None = Field(default=None, pattern=KEY_PATTERN, description="text on the bar; default the title field")
    group: str | None = Field(default=None, pattern=KEY_PATTERN, description="bars in lanes by this field's value")


class GanttView(ViewType):
    key = "gantt"
    model = GanttViewDef
    label = ("甘特图", "Gantt")

    def problems(self, view: GanttViewDef, check) -> list:
        check.field_of(view.start, "/start", "date")
        check.field_of(view.end, "/end", "date")
        if view.label:
            check.value_field(view.label, "/label")
        if view.group:
            check.field_of(view.group, "/group", "groupable")
        # a bar needs two ends: one field for both draws every record as a point
        return [Problem("/end", "view_same_field", {"key": view.end})] if view.start == view.end else []
