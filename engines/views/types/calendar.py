"""A calendar: records on the day of a date field (spanning to `end` when given), by month."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from engines.form.fields.base import KEY_PATTERN
from engines.views.definition import ViewBase
from engines.views.types.base import ViewType


class CalendarViewDef(ViewBase):
    type: Literal["calendar"]
    date: str = Field(pattern=KEY_PATTERN, description="a date or date-time field: the day a record is on")
    end: str | None = Field(default=None, pattern=KEY_PATTERN, description="a date or date-time field: the last day")
    title: str | None = Field(default=None, pattern=KEY_PATTERN, description="the field shown; default the title field")


class CalendarView(ViewType):
    key = "calendar"
    model = CalendarViewDef
    label = ("日历", "Calendar")

    def problems(self, view: CalendarViewDef, check) -> list:
        check.field_of(view.date, "/date", "date")
        if view.end:
            check.field_of(view.end, "/end", "date")
        if view.title:
            check.value_field(view.title, "/title")
        return []
