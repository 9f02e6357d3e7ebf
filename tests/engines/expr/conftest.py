"""Forms for the expression-language unit tests: an order with a relation chain, a sub-table, a many-relation
and one field of each kind, and the evaluation context (a fixed moment in Shanghai)."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from engines.expr import EvalContext, Scope
from engines.form.definition import FormDef

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-11-25 20:00 UTC is already 2026-11-26 04:00 in Shanghai: TODAY() must follow the zone, not UTC.
NOW = datetime(2026, 11, 25, 20, 0, tzinfo=timezone.utc)

FORMS = {form["key"]: FormDef.model_validate(form) for form in [
    {"key": "leader", "name": "团长", "fields": [
        {"key": "name", "type": "text"}, {"key": "level", "type": "select", "options": ["gold", "silver"]}]},
    {"key": "customer", "name": "客户", "fields": [
        {"key": "name", "type": "text"}, {"key": "leader", "type": "relation", "target": "leader"},
        {"key": "vip", "type": "checkbox"}, {"key": "tags", "type": "tags"}]},
    {"key": "product", "name": "商品", "fields": [
        {"key": "name", "type": "text"}, {"key": "price", "type": "money"}]},
    {"key": "order", "name": "订单", "fields": [
        {"key": "customer", "type": "relation", "target": "customer"},
        {"key": "gifts", "type": "relation", "target": "product", "many": True},
        {"key": "status", "type": "select", "options": ["paid", "refunded"]},
        {"key": "amount", "type": "money"}, {"key": "weight", "type": "number"}, {"key": "rate", "type": "percent"},
        {"key": "paid_on", "type": "date"}, {"key": "due_on", "type": "date"}, {"key": "paid_at", "type": "datetime"},
        {"key": "note", "type": "text"}, {"key": "vip", "type": "checkbox"}, {"key": "tags", "type": "tags"},
        {"key": "phone", "type": "phone"},
        {"key": "lines", "type": "subtable", "fields": [
            {"key": "product", "type": "relation", "target": "product"},
            {"key": "qty", "type": "number"}, {"key": "price", "type": "money"}, {"key": "memo", "type": "text"},
            {"key": "gift", "type": "checkbox"}]}]},
]}


@pytest.fixture
def scope() -> Scope:
    return Scope(FORMS, "order")


@pytest.fixture
def ctx() -> EvalContext:
    return EvalContext(now=NOW, tz=SHANGHAI, user_id=7)
