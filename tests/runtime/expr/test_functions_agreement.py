"""Every expression function gives the same answer in Python and in SQL, on SQLite and PostgreSQL, over real
records — empty values, binary-float traps, month ends and time-zone day boundaries included."""
from __future__ import annotations

from datetime import date, datetime

import pytest

from engines.expr import FUNCTIONS, parse
from engines.expr.ast import Call, walk
from tests.engines.expr import test_decide
from tests.runtime.expr import test_agreement
from tests.runtime.expr.lab import Lab, same

APP = {
    "format": "nocode.app/v1", "key": "fnlab", "name": "Function lab",
    "forms": [
        {"key": "item", "name": "条目", "fields": [
            {"key": "num", "type": "number"}, {"key": "num2", "type": "number"}, {"key": "money", "type": "money"},
            {"key": "words", "type": "text"}, {"key": "part", "type": "text"}, {"key": "raw", "type": "text"},
            {"key": "tags", "type": "tags"}, {"key": "flag", "type": "checkbox"},
            {"key": "day", "type": "date"}, {"key": "day2", "type": "date"},
            {"key": "at", "type": "datetime"}, {"key": "at2", "type": "datetime"}]},
        {"key": "note", "name": "备注", "fields": [
            {"key": "item", "type": "relation", "target": "item"}, {"key": "n", "type": "number"}]},
    ],
}

RECORDS = [
    {"num": 2.675, "num2": 2, "money": 12.35, "words": "  Hello   World  ", "part": "o", "raw": "2026-01-05",
     "tags": ["VIP", "宝妈"], "flag": True, "day": "2024-01-31", "day2": "2024-02-29",
     "at": "2026-01-31T20:00:00Z", "at2": "2026-11-20T10:15:00"},  # at: 04:00 on Feb 1 in Shanghai
    {"num": -2.5, "num2": -3, "money": 100, "words": "荔枝 大米  礼盒", "part": "大", "raw": "2024/2/29",
     "tags": [], "flag": False, "day": "2024-02-29", "day2": "2025-02-28",
     "at": "2026-01-30T20:00:00Z", "at2": "2024-02-29T23:30:00"},  # at: 04:00 on Jan 31 in Shanghai
    {},  # every field empty
    {"num": 1 / 3, "num2": 0, "money": 0.05, "words": "", "part": "", "raw": "2026-02-30", "tags": ["a"],
     "day": "2026-12-31", "day2": "2026-01-01", "at": "2026-11-26T08:00:00", "at2": "2026-11-25T23:59:59"},
    {"num": 1e20, "num2": 1e-7, "money": -1234567.89, "words": "A-B-C-", "part": "-", "raw": "2026-1-5",
     "day": "2025-03-31", "day2": "2025-02-28", "at": "2025-12-31T16:30:00Z"},
    {"num": 0.3, "num2": 0.1, "money": 1.15, "words": "a  b", "part": "  ", "raw": "2026/13/01",
     "day": "2023-02-28", "day2": "2024-02-29", "at2": "2026-03-31T12:00:00"},
    {"num": -7, "num2": 3, "money": 0.05, "words": "Ünïcode ß ÄÖ", "part": "ß", "raw": " 2026-01-05",
     "day": "2026-11-26", "day2": "2026-11-27", "at": "2026-11-26T10:30:00"},
    {"num": 7, "num2": -3, "money": -0.005, "words": "100%", "part": "%", "raw": "0000-01-01",
     "day": "0001-01-31", "day2": "9999-12-30", "at": "2026-02-28T23:59:00"},
    {"num": 1.005, "num2": 0.05, "money": 999999.995, "words": "x", "part": "xx", "raw": "2026-02-29",
     "day": "2024-03-31", "day2": "2024-03-30", "at": "2024-02-29T12:00:00"},
    {"num": 123456789.125, "num2": -0.001, "money": 0, "words": "-0", "raw": "2024-02-29",
     "day": "2026-08-31", "day2": "2027-08-30"},
    {"num": -0.0001, "num2": 2.5, "money": 2.5, "words": "tab\there", "part": "\t", "raw": "2026/01/05x"},
    {"num": 1234.5678, "num2": 1e15, "money": 0.1, "raw": "20260105", "day": "2026-01-31", "day2": "2026-01-31"},
    {"num": 1.15, "num2": 0.05, "money": 1.5, "raw": "2026-1-32"},
    {"num": 9.995, "num2": -2, "money": 99.5},
    {"num": -1.5e20, "num2": -1.5e-7, "words": "  ", "raw": "２０２６-01-05", "day": "9999-12-05", "day2": "0001-01-02",
     "at": "9999-12-30T00:00:00Z"},
]

