"""engines/form/fields/dates.py: dates, and date-times stored as naive UTC and shown in the deployment's zone."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from engines.form.fields.base import Context
from fieldcases import SHANGHAI, UTC, Err, check, make, params

CASES = [
    # date: accepted spellings
    ("date", {}, "2024-01-02", date(2024, 1, 2)),
    ("date", {}, "2024/1/2", date(2024, 1, 2)),
    ("date", {}, "2024年1月2日", date(2024, 1, 2)),
    ("date", {}, "2024年01月02", date(2024, 1, 2)),
    ("date", {}, "2024.1.2", date(2024, 1, 2)),
    ("date", {}, " 2024-1-2 ", date(2024, 1, 2)),
    ("date", {}, date(2024, 1, 2), date(2024, 1, 2)),
    ("date", {}, datetime(2024, 1, 2, 23, 30), date(2024, 1, 2)),
    ("date", {}, "2024-02-29", date(2024, 2, 29)),
    # not dates
    ("date", {}, "2023-02-29", Err("not_date", {"value": "2023-02-29"})),
    ("date", {}, "2024-13-01", Err("not_date")),
    ("date", {}, "2024-01-32", Err("not_date")),
    ("date", {}, "02/01/2024", Err("not_date")),
    ("date", {}, "2024-01-02T10:00:00", Err("not_date")),
    ("date", {}, "tomorrow", Err("not_date")),
    ("date", {}, 20240102, Err("not_date", {"value": 20240102})),
    ("date", {}, True, Err("not_date")),
    ("date", {}, {"year": 2024, "month": 1, "day": 2}, Err("not_date")),
    ("date", {}, ["2024-01-02"], Err("not_date")),
    # limits, inclusive
    ("date", {"min": "2024-01-01"}, "2024-01-01", date(2024, 1, 1)),
    ("date", {"min": "2024-01-01"}, "2023-12-31", Err("too_small", {"limit": "2024-01-01"})),
    ("date", {"max": "2024-12-31"}, "2025/1/1", Err("too_large", {"limit": "2024-12-31"})),
    # date-time in UTC (the default context); the Asia/Shanghai cases are in DATETIME_CASES
    ("datetime", {}, "2024-01-02T10:00:00", datetime(2024, 1, 2, 10, 0)),
    ("datetime", {}, "2024-01-02T10:00:00+08:00", datetime(2024, 1, 2, 2, 0)),
    ("datetime", {}, "tomorrow", Err("not_datetime", {"value": "tomorrow"})),
    ("datetime", {}, 1704160800, Err("not_datetime", {"value": 1704160800})),
    ("datetime", {}, True, Err("not_datetime")),
    ("datetime", {}, {"at": "2024-01-02"}, Err("not_datetime")),
    ("datetime", {}, ["2024-01-02T10:00"], Err("not_datetime")),
    ("datetime", {}, "2024-01-02T25:00", Err("not_datetime")),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


# (input, context, stored naive UTC). A wall-clock time is read in the deployment's zone.
DATETIME_CASES = [
    ("2024-01-02 10:00", SHANGHAI, datetime(2024, 1, 2, 2, 0)),
    ("2024-01-02T10:00:00", SHANGHAI, datetime(2024, 1, 2, 2, 0)),
    ("2024/01/02 10:00", SHANGHAI, datetime(2024, 1, 2, 2, 0)),
    ("2024/1/2 10:00", SHANGHAI, datetime(2024, 1, 2, 2, 0)),  # as spreadsheets write it
    ("2024年1月2日 10:00:05", SHANGHAI, datetime(2024, 1, 2, 2, 0, 5)),
    (" 2024-01-02T10:00:30.250 ", SHANGHAI, datetime(2024, 1, 2, 2, 0, 30, 250_000)),
    ("2024-01-02", SHANGHAI, datetime(2024, 1, 1, 16, 0)),  # midnight in Shanghai
    ("2024-01-02T10:00:00Z", SHANGHAI, datetime(2024, 1, 2, 10, 0)),
    ("2024-01-02T10:00:00+00:00", SHANGHAI, datetime(2024, 1, 2, 10, 0)),
    ("2024-01-02T10:00:00-05:00", SHANGHAI, datetime(2024, 1, 2, 15, 0)),
    (datetime(2024, 1, 2, 10, 0), SHANGHAI, datetime(2024, 1, 2, 2, 0)),
    (datetime(2024, 1, 2, 10, 0, tzinfo=timezone.utc), SHANGHAI, datetime(2024, 1, 2, 10, 0)),
    ("2024-01-02 10:00", UTC, datetime(2024, 1, 2, 10, 0)),
    # a zone with daylight saving: summer is UTC-4, winter UTC-5
    ("2024-07-01 12:00", Context(tz=ZoneInfo("America/New_York")), datetime(2024, 7, 1, 16, 0)),
    ("2024-12-01 12:00", Context(tz=ZoneInfo("America/New_York")), datetime(2024, 12, 1, 17, 0)),
]


@pytest.mark.parametrize("value, ctx, expected", DATETIME_CASES)
def test_datetime_is_stored_as_naive_utc(value, ctx, expected):
    got = field_type("datetime").coerce(make("datetime"), value, ctx)
    assert got == expected and got.tzinfo is None


@pytest.mark.parametrize("stored, ctx, expected", [
    (datetime(2024, 1, 2, 2, 0), SHANGHAI, "2024-01-02T10:00:00+08:00"),
    (datetime(2024, 1, 1, 16, 0), SHANGHAI, "2024-01-02T00:00:00+08:00"),
    (datetime(2024, 1, 2, 2, 0), UTC, "2024-01-02T02:00:00+00:00"),
    ("2024-01-02 02:00:00", SHANGHAI, "2024-01-02T10:00:00+08:00"),  # SQLite may hand back text
    (None, SHANGHAI, None),
])
def test_datetime_dump_in_the_zone(stored, ctx, expected):
    assert field_type("datetime").dump(make("datetime"), stored, ctx) == expected


@pytest.mark.parametrize("wall_clock", ["2024-01-02T10:00:00", "2024-06-30T23:59:59", "2024-03-10T02:30:00"])
def test_datetime_round_trip_through_storage(wall_clock):
    dt = field_type("datetime")
    f = make("datetime")
    stored = dt.coerce(f, wall_clock, SHANGHAI)
    assert dt.dump(f, stored, SHANGHAI) == wall_clock + "+08:00"
    assert datetime.fromisoformat(dt.dump(f, stored, UTC)) == datetime.fromisoformat(wall_clock + "+08:00")
    assert stored == datetime.fromisoformat(wall_clock) - timedelta(hours=8)


@pytest.mark.parametrize("stored, expected", [
    (date(2024, 1, 2), "2024-01-02"),
    ("2024-01-02", "2024-01-02"),
    ("2024-01-02 00:00:00", "2024-01-02"),  # a column retyped on SQLite
    (None, None),
])
def test_date_dump(stored, expected):
    assert field_type("date").dump(make("date"), stored, SHANGHAI) == expected


@pytest.mark.parametrize("kind, props", [
    ("date", {"min": "not a date"}),
    ("date", {"max": "2024-02-30"}),
    ("datetime", {"min": "2024-01-01T00:00"}),  # date-times take no limits yet
    ("datetime", {"zone": "UTC"}),
])
def test_definition_rejected(kind, props):
    with pytest.raises(ValidationError):
        make(kind, **props)
