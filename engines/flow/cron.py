"""Five-field cron expressions (minute hour day-of-month month day-of-week): parsing with reasons, and the next
moment after a given one in a zone. Pure — the runtime's scheduler asks `next_time(cron, last, tz)`."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo

_NAMES = {
    3: {n: i for i, n in enumerate(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                     "dec"], start=1)},
    4: {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])},
}
_RANGES = [(0, 59), (0, 23), (1, 31), (1, 12), (0, 7)]
_FIELD_NAMES = ["minute", "hour", "day of month", "month", "day of week"]
_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
           "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


class CronError(ValueError):
    pass


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # 0 = Sunday … 6 = Saturday
    any_day: bool  # day of month was '*'
    any_weekday: bool

    def matches_day(self, moment: datetime) -> bool:
        weekday = (moment.weekday() + 1) % 7
        day_ok, weekday_ok = moment.day in self.days, weekday in self.weekdays
        if self.any_day or self.any_weekday:  # as Vixie cron: when both are restricted, either one matches
            return day_ok and weekday_ok
        return day_ok or weekday_ok


def parse_cron(text: str) -> Cron:
    text = _MACROS.get((text or "").strip().lower(), text or "")
    parts = text.split()
    if len(parts) != 5:
        raise CronError(f"needs 5 fields (minute hour day month weekday), got {len(parts)}")
    sets = [_parse_field(part, i) for i, part in enumerate(parts)]
    weekdays = frozenset(d % 7 for d in sets[4])
    return Cron(sets[0], sets[1], sets[2], sets[3], weekdays, parts[2] == "*", parts[4] == "*")


def _value(text: str, index: int) -> int:
    low, high = _RANGES[index]
    value = _NAMES.get(index, {}).get(text.lower())
    if value is None:
        if not text.isdigit():
            raise CronError(f"{_FIELD_NAMES[index]}: {text!r} is not a number")
        value = int(text)
    if not low <= value <= high:
        raise CronError(f"{_FIELD_NAMES[index]}: {value} is outside {low}-{high}")
    return value


def _parse_field(text: str, index: int) -> frozenset[int]:
    low, high = _RANGES[index]
    values: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = 1
        if step_text:
            if not step_text.isdigit() or int(step_text) == 0:
                raise CronError(f"{_FIELD_NAMES[index]}: step {step_text!r} must be a whole number above 0")
            step = int(step_text)
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            start, end = _value(a, index), _value(b, index)
            if start > end:
                raise CronError(f"{_FIELD_NAMES[index]}: range {base!r} runs backwards")
        else:
            start = _value(base, index)
            end = high if step_text else start
        values.update(range(start, end + 1, step))
    return frozenset(values)


def next_time(cron: Cron | str, after: datetime, tz: tzinfo) -> datetime:
    """The first moment strictly after `after` (aware) that the expression names, read in zone `tz`."""
    spec = parse_cron(cron) if isinstance(cron, str) else cron
    local = after.astimezone(tz).replace(second=0, microsecond=0, tzinfo=None) + timedelta(minutes=1)
    for _ in range(366 * 5):  # days; a Feb-29 schedule fires within four years
        if local.month in spec.months and spec.matches_day(local):
            for hour in sorted(h for h in spec.hours if h >= local.hour):
                start = local.minute if hour == local.hour else 0
                minute = next((m for m in sorted(spec.minutes) if m >= start), None)
                if minute is not None:
                    return local.replace(hour=hour, minute=minute).replace(tzinfo=tz).astimezone(after.tzinfo)
        local = (local + timedelta(days=1)).replace(hour=0, minute=0)
    raise CronError("the expression never fires")