# function → expressions over the item form; every registered function must appear (see the contract test)
CASES: dict[str, list[str]] = {
    "ROUND": ["ROUND(num, 2)", "ROUND(num)", "ROUND(num, num2)", "ROUND(money, 1)", "ROUND(num, -1)",
              "ROUND(num * 1000, -2)", "ROUND(num / 3, 10)", "ROUND(money * 3, 2)", "ROUND(-num, 2)",
              "ROUND(2.675, 2)", "ROUND(1.005, 2)", "ROUND(-2.5)", "ROUND(0.1 + 0.2, 15)", "ROUND(num + num2, 1)",
              "ROUND(num2, 20)", "ROUND(num, -30)", "ROUND(num, 400)", "ROUND(num, money)", "ROUND(money, num2 * 3)"],
    "ABS": ["ABS(num)", "ABS(money)", "ABS(num2 - num)"],
    "FLOOR": ["FLOOR(num)", "FLOOR(num, num2)", "FLOOR(money, 0.05)", "FLOOR(num, 0.1)", "FLOOR(-num, 0.5)",
              "FLOOR(money, num2)"],
    "CEILING": ["CEILING(num)", "CEILING(num, num2)", "CEILING(money, 0.1)", "CEILING(-money, 0.05)"],
    "INT": ["INT(num)", "INT(money)", "INT(-num2)", "INT(num * 3)"],
    "MOD": ["MOD(num, num2)", "MOD(num2, num)", "MOD(money, 3)", "MOD(money, -0.05)", "MOD(num, 1)", "MOD(-num, 2)"],
    "POWER": ["POWER(num, 2)", "POWER(num2, num)", "POWER(num, 0.5)", "POWER(num2, 3)", "POWER(money, -1)",
              "POWER(num, num2)", "POWER(10, num2)"],
    "SQRT": ["SQRT(num)", "SQRT(money)", "SQRT(num2 * num2)"],
    "CONCAT": ["CONCAT(words, '|', num, '|', money)", "CONCAT(day, ' ', at, ' ', flag)", "CONCAT(part)",
               "CONCAT(num2, num / 7)", "CONCAT(NULL, raw)"],
    "LEN": ["LEN(words)", "LEN(num)", "LEN(part)", "LEN(day)"],
    "LEFT": ["LEFT(words, 3)", "LEFT(words)", "LEFT(words, num2)", "LEFT(raw, 4)", "LEFT(num, 3)", "LEFT(words, -1)", "LEFT(words, money)"],
    "RIGHT": ["RIGHT(words, 2)", "RIGHT(words)", "RIGHT(words, num2)", "RIGHT(raw, 100)", "RIGHT(words, 0)"],
    "MID": ["MID(words, 2, 3)", "MID(words, num2, num)", "MID(raw, 6, 2)", "MID(words, 0, 2)", "MID(words, 3, -1)", "MID(words, money, num2)"],
    "FIND": ["FIND(part, words)", "FIND('-', raw)", "FIND(part, raw)"],
    "CONTAINS": ["CONTAINS(words, part)", "CONTAINS(raw, '-')", "CONTAINS(tags, 'VIP')", "CONTAINS(tags, part)",
                 "CONTAINS(tags, raw)", "CONTAINS(money, '.')"],
    "UPPER": ["UPPER(words)", "UPPER(part)"],
    "LOWER": ["LOWER(words)", "LOWER(raw)"],
    "TRIM": ["TRIM(words)", "TRIM(part)", "TRIM(raw)", "LEN(TRIM(words))"],
    "SUBSTITUTE": ["SUBSTITUTE(words, part, '+')", "SUBSTITUTE(words, ' ', part)", "SUBSTITUTE(raw, '-', '')",
                   "SUBSTITUTE(words, 'l', NULL)"],
    "TEXT": ["TEXT(num)", "TEXT(num2)", "TEXT(money)", "TEXT(num, '0.00')", "TEXT(num, '#,##0.00')",
             "TEXT(money, '#,##0')", "TEXT(num2, '0.0%')", "TEXT(money, '0')", "TEXT(num, '0.0000000000')",
             "TEXT(money, '#,##0.000')", "TEXT(num / 7, '0%')", "TEXT(day)", "TEXT(at)", "TEXT(flag)",
             "TEXT(day, 'YYYY年MM月DD日')", "TEXT(at, 'HH:mm')", "TEXT(words)"],
    "DATEADD": ["DATEADD(day, 1, 'month')", "DATEADD(day, -1, 'month')", "DATEADD(day, 1, 'year')",
                "DATEADD(day, num2, 'day')", "DATEADD(day, 2, 'week')", "DATEADD(day, 12, 'months')",
                "DATEADD(day, num, 'year')", "DATEADD(day2, 1, 'day')", "DATEADD(at, 1, 'month')",
                "DATEADD(at, num2, 'day')", "DATEADD(at, -1, 'year')", "DATEADD(at2, num2, 'week')",
                "DATEADD(TODAY(), num2, 'month')", "DATEADD(day, money, 'day')", "DATEADD(at, money, 'month')"],
    "DATEDIF": ["DATEDIF(day, day2, 'day')", "DATEDIF(day, day2, 'month')", "DATEDIF(day, day2, 'year')",
                "DATEDIF(at, day2, 'M')", "DATEDIF(day, TODAY(), 'y')", "DATEDIF(at, at2, 'day')"],
    "DAYS_SINCE": ["DAYS_SINCE(day)", "DAYS_SINCE(at)", "DAYS_SINCE(at2)"],
    "YEAR": ["YEAR(day)", "YEAR(at)"],
    "MONTH": ["MONTH(day)", "MONTH(at)"],
    "DAY": ["DAY(day)", "DAY(at)", "DAY(at2)"],
    "WEEKDAY": ["WEEKDAY(day)", "WEEKDAY(day, 1)", "WEEKDAY(at, 2)", "WEEKDAY(at2, 3)"],
    "EOMONTH": ["EOMONTH(day, 0)", "EOMONTH(day, -1)", "EOMONTH(at, num2)", "EOMONTH(day2, 1)", "EOMONTH(day, num)", "EOMONTH(day, money)"],
    "DATEVALUE": ["DATEVALUE(raw)", "DATEVALUE(words)"],
    "FORMAT_DATE": ["FORMAT_DATE(at, 'YYYY-MM-DD HH:mm:ss')", "FORMAT_DATE(day, 'DD/MM/YYYY %d')",
                    "FORMAT_DATE(at2, 'HH\"mm\\'ss YYYY')", "FORMAT_DATE(day2, 'Q1 YYYYMMDD hh')"],
    # functions the core tests cover only as operators or not at all
    "NOT": ["NOT(ISBLANK(words))"],
}
# functions inside functions: each value is computed once in SQL however deep the nesting
NESTED = [
    "ROUND(FLOOR(MOD(num, num2), 0.05) * 3, 2)", "TEXT(ROUND(money / 3, 2) + num, '#,##0.00')",
    "CONCAT(TEXT(CEILING(num, num2)), LEFT(TRIM(words), 2), ROUND(POWER(num2, 2), 1))",
    "DATEADD(DATEADD(DATEADD(day, 1, 'month'), 1, 'month'), -2, 'month')", "EOMONTH(DATEADD(at, num2, 'week'), 1)",
    "DATEDIF(DATEVALUE(raw), EOMONTH(day, 0), 'day')", "LEN(SUBSTITUTE(UPPER(TEXT(num, '0.00')), '.', ''))",
    "MOD(ROUND(MOD(ROUND(MOD(num, 7), 2), 5), 1), 3)", "IF(CONTAINS(words, part), FIND(part, words), -1)",
    # formulas as people write them
    ("IF(DATEDIF(at, TODAY(), 'day') > 30, CONCAT('逾期', TEXT(ROUND(money * 1.1, 2), '#,##0.00'), '元'), "
    "FORMAT_DATE(DATEADD(day, 1, 'month'), 'YYYY年MM月DD日'))"),
    "CONCAT(LEFT(TRIM(words), 1), '**', RIGHT(raw, 4))", "ROUND(MOD(DAYS_SINCE(day), 365) / 30, 0)",
    "CONCAT(YEAR(at), '年', MONTH(at), '月 周', WEEKDAY(at), ' ', TEXT(num2 / num, '0.0%'))",
    "IF(ISBLANK(DATEVALUE(raw)), EOMONTH(day, 0), DATEADD(DATEVALUE(raw), num2, 'week'))",
]
CASES["NESTED"] = NESTED

