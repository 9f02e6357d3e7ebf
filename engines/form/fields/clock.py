"""Times of day (09:05:00) and durations (seconds), with the spellings spreadsheets and people use."""
from __future__ import annotations

import re
from datetime import datetime, time, timedelta

from pydantic import Field, field_validator

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.problems import Problem

_CLOCK = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")
_DAY = 86_400
MAX_DURATION = 2**31 - 1  # an integer column is 32 bits on PostgreSQL: about 68 years
_UNITS = {
    "d": 86_400, "day": 86_400, "days": 86_400, "天": 86_400,
    "h": 3_600, "hr": 3_600, "hrs": 3_600, "hour": 3_600, "hours": 3_600, "小时": 3_600, "时": 3_600, "钟头": 3_600,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60, "分钟": 60, "分": 60,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1, "秒": 1, "秒钟": 1,
}
# longest unit first, so "minutes" is not read as "m" + "inutes"
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(" + "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True)) + r")",
                   re.IGNORECASE)


def clock_text(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def parse_clock(value) -> str:
    """A time of day → "HH:MM:SS". Excel hands over time cells as datetime.time or as a fraction of a day."""
    if isinstance(value, datetime):
        value = value.time()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 0 <= value < 1:  # 0.375 is 09:00; the importer turns 0.0 into 0
            seconds = round(value * _DAY)
            if seconds < _DAY:
                return clock_text(seconds)
        raise FieldError("not_time", value=value)
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if not match:
        raise FieldError("not_time", value=value)
    hours, minutes, seconds = (int(part or 0) for part in match.groups())
    if hours > 23 or minutes > 59 or seconds > 59:
        raise FieldError("not_time", value=value)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


class TimeDef(FieldBase):
    min: str | None = Field(default=None, pattern=r"^\d{1,2}:\d{2}(:\d{2})?$", description="earliest time, HH:MM[:SS]")
    max: str | None = Field(default=None, pattern=r"^\d{1,2}:\d{2}(:\d{2})?$", description="latest time, HH:MM[:SS]")
    seconds: bool = Field(default=False, description="the widget asks for seconds too")

    @field_validator("min", "max")
    @classmethod
    def _normal(cls, limit):
        try:
            return None if limit is None else parse_clock(limit)
        except FieldError:
            raise ValueError("not a time of day (HH:MM or HH:MM:SS)") from None


class Time(FieldType):
    expr_kind = "text"  # "HH:MM:SS" text orders as the times do
    key = "time"
    icon = "ClockCircleOutlined"
    label = ("时间", "Time")
    storage = "text"
    props = TimeDef
    widget = "time"

    def coerce(self, f, value, ctx):
        text = parse_clock(value)
        if f.min and text < f.min:
            raise FieldError("too_small", limit=f.min)
        if f.max and text > f.max:
            raise FieldError("too_large", limit=f.max)
        return text

    def check_def(self, f):
        if f.min and f.max and f.min > f.max:
            return [Problem("/max", "bad_range", {"min": f.min, "max": f.max})]
        return []


def parse_duration(value) -> int:
    """Seconds from 90, "90", "1:30" (1 h 30 min), "1:30:15", "1h30m", "1小时30分", "2天", or an Excel time."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, time):  # a cell formatted h:mm
        seconds = value.hour * 3600 + value.minute * 60 + value.second
    elif isinstance(value, bool):
        raise FieldError("bad_duration", value=value)
    elif isinstance(value, int):
        seconds = value
    elif isinstance(value, float) and value.is_integer():
        seconds = int(value)
    elif isinstance(value, str):
        seconds = _duration_text(value.strip().replace(" ", ""), value)
    else:
        raise FieldError("bad_duration", value=value)
    if seconds < 0:
        raise FieldError("too_small", limit=0)
    if seconds > MAX_DURATION:
        raise FieldError("too_large", limit=MAX_DURATION)
    return int(round(seconds))


def _duration_text(text: str, original) -> float:
    if text.isascii() and text.isdigit():
        return int(text)
    clock = re.fullmatch(r"(\d+)[:：](\d{1,2})(?:[:：](\d{1,2}))?", text)
    if clock:
        hours, minutes, seconds = (int(part or 0) for part in clock.groups())
        if minutes > 59 or seconds > 59:
            raise FieldError("bad_duration", value=original)
        return hours * 3600 + minutes * 60 + seconds
    total, at = 0.0, 0
    for part in _PART.finditer(text):
        if part.start() != at:
            break
        total += float(part.group(1)) * _UNITS[part.group(2).lower()]
        at = part.end()
    if at == 0 or at != len(text):
        raise FieldError("bad_duration", value=original)
    return total


class DurationDef(FieldBase):
    min: int | None = Field(default=None, ge=0, description="shortest, in seconds")
    max: int | None = Field(default=None, ge=0, le=MAX_DURATION, description="longest, in seconds")


class Duration(FieldType):
    expr_kind = "number"
    key = "duration"
    icon = "HourglassOutlined"
    label = ("时长", "Duration")
    storage = "integer"
    props = DurationDef
    widget = "duration"

    def coerce(self, f, value, ctx):
        seconds = parse_duration(value)
        if f.min is not None and seconds < f.min:
            raise FieldError("too_small", limit=f.min)
        if f.max is not None and seconds > f.max:
            raise FieldError("too_large", limit=f.max)
        return seconds

    def to_cell(self, f, dumped):
        return None if dumped is None else clock_text(dumped)  # 5400 → "01:30:00", which coerce reads back

    def check_def(self, f):
        if f.min is not None and f.max is not None and f.min > f.max:
            return [Problem("/max", "bad_range", {"min": f.min, "max": f.max})]
        return []
