"""Date buckets: a date or date-time → the text naming its period, the same on SQLite and PostgreSQL.

Labels: day 2026-03-05, week 2026-03-02 (its Monday), month 2026-03, quarter 2026-Q1, year 2026. They sort in
time order as text, and a period index (months since year 0…) is read back from them for cohort ages.
Date-times are cut in the deployment's zone (SqlCompiler.local: PostgreSQL converts with the zone's rules,
DST included; SQLite applies the zone's offset of today, exact for zones without DST such as Asia/Shanghai).
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import Date, DateTime, Integer, Text, cast, func, literal, type_coerce

_PG_FORMATS = {"day": "YYYY-MM-DD", "month": "YYYY-MM", "quarter": 'YYYY-"Q"Q', "year": "YYYY"}
_SQLITE_FORMATS = {"day": "%Y-%m-%d", "month": "%Y-%m", "year": "%Y"}
EPOCH_MONDAY = "2000-01-03"


def label(c, column, kind: str, bucket: str):
    """The period's label text of a stored date ("date") or date-time ("datetime")."""
    value = c.local(column) if kind == "datetime" else column
    if c.sqlite:
        if bucket == "week":
            result = func.date(value, "weekday 0", "-6 days")
        elif bucket == "quarter":
            result = func.printf("%s-Q%d", func.strftime("%Y", value),
                                 (cast(func.strftime("%m", value), Integer) + 2) / 3)
        else:
            result = func.strftime(_SQLITE_FORMATS[bucket], value)
        return type_coerce(result, Text())
    value = cast(value, DateTime) if kind == "date" else value
    if bucket == "week":
        return func.to_char(func.date_trunc("week", value), "YYYY-MM-DD", type_=Text())
    return func.to_char(value, _PG_FORMATS[bucket], type_=Text())


def index(c, text, bucket: str):
    """A label as a whole number counting periods, so that periods between two labels is a subtraction."""
    year = cast(func.substr(text, 1, 4), Integer)
    if bucket == "year":
        return year
    if bucket == "month":
        return year * 12 + cast(func.substr(text, 6, 2), Integer)
    if bucket == "quarter":
        return year * 4 + cast(func.substr(text, 7, 1), Integer)
    if c.sqlite:
        days = cast(func.julianday(text) - func.julianday(EPOCH_MONDAY), Integer)
    else:
        days = cast(text, Date) - literal(date.fromisoformat(EPOCH_MONDAY), Date())
    return days / 7 if bucket == "week" else days


def period(text: str, bucket: str) -> tuple[date, date]:
    """[first day, first day of the next period) of a label."""
    if bucket in ("day", "week"):
        start = date.fromisoformat(text)
        return start, start + timedelta(days=1 if bucket == "day" else 7)
    year = int(text[:4])
    if bucket == "year":
        return date(year, 1, 1), date(year + 1, 1, 1)
    month = int(text[5:7]) if bucket == "month" else (int(text[6]) - 1) * 3 + 1
    span = 1 if bucket == "month" else 3
    after = year * 12 + month - 1 + span
    return date(year, month, 1), date(after // 12, after % 12 + 1, 1)
