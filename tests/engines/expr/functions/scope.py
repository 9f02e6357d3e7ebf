"""A small form and helpers for evaluating expressions in Python through compile_expression."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from engines.expr import EvalContext, ExprError, Scope, compile_expression
from engines.form.definition import FormDef

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 26, 2, 30, tzinfo=timezone.utc)  # 10:30 on Thursday 2026-11-26 in Shanghai
CTX = EvalContext(now=NOW, tz=SHANGHAI, user_id=7)

ITEM = FormDef.model_validate({"key": "item", "name": "条目", "fields": [
    {"key": "num", "type": "number"}, {"key": "num2", "type": "number"}, {"key": "money", "type": "money"},
    {"key": "words", "type": "text"}, {"key": "part", "type": "text"}, {"key": "tags", "type": "tags"},
    {"key": "flag", "type": "checkbox"}, {"key": "day", "type": "date"}, {"key": "day2", "type": "date"},
    {"key": "at", "type": "datetime"}, {"key": "unit", "type": "text"},
    {"key": "lines", "type": "subtable", "fields": [{"key": "qty", "type": "number"}]}]})
SCOPE = Scope({"item": ITEM}, "item")


def evaluate(text: str, **record):
    return compile_expression(text, SCOPE).evaluate(record, CTX)


def result_kind(text: str) -> str:
    return compile_expression(text, SCOPE).type.kind


def error(text: str) -> tuple[str, int]:
    """(code, 0-based position) of the error checking `text` raises."""
    with pytest.raises(ExprError) as info:
        compile_expression(text, SCOPE)
    return info.value.code, info.value.position


def approx(value):
    return pytest.approx(value, rel=1e-12, abs=1e-12) if isinstance(value, float) else value
