"""Field mapping: JSON paths and expressions over JSON-like data whose types are read off the values."""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

import pytest

from engines.expr import EvalContext
from engines.integration import Evaluator, MappingError, items_of, read_path

CTX = EvalContext(datetime(2026, 3, 1, tzinfo=timezone.utc), timezone.utc)
RESPONSE = {"code": 0, "data": {"stock": 5, "warehouse": "WH1",
                                "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 3, "note": "x"}]},
            "tags": ["a", "b"], "missing": None}


@pytest.mark.parametrize("path,expected", [
    ("$", RESPONSE), ("$.code", 0), ("$.data.stock", 5), ("$.data.items[1].sku", "B2"), ("$.data.items[-1].qty", 3),
    ("$.data.items[5].qty", None), ("$.nothing.here", None), ("$['data']['warehouse']", "WH1"), ("$.tags[0]", "a")])
def test_paths_read_the_document(path, expected):
    assert read_path(RESPONSE, path) == expected


@pytest.mark.parametrize("path", ["data.stock", "$..x", "$.a[", "$[x]"])
def test_bad_paths_are_refused(path):
    with pytest.raises(MappingError):
        read_path(RESPONSE, path)


@pytest.mark.parametrize("spec,expected", [
    ("response.data.stock * 2", 10), ("SUM(response.data.items.qty)", 5), ("COUNT(response.data.items)", 2),
    ("IF(response.code = 0, 'ok', 'bad')", "ok"), ("no & '-' & response.data.warehouse", "DD1-WH1"),
    ("amount * 2", 21), ("ISBLANK(response.missing)", True), ("ISBLANK(response.absent)", True),
    ("$.response.data.items[0].sku", "A1"), ("paid_on", datetime(2026, 2, 1))])
def test_expressions_see_the_scope_with_types_read_off_the_values(spec, expected):
    values = {"no": "DD1", "amount": Decimal("10.5"), "paid_on": datetime(2026, 2, 1), "response": RESPONSE}
    assert Evaluator(values, CTX).value(spec) == expected


def test_a_body_nests_keys_and_maps_each_item_of_a_list():
    order = {"no": "DD1", "customer": {"id": 3, "code": "C1"},
             "lines": [{"sku": "A1", "qty": 2.0, "price": 10.5}, {"sku": "B2", "qty": 1.0, "price": 3}]}
    body = Evaluator(order, CTX).build({
        "order_no": "no", "buyer.code": "customer.code",
        "lines": {"each": "lines", "map": {"sku": "sku", "total": "qty * price", "order": "no"}}})
    assert body == {"order_no": "DD1", "buyer": {"code": "C1"},
                    "lines": [{"sku": "A1", "total": 21.0, "order": "DD1"},
                              {"sku": "B2", "total": 3.0, "order": "DD1"}]}


def test_templates_and_bad_expressions():
    values = Evaluator({"sku": "A 1", "qty": 2.0}, CTX)
    assert values.render("/stock/{sku}/{qty}") == "/stock/A 1/2"
    with pytest.raises(MappingError) as refused:
        values.value("qty +")
    assert refused.value.code == "mapping_expression"


def test_items_are_the_list_at_the_path_or_the_document_itself():
    assert items_of(RESPONSE, "$.data.items") == RESPONSE["data"]["items"]
    assert items_of({"one": 1}, None) == [{"one": 1}]
    assert items_of([1, 2], None) == [1, 2]
    assert items_of(RESPONSE, "$.nothing") == []
