"""Guarded computed fields (min/max on formulas and rollups) and rollups over another form's sub-table rows:
which definitions an app may hold, and what each reads (engines/form/computed.py)."""
from __future__ import annotations

import copy

import pytest

from builder.validate import validate_app
from engines.expr import Scope, compile_expression
from engines.form import computed
from engines.problems import ProblemsError

SOLD = {"key": "sold", "type": "rollup", "source": "order.lines", "via": "product", "agg": "sum", "field": "qty",
        "parent_filter": "status NOT IN ('cancelled', 'refunded')"}
STOCK = {"key": "stock", "type": "formula", "expr": "received - sold", "min": 0, "message": "已售罄"}
APP = {
    "format": "nocode.app/v1", "key": "shop", "name": "小店",
    "forms": [
        {"key": "product", "name": "商品", "fields": [
            {"key": "name", "type": "text"}, {"key": "received", "type": "number"}, SOLD, STOCK]},
        {"key": "order", "name": "订单", "fields": [
            {"key": "status", "type": "select", "options": ["paid", "cancelled", "refunded"]},
            {"key": "note", "type": "text"},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "product", "type": "relation", "target": "product"},
                {"key": "qty", "type": "number"}, {"key": "on", "type": "date"}]}]},
    ],
}
PRODUCT = "/forms/0/fields"


def _app(**changes) -> dict:
    """APP with product fields replaced by key (None removes one)."""
    doc = copy.deepcopy(APP)
    fields = doc["forms"][0]["fields"]
    for key, field in changes.items():
        at = next(i for i, f in enumerate(fields) if f["key"] == key)
        if field is None:
            del fields[at]
        else:
            fields[at] = field
    return doc


def _problems(doc: dict) -> list[tuple[str, str]]:
    with pytest.raises(ProblemsError) as e:
        validate_app(doc)
    return [(p.path, p.code) for p in e.value.problems]


def test_the_stock_template_is_a_valid_app():
    app = validate_app(copy.deepcopy(APP))
    stock = app.form("product").field("stock")
    assert (stock.min, stock.max, stock.message, stock.guarded) == (0, None, "已售罄", True)
    assert app.form("product").field("sold").source == "order.lines"


@pytest.mark.parametrize("field", [
    {**STOCK, "min": 0, "max": 100},
    {**STOCK, "max": 10, "min": None, "message": None},
    {**STOCK, "result": "money"},
    {**STOCK, "result": "percent", "message": None},
    {**SOLD, "key": "stock", "min": 0},  # a rollup may be guarded too
    {**SOLD, "key": "stock", "agg": "max", "max": 5},
    {"key": "stock", "type": "rollup", "source": "order.lines", "via": "product", "agg": "count", "max": 3},
])
def test_number_formulas_and_rollups_may_be_guarded(field):
    validate_app(_app(stock=field))


@pytest.mark.parametrize("field, problem", [
    ({**STOCK, "min": 5, "max": 1}, (f"{PRODUCT}/3/max", "bad_range")),
    ({**STOCK, "min": None}, (f"{PRODUCT}/3/message", "guard_message_alone")),
    ({**STOCK, "expr": "name & '!'"}, (f"{PRODUCT}/3/min", "guard_not_number")),
    ({**STOCK, "expr": "received > sold", "max": 1, "min": None}, (f"{PRODUCT}/3/max", "guard_not_number")),
    ({**SOLD, "key": "stock", "agg": "max", "field": "on", "min": 0}, (f"{PRODUCT}/3/min", "guard_not_number")),
    ({**SOLD, "key": "stock", "message": "x"}, (f"{PRODUCT}/3/message", "guard_message_alone")),
])
def test_guards_that_cannot_hold_are_refused_with_their_place(field, problem):
    assert problem in _problems(_app(stock=field))


@pytest.mark.parametrize("props, problem", [
    ({"message": ""}, (f"{PRODUCT}/3/message", "schema")),
    ({"message": "x" * 201}, (f"{PRODUCT}/3/message", "schema")),
    ({"min": "none"}, (f"{PRODUCT}/3/min", "schema")),
])
def test_guard_properties_have_a_shape(props, problem):
    paths = [path for path, _ in _problems(_app(stock={**STOCK, **props}))]
    assert problem[0] in paths


@pytest.mark.parametrize("sold, problem", [
    ({**SOLD, "parent_filter": "qty > 1"}, (f"{PRODUCT}/2/parent_filter", "expr_unknown_field")),
    ({**SOLD, "parent_filter": "note"}, (f"{PRODUCT}/2/parent_filter", "expr_not_condition")),
    ({**SOLD, "source": "order", "via": "note", "parent_filter": None}, (f"{PRODUCT}/2/via", "rollup_via")),
    ({**SOLD, "source": "order.nothing"}, (f"{PRODUCT}/2/source", "unknown_form")),
    ({**SOLD, "source": "order.lines.deeper"}, (f"{PRODUCT}/2/source", "schema")),
])
def test_a_rollup_over_another_forms_rows_is_checked(sold, problem):
    found = _problems(_app(sold=sold, stock=None))  # a broken sold would first break the stock formula
    assert problem[0] in [path for path, _ in found], found
    if problem[1] != "schema":
        assert problem in found


def test_parent_filter_needs_a_sub_table_source():
    doc = copy.deepcopy(APP)
    doc["forms"][0]["fields"].append({"key": "orders", "type": "rollup", "relation": None, "source": "order.lines",
                                      "via": "product", "agg": "count"})
    doc["forms"].append({"key": "review", "name": "评价", "fields": [
        {"key": "product", "type": "relation", "target": "product"}, {"key": "ok", "type": "checkbox"}]})
    doc["forms"][0]["fields"].append({"key": "reviews", "type": "rollup", "source": "review", "via": "product",
                                      "agg": "count", "parent_filter": "ok"})
    assert (f"{PRODUCT}/5/parent_filter", "parent_filter_source") in _problems(doc)


def test_sold_reads_the_rows_and_the_status_of_their_order():
    app = validate_app(copy.deepcopy(APP))
    forms = {f.key: f for f in app.forms}
    nodes = computed.nodes(app.forms, lambda form, text: compile_expression(text, Scope(forms, form)))
    sold = next(n for n in nodes if n.name == "product.sold")
    back = computed.Hop("back", "order.lines", "product", "product")
    parent = computed.Hop("parent", "order.lines", "parent_id", "order")
    assert computed.Dep("order.lines", "qty", (back,)) in sold.deps
    assert computed.Dep("order", "status", (back, parent)) in sold.deps
    # the guarded stock and the sold it reads are locked before they are recomputed; nothing else is
    assert computed.guarded(nodes) == {"product.stock", "product.sold"}
    ordered, cycle = computed.order(nodes)
    assert cycle is None and [n.name for n in ordered].index("product.sold") < [n.name for n in ordered].index("product.stock")


def test_an_app_without_guards_locks_nothing():
    app = validate_app(_app(stock={**STOCK, "min": None, "message": None}))
    forms = {f.key: f for f in app.forms}
    nodes = computed.nodes(app.forms, lambda form, text: compile_expression(text, Scope(forms, form)))
    assert computed.guarded(nodes) == set()