# conditions: the records a Python filter and a SQL WHERE keep are the same
CONDITIONS = [
    "ROUND(num, 2) = 2.68", "ROUND(money * 3, 2) = 37.05", "FLOOR(num, 0.1) = 0.3", "MOD(money, 0.05) = 0",
    "TEXT(num, '0.00') = '2.68'", "CONTAINS(words, part)", "CONTAINS(tags, 'VIP')", "NOT CONTAINS(tags, 'VIP')",
    "LEN(TRIM(words)) > 3", "DATEADD(day, 1, 'month') = EOMONTH(day, 1)", "DATEDIF(day, day2, 'month') >= 1",
    "YEAR(at) = 2026", "WEEKDAY(day) > 5", "DATEVALUE(raw) = day", "UPPER(part) = part",
]

# the same functions over values read through a relation (correlated subqueries inside the bound values)
THROUGH = [
    "ROUND(item.num, 2)", "ROUND(item.money * n, n)", "MOD(item.num, n)", "FLOOR(item.money, n)",
    "TEXT(item.money, '#,##0.00')", "CONCAT(item.words, n, item.day)", "LEFT(TRIM(item.words), n)",
    "DATEADD(item.day, n, 'month')", "DATEADD(item.at, n, 'day')", "DATEDIF(item.day, item.day2, 'month')",
    "EOMONTH(item.day, n)", "WEEKDAY(item.at)", "CONTAINS(item.tags, 'VIP')", "DATEVALUE(item.raw)",
    "FORMAT_DATE(item.at2, 'YYYY/MM/DD HH:mm')",
]


