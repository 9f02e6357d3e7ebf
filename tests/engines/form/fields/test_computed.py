"""engines/form/fields/computed.py: lookups and rollups take their column type and output from what they read."""
from __future__ import annotations

from datetime import date, timezone

import pytest

from builder.model import AppDef
from engines.form.fields import field_type
from engines.form.fields.base import Context
from fieldcases import Err, check, params

CASES = [
    ("lookup", {"relation": "customer", "field": "name"}, "x", Err("generated", {})),
    ("rollup", {"relation": "lines", "agg": "count"}, 3, Err("generated", {})),
]
UTC = Context(tz=timezone.utc)


@pytest.mark.parametrize("kind, props, value, expected", params(CASES))
def test_coerce(kind, props, value, expected):
    check(kind, props, value, expected)


def _app(order_fields: list) -> AppDef:
    return AppDef.model_validate({"format": "nocode.app/v1", "key": "shop", "name": "店", "forms": [
        {"key": "leader", "name": "团长", "fields": [
            {"key": "level", "type": "select", "options": [{"value": "a", "label": "金牌"}]},
            {"key": "joined", "type": "date"}]},
        {"key": "customer", "name": "客户", "fields": [
            {"key": "name", "type": "text"}, {"key": "leader", "type": "relation", "target": "leader"},
            {"key": "spent", "type": "money"}]},
        {"key": "order", "name": "订单", "fields": [
            {"key": "customer", "type": "relation", "target": "customer"},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "qty", "type": "number"}, {"key": "price", "type": "money"}, {"key": "on", "type": "date"}]},
            *order_fields]}]})


def _field(app: AppDef, key: str):
    return app.form("order").field(key)


@pytest.mark.parametrize("props, storage", [
    ({"relation": "customer", "field": "name"}, "text"),
    ({"relation": "customer", "field": "spent"}, "decimal"),
    ({"relation": "customer", "field": "leader"}, "integer"),
    ({"relation": "customer", "field": "leader.joined"}, "date"),
])
def test_a_lookup_is_stored_like_the_field_it_reads_however_far(props, storage):
    f = _field(_app([{"key": "x", "type": "lookup", **props}]), "x")
    assert field_type("lookup").storage_for(f) == storage


def test_a_lookup_shows_what_it_reads_as_that_field_would():
    f = _field(_app([{"key": "x", "type": "lookup", "relation": "customer", "field": "leader.joined"}]), "x")
    assert field_type("lookup").dump(f, date(2026, 3, 1), UTC) == "2026-03-01"


@pytest.mark.parametrize("agg, field, storage", [
    ("count", None, "integer"), ("sum", "price", "decimal"), ("sum", "qty", "float"), ("avg", "price", "float"),
    ("min", "on", "date"), ("max", "price", "decimal"),
])
def test_a_rollup_is_stored_by_what_it_computes(agg, field, storage):
    f = _field(_app([{"key": "x", "type": "rollup", "relation": "lines", "agg": agg, "field": field}]), "x")
    assert field_type("rollup").storage_for(f) == storage


def test_rollup_output():
    app = _app([{"key": "n", "type": "rollup", "relation": "lines", "agg": "count"},
                {"key": "avg", "type": "rollup", "relation": "lines", "agg": "avg", "field": "qty", "decimals": 1},
                {"key": "last", "type": "rollup", "relation": "lines", "agg": "max", "field": "on"}])
    rollup = field_type("rollup")
    assert rollup.dump(_field(app, "n"), 3.0, UTC) == 3
    assert rollup.dump(_field(app, "avg"), 2.349, UTC) == 2.3
    assert rollup.dump(_field(app, "last"), date(2026, 1, 2), UTC) == "2026-01-02"
    assert rollup.dump(_field(app, "n"), None, UTC) is None
