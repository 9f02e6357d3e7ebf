"""engines/expr/functions/date.py in Python: DATEADD, DATEDIF, DAYS_SINCE, YEAR, MONTH, DAY, WEEKDAY, EOMONTH,
DATEVALUE, FORMAT_DATE — values (month ends, leap days, the deployment's zone), empties, and errors found when
the expression is checked. Now is 2026-11-26 10:30 in Shanghai (02:30 UTC), a Thursday."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from engines.expr import FUNCTIONS
from tests.engines.expr.functions.scope import error, evaluate, result_kind

D = date
# 2026-01-31 20:00 UTC is 2026-02-01 04:00 in Shanghai; 2026-01-30 20:00 UTC is 2026-01-31 04:00 there
FEB1_LOCAL = datetime(2026, 1, 31, 20, 0)
JAN31_LOCAL = datetime(2026, 1, 30, 20, 0)

CASES = [
    # DATEADD on dates: months and years clamp to the month's end; n toward zero; empty off the calendar
    ("DATEADD(day, 1, 'month')", {"day": D(2026, 1, 31)}, D(2026, 2, 28)),
    ("DATEADD(day, 1, 'month')", {"day": D(2024, 1, 31)}, D(2024, 2, 29)),
    ("DATEADD(day, -1, 'month')", {"day": D(2026, 3, 31)}, D(2026, 2, 28)),
    ("DATEADD(day, 1, 'year')", {"day": D(2024, 2, 29)}, D(2025, 2, 28)),
    ("DATEADD(day, 4, 'years')", {"day": D(2024, 2, 29)}, D(2028, 2, 29)),
    ("DATEADD(day, 13, 'month')", {"day": D(2026, 12, 15)}, D(2028, 1, 15)),
    ("DATEADD(day, 1.9, 'month')", {"day": D(2026, 1, 15)}, D(2026, 2, 15)),
    ("DATEADD(day, -1.9, 'day')", {"day": D(2026, 1, 15)}, D(2026, 1, 14)),
    ("DATEADD(day, 2, 'week')", {"day": D(2026, 12, 25)}, D(2027, 1, 8)),
    ("DATEADD(day, 0, 'DAY')", {"day": D(2026, 1, 15)}, D(2026, 1, 15)),
    ("DATEADD(day, 1, 'day')", {"day": D(9999, 12, 31)}, None), ("DATEADD(day, -1, 'month')", {"day": D(1, 1, 31)}, None),
    ("DATEADD(day, 1e12, 'year')", {"day": D(2026, 1, 1)}, None),
    ("DATEADD(day, 1, 'month')", {}, None), ("DATEADD(day, num, 'month')", {"day": D(2026, 1, 1)}, None),
    # DATEADD on date-times: by the wall clock of the zone, back in UTC
    ("DATEADD(at, 1, 'month')", {"at": FEB1_LOCAL}, datetime(2026, 2, 28, 20, 0)),
    ("DATEADD(at, 1, 'month')", {"at": JAN31_LOCAL}, datetime(2026, 2, 27, 20, 0)),
    ("DATEADD(at, 1, 'day')", {"at": datetime(2026, 1, 1, 1, 2, 3, 456789)}, datetime(2026, 1, 2, 1, 2, 3, 456789)),
    ("DATEADD(TODAY(), 1, 'month')", {}, D(2026, 12, 26)),
    # DATEDIF: whole units (Excel), empty when the end is before the start; date-times by their local date
    ("DATEDIF(day, day2, 'day')", {"day": D(2024, 1, 31), "day2": D(2024, 3, 1)}, 30.0),
    ("DATEDIF(day, day2, 'month')", {"day": D(2024, 1, 31), "day2": D(2024, 2, 29)}, 0.0),
    ("DATEDIF(day, day2, 'month')", {"day": D(2024, 1, 31), "day2": D(2024, 3, 1)}, 1.0),
    ("DATEDIF(day, day2, 'm')", {"day": D(2024, 2, 29), "day2": D(2025, 2, 28)}, 11.0),
    ("DATEDIF(day, day2, 'Y')", {"day": D(2024, 2, 29), "day2": D(2025, 2, 28)}, 0.0),
    ("DATEDIF(day, day2, 'year')", {"day": D(1990, 5, 20), "day2": D(2026, 5, 20)}, 36.0),
    ("DATEDIF(day, day2, 'year')", {"day": D(1990, 5, 20), "day2": D(2026, 5, 19)}, 35.0),
    ("DATEDIF(day, day2, 'day')", {"day": D(2026, 5, 20), "day2": D(2026, 5, 20)}, 0.0),
    ("DATEDIF(day, day2, 'day')", {"day": D(2026, 5, 20), "day2": D(2026, 5, 19)}, None),
    ("DATEDIF(day, day2, 'month')", {"day": D(2026, 5, 20), "day2": D(2026, 5, 10)}, None),
    ("DATEDIF(at, TODAY(), 'day')", {"at": datetime(2026, 11, 25, 16, 0)}, 0.0),  # 2026-11-26 00:00 in Shanghai
    ("DATEDIF(day, day2, 'day')", {"day": D(2026, 5, 20)}, None),
    # DAYS_SINCE: calendar days to today in the zone; negative ahead
    ("DAYS_SINCE(day)", {"day": D(2026, 11, 20)}, 6.0), ("DAYS_SINCE(day)", {"day": D(2026, 12, 1)}, -5.0),
    ("DAYS_SINCE(at)", {"at": datetime(2026, 11, 25, 16, 30)}, 0.0), ("DAYS_SINCE(at)", {"at": datetime(2026, 11, 25, 15, 59)}, 1.0),
    ("DAYS_SINCE(day)", {}, None),
    # YEAR / MONTH / DAY: of the local date
    ("YEAR(day)", {"day": D(2026, 1, 5)}, 2026.0), ("MONTH(day)", {"day": D(2026, 1, 5)}, 1.0), ("DAY(day)", {"day": D(2026, 1, 5)}, 5.0),
    ("YEAR(at)", {"at": datetime(2025, 12, 31, 16, 30)}, 2026.0), ("MONTH(at)", {"at": FEB1_LOCAL}, 2.0),
    ("DAY(at)", {"at": FEB1_LOCAL}, 1.0), ("YEAR(day)", {}, None),
    # WEEKDAY: Monday = 1 … Sunday = 7 by default; Excel's modes 1, 2, 3
    ("WEEKDAY(day)", {"day": D(2026, 11, 23)}, 1.0), ("WEEKDAY(day)", {"day": D(2026, 11, 29)}, 7.0),
    ("WEEKDAY(day, 1)", {"day": D(2026, 11, 29)}, 1.0), ("WEEKDAY(day, 1)", {"day": D(2026, 11, 28)}, 7.0),
    ("WEEKDAY(day, 2)", {"day": D(2026, 11, 26)}, 4.0), ("WEEKDAY(day, 3)", {"day": D(2026, 11, 23)}, 0.0),
    ("WEEKDAY(day, 3)", {"day": D(2026, 11, 29)}, 6.0), ("WEEKDAY(at)", {"at": datetime(2026, 11, 22, 16, 0)}, 1.0),
    ("WEEKDAY(TODAY())", {}, 4.0), ("WEEKDAY(day)", {}, None),
    # EOMONTH
    ("EOMONTH(day, 0)", {"day": D(2024, 2, 10)}, D(2024, 2, 29)), ("EOMONTH(day, 1)", {"day": D(2026, 1, 31)}, D(2026, 2, 28)),
    ("EOMONTH(day, -1)", {"day": D(2026, 3, 15)}, D(2026, 2, 28)), ("EOMONTH(day, 12)", {"day": D(2026, 12, 1)}, D(2027, 12, 31)),
    ("EOMONTH(day, 0.9)", {"day": D(2026, 4, 1)}, D(2026, 4, 30)), ("EOMONTH(day, 0)", {"day": D(9999, 12, 5)}, D(9999, 12, 31)),
    ("EOMONTH(day, 1)", {"day": D(9999, 12, 5)}, None), ("EOMONTH(at, 0)", {"at": JAN31_LOCAL}, D(2026, 1, 31)),
    ("EOMONTH(at, 0)", {"at": FEB1_LOCAL}, D(2026, 2, 28)), ("EOMONTH(day, num)", {"day": D(2026, 1, 1)}, None),
    # DATEVALUE: YYYY-MM-DD and YYYY/M/D only, real days only
    ("DATEVALUE('2026-01-05')", {}, D(2026, 1, 5)), ("DATEVALUE('2026/1/5')", {}, D(2026, 1, 5)),
    ("DATEVALUE('2026-1-05')", {}, D(2026, 1, 5)), ("DATEVALUE('2024/02/29')", {}, D(2024, 2, 29)),
    ("DATEVALUE('2026-02-29')", {}, None), ("DATEVALUE('2026/13/1')", {}, None), ("DATEVALUE('2026-01/05')", {}, None),
    ("DATEVALUE(' 2026-01-05')", {}, None), ("DATEVALUE('2026-01-05 ')", {}, None), ("DATEVALUE('2026-01-05\n')", {}, None),
    ("DATEVALUE('20260105')", {}, None), ("DATEVALUE('0000-01-01')", {}, None), ("DATEVALUE('２０２６-01-05')", {}, None),
    ("DATEVALUE('2026-1-5x')", {}, None), ("DATEVALUE(words)", {}, None), ("DATEVALUE(words)", {"words": "2026-3-8"}, D(2026, 3, 8)),
    # FORMAT_DATE: YYYY MM DD HH mm ss, everything else as is; date-times local
    ("FORMAT_DATE(at, 'YYYY-MM-DD HH:mm:ss')", {"at": datetime(2026, 1, 31, 20, 5, 9)}, "2026-02-01 04:05:09"),
    ("FORMAT_DATE(day, 'YYYY年MM月DD日')", {"day": D(2026, 1, 5)}, "2026年01月05日"),
    ("FORMAT_DATE(day, 'DD/MM/YYYY HH:mm')", {"day": D(2026, 1, 5)}, "05/01/2026 00:00"),
    ("FORMAT_DATE(day, 'yyyy %Y \"Q\"')", {"day": D(2026, 1, 5)}, 'yyyy %Y "Q"'),
    ("FORMAT_DATE(day, 'MMM DDD')", {"day": D(2026, 1, 5)}, "01M 05D"), ("FORMAT_DATE(day, 'YYYY')", {}, None),
]


@pytest.mark.parametrize("text, record, expected", CASES)
def test_values(text, record, expected):
    got = evaluate(text, **record)
    assert got == expected and type(got) is type(expected), (text, got)


@pytest.mark.parametrize("text, kind", [
    ("DATEADD(day, 1, 'day')", "date"), ("DATEADD(at, 1, 'day')", "datetime"), ("DATEDIF(day, at, 'day')", "number"),
    ("DAYS_SINCE(at)", "number"), ("YEAR(day)", "number"), ("MONTH(at)", "number"), ("DAY(day)", "number"),
    ("WEEKDAY(day)", "number"), ("EOMONTH(at, 1)", "date"), ("DATEVALUE('x')", "date"), ("FORMAT_DATE(day, 'YYYY')", "text"),
])
def test_result_kinds(text, kind):
    assert result_kind(text) == kind


ERRORS = [
    ("DATEADD(day, 1)", "expr_arg_count", 0), ("DATEDIF(day, day2)", "expr_arg_count", 0), ("YEAR()", "expr_arg_count", 0),
    ("WEEKDAY(day, 1, 2)", "expr_arg_count", 0), ("EOMONTH(day)", "expr_arg_count", 0), ("DAYS_SINCE()", "expr_arg_count", 0),
    ("FORMAT_DATE(day)", "expr_arg_count", 0), ("DATEVALUE()", "expr_arg_count", 0),
    ("DATEADD(num, 1, 'day')", "expr_arg_type", 8), ("DATEADD(day, '1', 'day')", "expr_arg_type", 13),
    ("DATEADD(day, 1, 2)", "expr_arg_type", 16), ("DATEDIF(day, words, 'day')", "expr_arg_type", 13),
    ("YEAR(words)", "expr_arg_type", 5), ("MONTH(num)", "expr_arg_type", 6), ("DAY(flag)", "expr_arg_type", 4),
    ("WEEKDAY(tags)", "expr_arg_type", 8), ("EOMONTH(day, day)", "expr_arg_type", 13), ("DAYS_SINCE(num)", "expr_arg_type", 11),
    ("DATEVALUE(day)", "expr_arg_type", 10), ("FORMAT_DATE(words, 'YYYY')", "expr_arg_type", 12),
    ("DATEADD(day, 1, unit)", "expr_literal_arg", 16), ("DATEDIF(day, day2, unit)", "expr_literal_arg", 19),
    ("WEEKDAY(day, num)", "expr_literal_arg", 13), ("FORMAT_DATE(day, unit)", "expr_literal_arg", 17),
    ("DATEADD(day, 1, 'hour')", "expr_arg_option", 16), ("DATEADD(day, 1, NULL)", "expr_arg_option", 16),
    ("DATEDIF(day, day2, 'week')", "expr_arg_option", 19), ("DATEDIF(day, day2, 'md')", "expr_arg_option", 19),
    ("WEEKDAY(day, 4)", "expr_arg_option", 13), ("WEEKDAY(day, 1.5)", "expr_arg_option", 13),
    ("FORMAT_DATE(day, '')", "expr_arg_option", 17), ("YEAR(lines.qty)", "expr_rows_outside_aggregate", 5),
]


@pytest.mark.parametrize("text, code, position", ERRORS)
def test_errors_at_check_time(text, code, position):
    assert error(text) == (code, position)


def test_every_date_function_is_registered_with_docs():
    for key in ("DATEADD", "DATEDIF", "DAYS_SINCE", "YEAR", "MONTH", "DAY", "WEEKDAY", "EOMONTH", "DATEVALUE",
                "FORMAT_DATE"):
        described = FUNCTIONS.get(key).describe()
        assert described["category"] == "date" and described["signature"].startswith(key + "(")
        assert described["doc"]["zh-CN"] and described["doc"]["en"]