def _calls(text: str) -> set[str]:
    return {node.name for node in walk(parse(text)) if isinstance(node, Call)}


def test_every_registered_function_has_an_agreement_case():
    covered = set()
    for text in [e for cases in CASES.values() for e in cases] + CONDITIONS + THROUGH + test_agreement.EXPRESSIONS \
            + test_decide.EXPRESSIONS:
        covered |= _calls(text)
    missing = sorted(set(FUNCTIONS.keys()) - covered)
    assert not missing, f"functions without a Python/SQL agreement case: {missing}"
    for key, cases in CASES.items():  # and each group really exercises the function it is filed under
        assert key == "NESTED" or all(key in _calls(text) for text in cases), key


@pytest.fixture
async def lab(database_url):
    lab = await Lab.open(database_url, APP)
    ids = await lab.insert("item", *RECORDS)
    await lab.insert("note", *[{"item": item_id, "n": n} for item_id, n in zip(ids, [2, -1, 3, None, 0.5] * 3)],
                     {"item": None, "n": 1})
    yield lab
    await lab.close()


def _exact(a, b) -> bool:
    """same(), and for numbers and text no tolerance at all: rounding must give the very same double."""
    if not same(a, b):
        return False
    if isinstance(a, float) and b is not None and not isinstance(b, bool):
        return float(b) == a
    return True


