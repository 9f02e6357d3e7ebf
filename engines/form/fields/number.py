"""Numbers, money (exact decimals) and percentages (15 means 15%)."""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType


class NumberDef(FieldBase):
    min: float | None = None
    max: float | None = None
    decimals: int | None = Field(default=None, ge=0, le=10)


class MoneyDef(FieldBase):
    min: float | None = None
    max: float | None = None
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")


def parse_decimal(value) -> Decimal:
    if isinstance(value, bool):
        raise FieldError("not_number", value=value)
    if isinstance(value, str):
        value = value.strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
    try:
        number = Decimal(str(value)) if isinstance(value, (int, float, str)) else None
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise FieldError("not_number", value=value)
    return number


def check_range(f, number) -> None:
    if f.min is not None and number < Decimal(str(f.min)):
        raise FieldError("too_small", limit=plain(f.min))
    if f.max is not None and number > Decimal(str(f.max)):
        raise FieldError("too_large", limit=plain(f.max))


def plain(number):
    """A float that is whole prints as an int in JSON (3, not 3.0)."""
    if number is None:
        return None
    number = float(number)
    return int(number) if number.is_integer() and abs(number) < 2**53 else number


class Number(FieldType):
    expr_kind = "number"
    key = "number"
    icon = "NumberOutlined"
    label = ("数字", "Number")
    storage = "float"
    props = NumberDef
    widget = "number"

    def coerce(self, f, value, ctx):
        if f.decimals is None and type(value) in (int, float):  # the common case, without Decimal's cost
            if abs(value) >= 1e300 or not math.isfinite(value):
                raise FieldError("not_number", value=value)
            if (f.min is not None and value < f.min) or (f.max is not None and value > f.max):
                check_range(f, Decimal(str(value)))
            return float(value)
        number = parse_decimal(value)
        if f.decimals is not None:
            try:
                number = number.quantize(Decimal(1).scaleb(-f.decimals), rounding=ROUND_HALF_UP)
            except InvalidOperation:  # more digits than Decimal's precision: too big for decimals to matter
                pass
        check_range(f, number)
        result = float(number)
        if math.isinf(result):
            raise FieldError("not_number", value=value)
        return result

    def dump(self, f, stored, ctx):
        return plain(stored)


class Money(FieldType):
    expr_kind = "number"
    key = "money"
    icon = "MoneyCollectOutlined"
    label = ("金额", "Money")
    storage = "decimal"
    props = MoneyDef
    widget = "money"

    def coerce(self, f, value, ctx):
        number = parse_decimal(value)
        # Checked before rounding too: quantize raises on numbers beyond Decimal's 28-digit precision.
        if abs(number) >= Decimal("1e16"):
            raise FieldError("too_large", limit="1e16")
        number = number.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if abs(number) >= Decimal("1e16"):
            raise FieldError("too_large", limit="1e16")
        check_range(f, number)
        return number

    def dump(self, f, stored, ctx):
        return plain(stored)


class Percent(Number):
    key = "percent"
    icon = "PercentageOutlined"
    label = ("百分比", "Percent")
    props = NumberDef
    widget = "percent"

    def coerce(self, f, value, ctx):
        if isinstance(value, str) and value.strip().endswith("%"):
            value = value.strip()[:-1]
        return super().coerce(f, value, ctx)
