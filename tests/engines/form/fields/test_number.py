"""engines/form/fields/number.py: number, money (exact cents) and percent."""
from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from engines.form.fields import field_type
from fieldcases import UTC, Err, check, make, params

CASES = [
    # number: coercion and normalisation
    ("number", {}, 3, 3.0),
    ("number", {}, 2.5, 2.5),
    ("number", {}, "12", 12.0),
    ("number", {}, " 7 ", 7.0),
    ("number", {}, "-0.5", -0.5),
    ("number", {}, "1,234.5", 1234.5),
    ("number", {}, "￥1，000", 1000.0),
    ("number", {}, "1e3", 1000.0),
    # wrong types and non-numbers
    ("number", {}, True, Err("not_number", {"value": True})),
    ("number", {}, False, Err("not_number")),
    ("number", {}, [1], Err("not_number")),
    ("number", {}, {"n": 1}, Err("not_number")),
    ("number", {}, "abc", Err("not_number", {"value": "abc"})),
    ("number", {}, "1.2.3", Err("not_number")),
    ("number", {}, "NaN", Err("not_number")),
    ("number", {}, "Infinity", Err("not_number")),
    ("number", {}, float("inf"), Err("not_number")),
    ("number", {}, float("nan"), Err("not_number")),
    ("number", {}, "1e400", Err("not_number")),  # beyond a float
    # decimals: rounded half-up before the range check
    ("number", {"decimals": 0}, 2.5, 3.0),
    ("number", {"decimals": 0}, "2.4999", 2.0),
    ("number", {"decimals": 0}, -2.5, -3.0),
    ("number", {"decimals": 2}, "1.005", 1.01),
    ("number", {"decimals": 2}, 1.005, 1.01),  # through str(): no binary-float surprise
    ("number", {"decimals": 0, "max": 10}, 10.4, 10.0),
    ("number", {"decimals": 0}, "1e30", 1e30),  # too many digits to quantize: kept, not a crash
    ("number", {"decimals": 0}, "1e999999999", Err("not_number")),
    # limits, inclusive
    ("number", {"min": 1}, 1, 1.0),
    ("number", {"min": 1}, 0, Err("too_small", {"limit": 1})),
    ("number", {"min": 0.5}, 0.4, Err("too_small", {"limit": 0.5})),
    ("number", {"max": 10}, 10, 10.0),
    ("number", {"max": 10}, 10.5, Err("too_large", {"limit": 10})),
    ("number", {"min": -5, "max": 5}, "-6", Err("too_small", {"limit": -5})),
    # money: exact decimals rounded half-up to cents
    ("money", {}, 10, Decimal("10.00")),
    ("money", {}, "0.125", Decimal("0.13")),
    ("money", {}, "0.124", Decimal("0.12")),
    ("money", {}, 2.675, Decimal("2.68")),  # float 2.675 is 2.67499… in binary; money reads it as typed
    ("money", {}, "-0.125", Decimal("-0.13")),  # half away from zero
    ("money", {}, "¥1,234.565", Decimal("1234.57")),
    ("money", {}, "￥ 99", Decimal("99.00")),
    ("money", {}, "9999999999999999.99", Decimal("9999999999999999.99")),  # the largest that fits Numeric(18, 2)
    ("money", {}, "9999999999999999.995", Err("too_large", {"limit": "1e16"})),  # rounds up to the limit
    ("money", {}, "999999999999999.99", Decimal("999999999999999.99")),
    ("money", {}, "1e30", Err("too_large", {"limit": "1e16"})),
    ("money", {}, "-1e30", Err("too_large", {"limit": "1e16"})),
    ("money", {}, True, Err("not_number")),
    ("money", {}, "12 yuan", Err("not_number")),
    ("money", {}, ["1"], Err("not_number")),
    ("money", {"min": 0}, "-0.01", Err("too_small", {"limit": 0})),
    ("money", {"min": 0}, "-0.004", Decimal("-0.00")),  # rounds to zero, which is allowed
    ("money", {"max": 100}, "100.004", Decimal("100.00")),
    ("money", {"max": 100}, "100.005", Err("too_large", {"limit": 100})),
    # percent: 15 means 15 %
    ("percent", {}, 15, 15.0),
    ("percent", {}, "15%", 15.0),
    ("percent", {}, " 15.5 % ", 15.5),
    ("percent", {}, "%", Err("not_number")),
    ("percent", {}, "abc%", Err("not_number")),
    ("percent", {}, True, Err("not_number")),
    ("percent", {"min": 0, "max": 100}, "150%", Err("too_large", {"limit": 100})),
    ("percent", {"decimals": 1}, "12.345%", 12.3),
]


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


@pytest.mark.parametrize("kind, stored, expected", [
    ("number", 3.0, 3),
    ("number", 2.5, 2.5),
    ("number", None, None),
    ("money", Decimal("1.50"), 1.5),
    ("money", Decimal("10.00"), 10),
    ("percent", 15.0, 15),
])
def test_dump(kind, stored, expected):
    got = field_type(kind).dump(make(kind), stored, UTC)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("kind, props", [
    ("number", {"decimals": 11}),
    ("number", {"decimals": -1}),
    ("number", {"min": "low"}),
    ("money", {"currency": "usd"}),
    ("money", {"currency": "EURO"}),
    ("money", {"decimals": 2}),  # money is always cents
    ("percent", {"unit": "%"}),
])
def test_definition_rejected(kind, props):
    with pytest.raises(ValidationError):
        make(kind, **props)


def test_money_currency_defaults_to_cny():
    assert make("money").currency == "CNY"