@pytest.mark.parametrize("function", list(CASES))
async def test_python_and_sql_agree(lab, function):
    failures = []
    for text in CASES[function]:
        for i, (python_value, sql_value) in enumerate(await lab.both("item", text)):
            if not _exact(python_value, sql_value):
                failures.append((text, RECORDS[i], python_value, sql_value))
    assert not failures, "\n".join(map(repr, failures))


async def test_filters_keep_the_same_records(lab):
    failures = []
    for text in CONDITIONS:
        python_ids, sql_ids = await lab.where("item", text)
        if python_ids != sql_ids:
            failures.append((text, python_ids, sql_ids))
    assert not failures, "\n".join(map(repr, failures))


async def test_functions_agree_through_a_relation(lab):
    failures = []
    for text in THROUGH:
        for python_value, sql_value in await lab.both("note", text):
            if not _exact(python_value, sql_value):
                failures.append((text, python_value, sql_value))
    for text in ["ROUND(item.num, 2) = 2.68", "CONTAINS(item.words, 'o')", "DATEADD(item.day, 1, 'month') > item.day2"]:
        python_ids, sql_ids = await lab.where("note", text)
        if python_ids != sql_ids:
            failures.append((text, python_ids, sql_ids))
    assert not failures, "\n".join(map(repr, failures))


async def test_answers_are_the_spreadsheet_ones(lab):
    """Spot checks of the values themselves (agreement alone would let both back ends be wrong alike)."""
    expected = {
        "ROUND(num, 2)": [2.68, -2.5, None, 0.33, 1e20, 0.3, -7.0, 7.0, 1.01, 123456789.13, -0.0, 1234.57, 1.15, 10.0, -1.5e20],
        "MOD(num, num2)": [0.675, -2.5, None, None, 0.0, 0.0, 2.0, -2.0, 0.005, 0.0, 2.4999, 1234.5678, 0.0, -0.005, 0.0],
        "DATEADD(day, 1, 'month')": [date(2024, 2, 29), date(2024, 3, 29), None, date(2027, 1, 31), date(2025, 4, 30),
                                     date(2023, 3, 28), date(2026, 12, 26), date(1, 2, 28), date(2024, 4, 30),
                                     date(2026, 9, 30), None, date(2026, 2, 28), None, None, None],
        "DATEDIF(day, day2, 'month')": [0, 11, None, None, None, 12, 0, 119986, None, 11, None, 0, None, None, None],
        "WEEKDAY(day)": [3, 4, None, 4, 1, 2, 4, 3, 7, 1, None, 6, None, None, 7],
        "DATEVALUE(raw)": [date(2026, 1, 5), date(2024, 2, 29), None, None, date(2026, 1, 5), None, None, None, None,
                           date(2024, 2, 29), None, None, None, None, None],
        "TRIM(words)": ["Hello World", "荔枝 大米 礼盒", None, None, "A-B-C-", "a b", "Ünïcode ß ÄÖ", "100%", "x", "-0",
                        "tab\there", None, None, None, None],
        "TEXT(num, '#,##0.00')": ["2.68", "-2.50", None, "0.33", None, "0.30", "-7.00", "7.00", "1.01",
                                  "123,456,789.13", "0.00", "1,234.57", "1.15", "10.00", None],
        "MONTH(at)": [2, 1, None, 11, 1, None, 11, 2, 2, None, None, None, None, None, 12],
    }
    for text, values in expected.items():
        got = [python for python, _ in await lab.both("item", text)]
        assert len(got) == len(values)
        for g, v in zip(got, values):
            assert (g is None and v is None) or (g is not None and v is not None and same(g, v, 1e-6)), (text, got)
    at = [python for python, _ in await lab.both("item", "DATEADD(at, 1, 'month')")]
    assert at[0] == datetime(2026, 2, 28, 20, 0)  # Feb 1 04:00 local → Mar 1 04:00 local
    assert at[1] == datetime(2026, 2, 27, 20, 0)  # Jan 31 04:00 local → Feb 28 04:00 local (clamped), in UTC
