"""money, date, datetime and cn_upper (人民币大写)."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from engines.print.filters import cn_upper, make_date_filters, money


@pytest.mark.parametrize("value, expected", [
    (0, "零元整"),
    (0.5, "伍角整"),
    ("0.05", "伍分"),
    (0.55, "伍角伍分"),
    (10, "壹拾元整"),
    (15, "壹拾伍元整"),
    (101, "壹佰零壹元整"),
    (1001.01, "壹仟零壹元零壹分"),
    (1234.5, "壹仟贰佰叁拾肆元伍角整"),
    (1234.56, "壹仟贰佰叁拾肆元伍角陆分"),
    (10.05, "壹拾元零伍分"),
    (10000, "壹万元整"),
    (100010, "壹拾万零壹拾元整"),
    (1000000, "壹佰万元整"),
    (20000001, "贰仟万零壹元整"),
    (100000000, "壹亿元整"),
    (100100000, "壹亿零壹拾万元整"),
    (Decimal("123456789.12"), "壹亿贰仟叁佰肆拾伍万陆仟柒佰捌拾玖元壹角贰分"),
    (-3.2, "负叁元贰角整"),
    ("1,234.50", "壹仟贰佰叁拾肆元伍角整"),
    (0.005, "壹分"),
    (None, ""),
])
def test_cn_upper(value, expected):
    assert cn_upper(value) == expected


def test_cn_upper_refuses_what_is_not_an_amount():
    with pytest.raises(ValueError):
        cn_upper("abc")
    with pytest.raises(ValueError):
        cn_upper(10**16)


@pytest.mark.parametrize("value, expected", [
    (1234.5, "¥1,234.50"), (0, "¥0.00"), (-3, "-¥3.00"), ("1,234.5", "¥1,234.50"), (None, ""), ("", ""),
    (Decimal("0.005"), "¥0.01"), (1234567.891, "¥1,234,567.89"),
])
def test_money(value, expected):
    assert money(value) == expected


def test_money_symbol_and_decimals():
    assert money(5, "$", 0) == "$5" and money(5, "") == "5.00"


def test_dates_show_in_the_deployment_zone():
    filters = make_date_filters(ZoneInfo("Asia/Shanghai"))
    assert filters["date"]("2026-03-01") == "2026-03-01"
    assert filters["date"](date(2026, 3, 1), "%Y年%m月%d日") == "2026年03月01日"
    assert filters["datetime"](datetime(2026, 3, 1, 1, 30, tzinfo=timezone.utc)) == "2026-03-01 09:30"
    assert filters["datetime"]("2026-03-01T09:30:00+08:00", "%H:%M") == "09:30"
    assert filters["date"](None) == "" and filters["datetime"]("") == ""
    with pytest.raises(ValueError):
        filters["date"]("soon")
