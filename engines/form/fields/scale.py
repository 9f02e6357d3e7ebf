"""Values on a scale: a star rating (1..max) and a slider (a number between min and max in steps)."""
from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from engines.form.fields.base import FieldBase, FieldError, FieldType
from engines.form.fields.number import check_range, parse_decimal, plain
from engines.problems import Problem

_STARS = "★☆"


class RatingDef(FieldBase):
    max: int = Field(default=5, ge=1, le=10, description="the number of stars")


class Rating(FieldType):
    expr_kind = "number"
    key = "rating"
    icon = "StarOutlined"
    label = ("评分", "Rating")
    storage = "integer"
    props = RatingDef
    widget = "rating"
    unique_ok = False

    def coerce(self, f, value, ctx):
        if isinstance(value, str) and value.strip() and set(value.strip()) <= set(_STARS):
            value = value.count("★")  # "★★★☆☆" as shown in an export of another tool
            if value == 0:
                raise FieldError("too_small", limit=1)
        number = parse_decimal(value)
        if number != number.to_integral_value():
            raise FieldError("not_integer")
        if number < 1:
            raise FieldError("too_small", limit=1)
        if number > f.max:
            raise FieldError("too_large", limit=f.max)
        return int(number)


class SliderDef(FieldBase):
    min: float = 0
    max: float = 100
    step: float = Field(default=1, gt=0, description="values are min + k × step")


class Slider(FieldType):
    expr_kind = "number"
    key = "slider"
    icon = "SlidersOutlined"
    label = ("滑块", "Slider")
    storage = "float"
    props = SliderDef
    widget = "slider"
    unique_ok = False

    def coerce(self, f, value, ctx):
        number = parse_decimal(value)
        check_range(f, number)
        # exact decimals, so 0.1 steps accept 0.3 (floats would not)
        steps = (number - Decimal(str(f.min))) / Decimal(str(f.step))
        if steps != steps.to_integral_value():
            raise FieldError("off_step", step=plain(f.step), min=plain(f.min))
        return float(number)

    def dump(self, f, stored, ctx):
        return plain(stored)

    def check_def(self, f):
        if f.min >= f.max:
            return [Problem("/max", "bad_range", {"min": plain(f.min), "max": plain(f.max)})]
        if f.step > f.max - f.min:
            return [Problem("/step", "too_large", {"limit": plain(f.max - f.min)})]
        return []
