"""engines/expr/functions/text.py in Python: CONCAT, LEN, LEFT, RIGHT, MID, FIND, CONTAINS, UPPER, LOWER, TRIM,
SUBSTITUTE, TEXT — values, empties, and errors found when the expression is checked."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from engines.expr import FUNCTIONS
from tests.engines.expr.functions.scope import error, evaluate, result_kind

CASES = [
    # CONCAT: empties count as "", numbers with 15 significant digits, dates ISO, date-times local
    ("CONCAT('a', 1, '-', 2.5)", {}, "a1-2.5"), ("CONCAT(words, part)", {}, ""), ("CONCAT(words)", {"words": "x"}, "x"),
    ("CONCAT(num)", {"num": 1 / 3}, "0.333333333333333"), ("CONCAT(num)", {"num": 0.1 + 0.2}, "0.3"),
    ("CONCAT(num)", {"num": 1e20}, "100000000000000000000"), ("CONCAT(num)", {"num": -1.5e-7}, "-0.00000015"),
    ("CONCAT(num)", {"num": -0.0}, "0"), ("CONCAT(money)", {"money": Decimal("12.30")}, "12.3"),
    ("CONCAT(day, ' ', at)", {"day": date(2026, 1, 31), "at": datetime(2026, 1, 31, 20, 0)}, "2026-01-31 2026-02-01 04:00:00"),
    ("CONCAT(flag, '/', NULL)", {"flag": True}, "TRUE/"), ("CONCAT(flag)", {}, "FALSE"),
    # LEN: empty is 0; other kinds as their text
    ("LEN('荔枝 礼盒')", {}, 5.0), ("LEN(words)", {}, 0.0), ("LEN(words)", {"words": ""}, 0.0), ("LEN(num)", {"num": 2.5}, 3.0),
    ("LEN(day)", {"day": date(2026, 1, 5)}, 10.0),
    # LEFT / RIGHT / MID: counts toward zero, negatives as 0, start below 1 as 1
    ("LEFT('abcdef', 3)", {}, "abc"), ("LEFT('abcdef')", {}, "a"), ("LEFT('abc', 10)", {}, "abc"), ("LEFT('abc', 1.9)", {}, "a"),
    ("LEFT('abc', -1)", {}, ""), ("LEFT('abc', 0)", {}, ""), ("LEFT(words, 2)", {}, None), ("LEFT('abc', num)", {}, None),
    ("LEFT(day, 7)", {"day": date(2026, 11, 26)}, "2026-11"), ("LEFT(num, 3)", {"num": 1234.5}, "123"),
    ("RIGHT('abcdef', 2)", {}, "ef"), ("RIGHT('abcdef')", {}, "f"), ("RIGHT('abc', 10)", {}, "abc"), ("RIGHT('abc', 0)", {}, ""),
    ("RIGHT('abc', -3)", {}, ""), ("RIGHT(words, 1)", {}, None), ("RIGHT('手机13800138000', 4)", {}, "8000"),
    ("MID('abcdef', 2, 3)", {}, "bcd"), ("MID('abcdef', 0, 2)", {}, "ab"), ("MID('abcdef', 5, 10)", {}, "ef"),
    ("MID('abcdef', 9, 2)", {}, ""), ("MID('abcdef', 2, -1)", {}, ""), ("MID(words, 1, 1)", {}, None),
    # FIND: 1-based, case-sensitive, 0 when absent
    ("FIND('c', 'abcabc')", {}, 3.0), ("FIND('C', 'abc')", {}, 0.0), ("FIND('', 'abc')", {}, 1.0), ("FIND(part, 'abc')", {}, None),
    # CONTAINS: never empty; an empty part is always held; lists hold items
    ("CONTAINS('hello', 'ell')", {}, True), ("CONTAINS('hello', 'L')", {}, False), ("CONTAINS(words, 'a')", {}, False),
    ("CONTAINS('abc', part)", {}, True), ("CONTAINS(words, part)", {}, True), ("CONTAINS(num, '.')", {"num": 2.5}, True),
    ("CONTAINS(tags, 'VIP')", {"tags": ["VIP", "宝妈"]}, True), ("CONTAINS(tags, 'vip')", {"tags": ["VIP"]}, False),
    ("CONTAINS(tags, 'VIP')", {}, False), ("CONTAINS(tags, part)", {"tags": ["VIP"]}, False),
    # UPPER / LOWER: a–z only
    ("UPPER('abc 礼盒 é')", {}, "ABC 礼盒 é"), ("LOWER('ABC Ä')", {}, "abc Ä"), ("UPPER(words)", {}, None),
    # TRIM: ends stripped, inner runs of spaces made one; the ASCII space only
    ("TRIM('  a   b  ')", {}, "a b"), ("TRIM('a\tb ')", {}, "a\tb"), ("TRIM('   ')", {}, ""), ("TRIM(words)", {}, None),
    ("TRIM('x\u3000 y')", {}, "x\u3000 y"),
    # SUBSTITUTE: every occurrence; empty old leaves the text, empty new removes
    ("SUBSTITUTE('a-b-c', '-', '+')", {}, "a+b+c"), ("SUBSTITUTE('aaa', 'aa', 'b')", {}, "ba"),
    ("SUBSTITUTE('abc', '', 'x')", {}, "abc"), ("SUBSTITUTE('abc', 'b', NULL)", {}, "ac"),
    ("SUBSTITUTE(words, 'a', 'b')", {}, None), ("SUBSTITUTE('abc', part, 'x')", {}, "abc"),
    # TEXT: plain, or with a number format (half away from zero) or a date format
    ("TEXT(num)", {"num": 2.0}, "2"), ("TEXT(num)", {}, None), ("TEXT(words)", {"words": "x"}, "x"),
    ("TEXT(2.675, '0.00')", {}, "2.68"), ("TEXT(-2.5, '0')", {}, "-3"), ("TEXT(1234567.891, '#,##0.00')", {}, "1,234,567.89"),
    ("TEXT(-1234.5, '#,##0')", {}, "-1,235"), ("TEXT(0.125, '0.0%')", {}, "12.5%"), ("TEXT(0.5, '0%')", {}, "50%"),
    ("TEXT(-0.001, '0.00')", {}, "0.00"), ("TEXT(999.995, '0.00')", {}, "1000.00"), ("TEXT(7, '0.000')", {}, "7.000"),
    ("TEXT(num, '0.00')", {"num": 1e15}, None), ("TEXT(num, '0.00')", {"num": 9999999999999.4}, "9999999999999.40"),
    ("TEXT(num, '0.0000000000')", {"num": 100000.5}, None), ("TEXT(num, '0')", {"num": 999999999999999.4}, "999999999999999"),
    ("TEXT(num, '0.00')", {}, None), ("TEXT(day)", {"day": date(2026, 1, 5)}, "2026-01-05"),
    ("TEXT(day, 'YYYY年MM月DD日')", {"day": date(2026, 1, 5)}, "2026年01月05日"),
    ("TEXT(at)", {"at": datetime(2026, 1, 31, 20, 0, 5, 123456)}, "2026-02-01 04:00:05"),
    ("TEXT(at, 'HH:mm')", {"at": datetime(2026, 1, 31, 20, 0)}, "04:00"), ("TEXT(flag)", {"flag": True}, "TRUE"),
]


@pytest.mark.parametrize("text, record, expected", CASES)
def test_values(text, record, expected):
    got = evaluate(text, **record)
    assert got == expected and type(got) is type(expected), (text, got)


@pytest.mark.parametrize("text, kind", [
    ("CONCAT(1)", "text"), ("LEN('a')", "number"), ("LEFT('a')", "text"), ("RIGHT('a')", "text"),
    ("MID('a', 1, 1)", "text"), ("FIND('a', 'a')", "number"), ("CONTAINS('a', 'a')", "bool"),
    ("CONTAINS(tags, 'a')", "bool"), ("UPPER('a')", "text"), ("LOWER('a')", "text"), ("TRIM('a')", "text"),
    ("SUBSTITUTE('a', 'a', 'b')", "text"), ("TEXT(1)", "text"), ("TEXT(day, 'YYYY')", "text"),
])
def test_result_kinds(text, kind):
    assert result_kind(text) == kind


def test_contains_is_a_condition():
    from engines.expr import compile_expression
    from tests.engines.expr.functions.scope import SCOPE

    compile_expression("CONTAINS(words, 'a') AND CONTAINS(tags, 'b')", SCOPE, expect="bool")


ERRORS = [
    ("CONCAT()", "expr_arg_count", 0), ("LEN()", "expr_arg_count", 0), ("LEN('a', 'b')", "expr_arg_count", 0),
    ("LEFT()", "expr_arg_count", 0), ("MID('abc', 1)", "expr_arg_count", 0), ("FIND('a')", "expr_arg_count", 0),
    ("CONTAINS('a')", "expr_arg_count", 0), ("SUBSTITUTE('a', 'b')", "expr_arg_count", 0),
    ("TEXT(1, '0', 2)", "expr_arg_count", 0), ("UPPER()", "expr_arg_count", 0),
    ("CONCAT('a', tags)", "expr_arg_type", 12), ("LEN(tags)", "expr_arg_type", 4), ("LEFT('abc', 'x')", "expr_arg_type", 12),
    ("MID('abc', day, 1)", "expr_arg_type", 11), ("RIGHT(words, flag)", "expr_arg_type", 13),
    ("CONTAINS(tags, 1)", "expr_arg_type", 15), ("CONTAINS(tags, day)", "expr_arg_type", 15),
    ("TRIM(tags)", "expr_arg_type", 5), ("UPPER(lines.qty)", "expr_rows_outside_aggregate", 6),
    ("TEXT(num, words)", "expr_literal_arg", 10), ("TEXT(num, '0.0.0')", "expr_arg_option", 10),
    ("TEXT(num, 'YYYY')", "expr_arg_option", 10), ("TEXT(words, '0.00')", "expr_arg_option", 12),
    ("TEXT(day, '')", "expr_arg_option", 10), ("TEXT(num, 2)", "expr_arg_type", 10), ("TEXT(tags)", "expr_arg_type", 5),
    ("LEN(CONTAINS('a', 'b'), 1)", "expr_arg_count", 0),
]


@pytest.mark.parametrize("text, code, position", ERRORS)
def test_errors_at_check_time(text, code, position):
    assert error(text) == (code, position)


def test_option_errors_name_what_is_allowed():
    from engines.expr import ExprError, compile_expression
    from tests.engines.expr.functions.scope import SCOPE

    with pytest.raises(ExprError) as info:
        compile_expression("TEXT(num, '0.0.0')", SCOPE)
    problem = info.value.problem("/expr")
    assert "#,##0.00" in problem.message("en") and "TEXT" in problem.message("zh-CN")


def test_every_text_function_is_registered_with_docs():
    for key in ("CONCAT", "LEN", "LEFT", "RIGHT", "MID", "FIND", "CONTAINS", "UPPER", "LOWER", "TRIM", "SUBSTITUTE", "TEXT"):
        described = FUNCTIONS.get(key).describe()
        assert described["category"] == "text" and described["signature"].startswith(key + "(")
        assert described["doc"]["zh-CN"] and described["doc"]["en"]
