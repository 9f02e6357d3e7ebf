"""ISO 8601 durations (PT15M, PT2H, P3D, P1W) and adding them to a moment, in calendar time or in working days.

Pure: the moment comes in (aware), the calendar (weekend days, holidays, make-up working days — 调休) too.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone, tzinfo

_DURATION = re.compile(
    r"^P(?!$)(?:(?P<weeks>\d{1,4})W)?(?:(?P<days>\d{1,5})D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d{1,6})H)?(?:(?P<minutes>\d{1,7})M)?(?:(?P<seconds>\d{1,9})S)?)?$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


@dataclass(frozen=True)
class Duration:
    days: int  # whole days (weeks folded in): counted as working days when asked
    rest: timedelta  # the time part, always clock time

    @property
    def total(self) -> timedelta:
        return timedelta(days=self.days) + self.rest


def parse_duration(text: str) -> Duration | None:
    """P3D → Duration(3 days); None when the text is not a duration this engine takes."""
    match = _DURATION.match(text or "")
    if not match:
        return None
    parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
    return Duration(parts["weeks"] * 7 + parts["days"],
                    timedelta(hours=parts["hours"], minutes=parts["minutes"], seconds=parts["seconds"]))


def parse_time(text: str) -> time | None:
    match = _TIME.match(text or "")
    return time(int(match.group(1)), int(match.group(2))) if match else None


@dataclass(frozen=True)
class BusinessCalendar:
    """Which days are working days: Monday–Friday unless told otherwise, minus holidays, plus make-up days."""

    weekend: frozenset[int] = frozenset({5, 6})  # date.weekday(): Saturday, Sunday
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays: frozenset[date] = field(default_factory=frozenset)  # weekend days that are worked (调休)

    def is_working(self, day: date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, day: date, count: int) -> date:
        if count > 0 and not any(self.is_working(day + timedelta(days=i)) for i in range(1, 60)):
            raise ValueError("the calendar has no working day within 60 days")
        while count > 0:
            day += timedelta(days=1)
            if self.is_working(day):
                count -= 1
        return day


def add_duration(at: datetime, duration: Duration, tz: tzinfo = timezone.utc, working_days: bool = False,
                 calendar: BusinessCalendar | None = None) -> datetime:
    """`at` plus the duration. With working_days, the days count working days of the calendar in zone `tz`
    (the wall-clock time is kept: Friday 10:00 + 1 working day is Monday 10:00), then the time part is added."""
    if not working_days or duration.days == 0:
        return at + duration.total
    local = at.astimezone(tz)
    day = (calendar or BusinessCalendar()).add_working_days(local.date(), duration.days)
    moved = datetime.combine(day, local.time().replace(tzinfo=None)).replace(tzinfo=tz)
    return moved.astimezone(at.tzinfo or timezone.utc) + duration.rest
