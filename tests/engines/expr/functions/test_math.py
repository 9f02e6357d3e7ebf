"""engines/expr/functions/math.py in Python: ROUND, ABS, FLOOR, CEILING, INT, MOD, POWER, SQRT — values,
empties and errors found when the expression is checked."""
from __future__ import annotations

from decimal import Decimal

import pytest

from engines.expr import FUNCTIONS
from tests.engines.expr.functions.scope import approx, error, evaluate, result_kind

CASES = [
    # ROUND: half away from zero, at 15 significant digits, digits toward zero
    ("ROUND(2.675, 2)", {}, 2.68), ("ROUND(-2.675, 2)", {}, -2.68), ("ROUND(1.005, 2)", {}, 1.01),
    ("ROUND(2.5)", {}, 3.0), ("ROUND(0.4999999999999)", {}, 0.0), ("ROUND(-2.5)", {}, -3.0), ("ROUND(0.5)", {}, 1.0), ("ROUND(0.49999999999999994)", {}, 1.0),
    ("ROUND(1234.5678, -2)", {}, 1200.0), ("ROUND(1250, -2)", {}, 1300.0), ("ROUND(-1250, -2)", {}, -1300.0),
    ("ROUND(1.23456, 2.9)", {}, 1.23), ("ROUND(1.5, -0.5)", {}, 2.0), ("ROUND(0.1 + 0.2, 15)", {}, 0.3),
    ("ROUND(num, 2)", {"num": 9.995}, 10.0), ("ROUND(num, 1)", {"num": 1e20}, 1e20), ("ROUND(num, -30)", {"num": 1e20}, 0.0),
    ("ROUND(num, 2)", {"num": -0.001}, 0.0), ("ROUND(num, 400)", {"num": 1 / 3}, 0.333333333333333),
    ("ROUND(money, 1)", {"money": Decimal("12.35")}, 12.4), ("ROUND(money * 3, 2)", {"money": Decimal("12.35")}, 37.05),
    ("ROUND(num)", {}, None), ("ROUND(1.5, num)", {}, None), ("ROUND(NULL, 2)", {}, None),
    # ABS
    ("ABS(-3.5)", {}, 3.5), ("ABS(money)", {"money": Decimal("-1.25")}, 1.25), ("ABS(num)", {}, None),
    # FLOOR / CEILING: toward −∞ / +∞ at a multiple of |significance|; the quotient at 15 digits
    ("FLOOR(2.7)", {}, 2.0), ("FLOOR(-2.5)", {}, -3.0), ("FLOOR(0.3, 0.1)", {}, 0.3), ("FLOOR(1.15, 0.05)", {}, 1.15),
    ("FLOOR(7, 2)", {}, 6.0), ("FLOOR(7, -2)", {}, 6.0), ("FLOOR(-7, 2)", {}, -8.0), ("FLOOR(7, 0)", {}, None),
    ("FLOOR(num, 1)", {}, None), ("FLOOR(1, num)", {}, None), ("FLOOR(1e20, 3)", {}, 1e20),
    ("CEILING(2.1)", {}, 3.0), ("CEILING(-2.5)", {}, -2.0), ("CEILING(7, 2)", {}, 8.0), ("CEILING(-7, 2)", {}, -6.0),
    ("CEILING(0.3, 0.1)", {}, 0.3), ("CEILING(1.12, 0.05)", {}, 1.15), ("CEILING(7, 0)", {}, None),
    # INT: floor, no 15-digit rounding
    ("INT(2.9)", {}, 2.0), ("INT(-2.1)", {}, -3.0), ("INT(-2)", {}, -2.0), ("INT(num)", {"num": 1e300}, 1e300),
    ("INT(num)", {}, None),
    # MOD: the sign of the divisor; by 0 → empty
    ("MOD(7, 3)", {}, 1.0), ("MOD(-7, 3)", {}, 2.0), ("MOD(7, -3)", {}, -2.0), ("MOD(-7, -3)", {}, -1.0),
    ("MOD(7, 0)", {}, None), ("MOD(0, 5)", {}, 0.0), ("MOD(5.5, 2)", {}, 1.5), ("MOD(1.15, 0.05)", {}, 0.0),
    ("MOD(0.3, 0.1)", {}, 0.0), ("MOD(num, 2)", {}, None), ("MOD(2, num)", {}, None),
    ("MOD(99999999999999, 7)", {}, 99999999999999 % 7),
    # POWER
    ("POWER(2, 10)", {}, 1024.0), ("POWER(-2, 3)", {}, -8.0), ("POWER(4, 0.5)", {}, 2.0), ("POWER(0, 0)", {}, 1.0),
    ("POWER(2, -1)", {}, 0.5), ("POWER(0, -1)", {}, None), ("POWER(-8, 1 / 3)", {}, None), ("POWER(10, 400)", {}, None),
    ("POWER(10, -400)", {}, None), ("POWER(num, 2)", {}, None),
    # SQRT
    ("SQRT(16)", {}, 4.0), ("SQRT(2)", {}, 2 ** 0.5), ("SQRT(-1)", {}, None), ("SQRT(0)", {}, 0.0), ("SQRT(num)", {}, None),
]


@pytest.mark.parametrize("text, record, expected", CASES)
def test_values(text, record, expected):
    got = evaluate(text, **record)
    assert got == approx(expected) and (got is None) == (expected is None), (text, got)


def test_rounding_gives_the_double_a_literal_gives():
    """Equality with a written number holds exactly (no stray binary digits)."""
    assert evaluate("ROUND(2.675, 2) = 2.68") is True
    assert evaluate("ROUND(num * 1.1, 2) = 1.21", num=1.1) is True
    assert evaluate("FLOOR(num, 0.05) = 1.15", num=1.17) is True


@pytest.mark.parametrize("text", ["ROUND(1.5)", "ABS(num)", "FLOOR(1, 2)", "CEILING(1)", "INT(1)", "MOD(1, 2)",
                                  "POWER(1, 2)", "SQRT(1)"])
def test_results_are_numbers(text):
    assert result_kind(text) == "number"


ERRORS = [
    ("ROUND()", "expr_arg_count", 0), ("ROUND(1, 2, 3)", "expr_arg_count", 0), ("ABS(1, 2)", "expr_arg_count", 0),
    ("MOD(1)", "expr_arg_count", 0), ("POWER(2)", "expr_arg_count", 0), ("SQRT()", "expr_arg_count", 0),
    ("ROUND('a', 2)", "expr_arg_type", 6), ("ROUND(num, words)", "expr_arg_type", 11), ("ABS(day)", "expr_arg_type", 4),
    ("FLOOR(num, flag)", "expr_arg_type", 11), ("CEILING(tags)", "expr_arg_type", 8), ("INT(at)", "expr_arg_type", 4),
    ("MOD(num, '2')", "expr_arg_type", 9), ("POWER(TRUE, 2)", "expr_arg_type", 6), ("SQRT(words)", "expr_arg_type", 5),
    ("1 + ROUND(lines.qty)", "expr_rows_outside_aggregate", 10),
]


@pytest.mark.parametrize("text, code, position", ERRORS)
def test_errors_at_check_time(text, code, position):
    assert error(text) == (code, position)


def test_every_math_function_is_registered_with_docs():
    for key in ("ROUND", "ABS", "FLOOR", "CEILING", "INT", "MOD", "POWER", "SQRT"):
        described = FUNCTIONS.get(key).describe()
        assert described["category"] == "math" and described["signature"].startswith(key + "(")
        assert described["doc"]["zh-CN"] and described["doc"]["en"]
