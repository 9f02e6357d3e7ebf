"""Dates and date-times. Date-times are stored in UTC and shown in the deployment's time zone."""
from __future__ import annotations

import re
from datetime import date, datetime, timezone

from engines.form.fields.base import FieldBase, FieldError, FieldType

_DATE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
# Spreadsheet spellings: 2024/1/2 10:00, 2024年1月2日 10:00:05
_LOOSE_DATETIME = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?[ T]+(\d{1,2}):(\d{2})(?::(\d{2}))?$")


class DateDef(FieldBase):
    min: date | None = None
    max: date | None = None


class DateTimeDef(FieldBase):
    pass


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    match = _DATE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise FieldError("not_date", value=value)
    try:
        return date(*(int(part) for part in match.groups()))
    except ValueError:
        raise FieldError("not_date", value=value) from None


def _loose_datetime(text: str, original) -> datetime:
    match = _LOOSE_DATETIME.match(text)
    if not match:
        raise FieldError("not_datetime", value=original)
    try:
        return datetime(*(int(part or 0) for part in match.groups()))
    except ValueError:
        raise FieldError("not_datetime", value=original) from None


class Date(FieldType):
    expr_kind = "date"
    key = "date"
    icon = "CalendarOutlined"
    label = ("日期", "Date")
    storage = "date"
    props = DateDef
    widget = "date"

    def coerce(self, f, value, ctx):
        day = parse_date(value)
        if f.min and day < f.min:
            raise FieldError("too_small", limit=f.min.isoformat())
        if f.max and day > f.max:
            raise FieldError("too_large", limit=f.max.isoformat())
        return day

    def dump(self, f, stored, ctx):
        if isinstance(stored, str):  # retyped columns on SQLite may hand back text
            stored = date.fromisoformat(stored[:10])
        return stored.isoformat() if stored else None


class DateTime(FieldType):
    expr_kind = "datetime"
    key = "datetime"
    icon = "ScheduleOutlined"
    label = ("日期时间", "Date and time")
    storage = "datetime"
    props = DateTimeDef
    widget = "datetime"

    def coerce(self, f, value, ctx):
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, str):
            text = value.strip().replace("/", "-")
            if text.endswith("Z"):
                text = text[:-1] + "+00:00"
            try:
                moment = datetime.fromisoformat(text)
            except ValueError:
                moment = _loose_datetime(value.strip(), value)
        else:
            raise FieldError("not_datetime", value=value)
        if moment.tzinfo is None:  # a wall-clock time is read in the deployment's zone
            moment = moment.replace(tzinfo=ctx.tz)
        return moment.astimezone(timezone.utc).replace(tzinfo=None)

    def dump(self, f, stored, ctx):
        if stored is None:
            return None
        if isinstance(stored, str):
            stored = datetime.fromisoformat(stored)
        return stored.replace(tzinfo=timezone.utc).astimezone(ctx.tz).isoformat()
