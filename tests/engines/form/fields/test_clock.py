"""engines/form/fields/clock.py: time of day and duration."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from fieldcases import UTC, Err, check, make, params

OFFICE = {"min": "9:00", "max": "18:00"}

CASES = [
    # time: stored as HH:MM:SS text
    ("time", {}, "9:05", "09:05:00"),
    ("time", {}, "09:05:00", "09:05:00"),
    ("time", {}, " 23:59:59 ", "23:59:59"),
    ("time", {}, "9：05", "09:05:00"),  # full-width colon from a Chinese keyboard
    ("time", {}, time(7, 30), "07:30:00"),  # an Excel time cell read by openpyxl
    ("time", {}, datetime(1899, 12, 30, 7, 30), "07:30:00"),
    ("time", {}, 0.375, "09:00:00"),  # an Excel time as a fraction of a day
    ("time", {}, 0.5 + 1 / 86400, "12:00:01"),
    ("time", {}, 0, "00:00:00"),  # the importer turns 0.0 into 0
    ("time", {}, "24:00", Err("not_time", {"value": "24:00"})),
    ("time", {}, "9:60", Err("not_time")),
    ("time", {}, "9", Err("not_time")),
    ("time", {}, "9:5", Err("not_time")),
    ("time", {}, "09:05 PM", Err("not_time")),
    ("time", {}, 1, Err("not_time")),
    ("time", {}, 1.2, Err("not_time")),
    ("time", {}, -0.1, Err("not_time")),
    ("time", {}, True, Err("not_time")),
    ("time", {}, ["09:00"], Err("not_time")),
    ("time", OFFICE, "9:00", "09:00:00"),
    ("time", OFFICE, "18:00:00", "18:00:00"),
    ("time", OFFICE, "8:59:59", Err("too_small", {"limit": "09:00:00"})),
    ("time", OFFICE, "18:00:01", Err("too_large", {"limit": "18:00:00"})),
    # duration: whole seconds
    ("duration", {}, 90, 90),
    ("duration", {}, 90.0, 90),
    ("duration", {}, "90", 90),
    ("duration", {}, "1:30", 5400),  # hours:minutes
    ("duration", {}, "1:30:15", 5415),
    ("duration", {}, "26:00", 93600),
    ("duration", {}, "1h30m", 5400),
    ("duration", {}, "1H 30M 5S", 5405),
    ("duration", {}, "1.5h", 5400),
    ("duration", {}, "45min", 2700),
    ("duration", {}, "1小时30分", 5400),
    ("duration", {}, "1小时30分钟", 5400),
    ("duration", {}, "2天3小时", 183600),
    ("duration", {}, "30秒", 30),
    ("duration", {}, timedelta(hours=2), 7200),
    ("duration", {}, time(1, 30), 5400),  # an Excel cell formatted h:mm
    ("duration", {}, 0, 0),
    ("duration", {}, 1.5, Err("bad_duration", {"value": 1.5})),
    ("duration", {}, "1:75", Err("bad_duration")),
    ("duration", {}, "1h30", Err("bad_duration")),
    ("duration", {}, "h", Err("bad_duration")),
    ("duration", {}, "一小时", Err("bad_duration")),
    ("duration", {}, "1 fortnight", Err("bad_duration")),
    ("duration", {}, True, Err("bad_duration")),
    ("duration", {}, [90], Err("bad_duration")),
    ("duration", {}, -5, Err("too_small", {"limit": 0})),
    ("duration", {}, 2**31, Err("too_large")),
    ("duration", {"min": 60, "max": 3600}, 59, Err("too_small", {"limit": 60})),
    ("duration", {"min": 60, "max": 3600}, "1h1s", Err("too_large", {"limit": 3600})),
    ("duration", {"min": 60, "max": 3600}, "1h", 3600),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


def test_time_limits_are_normalised_in_the_definition():
    f = make("time", min="9:00", max="17:30")
    assert (f.min, f.max) == ("09:00:00", "17:30:00")


@pytest.mark.parametrize("props", [{"min": "25:00"}, {"max": "9"}, {"min": "noon"}, {"seconds": "yes please"}])
def test_time_definition_rejected(props):
    with pytest.raises(ValidationError):
        make("time", **props)


@pytest.mark.parametrize("kind, props", [("time", {"min": "18:00", "max": "9:00"}), ("duration", {"min": 10, "max": 5})])
def test_min_above_max_is_a_definition_problem(kind, props):
    problems = field_type(kind).check_def(make(kind, **props))
    assert [(p.path, p.code) for p in problems] == [("/max", "bad_range")]


def test_duration_definition_rejects_negative_limits():
    with pytest.raises(ValidationError):
        make("duration", min=-1)


@pytest.mark.parametrize("seconds, cell", [(5400, "01:30:00"), (59, "00:00:59"), (360000, "100:00:00"), (None, None)])
def test_duration_exports_as_clock_text_that_imports_back(seconds, cell):
    duration = field_type("duration")
    f = make("duration")
    assert duration.to_cell(f, duration.dump(f, seconds, UTC)) == cell
    if cell is not None:
        assert duration.coerce(f, cell, UTC) == seconds


def test_time_dump_is_the_stored_text():
    assert field_type("time").dump(make("time"), "09:05:00", UTC) == "09:05:00"
