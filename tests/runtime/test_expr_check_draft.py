"""POST /api/expr/check against the builder's working copy: fields not yet published count, a broken copy is 422."""
from __future__ import annotations

import copy

from tests.runtime.test_formulas import APP

CHECK = "/api/expr/check"


def _working_copy() -> dict:
    """APP with fields the published version does not have yet: a new number, a sub-table column and a formula."""
    doc = copy.deepcopy(APP)
    order = doc["forms"][1]
    order["fields"].append({"key": "shipping", "type": "money", "label": "运费"})
    order["fields"].append({"key": "total", "type": "formula", "expr": "amount + shipping"})
    order["fields"][1]["fields"].append({"key": "weight", "type": "number"})
    order["linkage"] = [{"when": "shipping > 0", "show": ["shipping"]}]
    doc["reports"] = [{"key": "half_made", "name": "做了一半"}]  # another designer's unfinished work
    return doc


async def test_a_formula_may_read_fields_only_the_working_copy_has(api):
    await api.import_app(APP)
    body = {"app": "shop", "form": "order", "expr": "amount + shipping"}
    unpublished = await api.client.post(CHECK, json=body)
    assert unpublished.status_code == 422
    assert "shipping" in unpublished.json()["error"]["details"][0]["message"]

    draft = await api.client.post(CHECK, json={**body, "definition": _working_copy()})
    assert draft.status_code == 200, draft.text
    assert draft.json() == {"type": "number", "reads": ["amount", "shipping"]}
    # a formula of the copy is typed by what it computes, though it names no result
    total = await api.client.post(CHECK, json={**body, "expr": "total > 10", "expect": "bool",
                                               "definition": _working_copy()})
    assert total.status_code == 200 and total.json()["type"] == "bool"
    row = await api.client.post(CHECK, json={"app": "shop", "form": "order.lines", "expr": "weight * qty",
                                             "definition": _working_copy()})
    assert row.status_code == 200 and row.json()["type"] == "number"


async def test_a_mistake_in_the_expression_answers_with_its_position(api):
    bad = await api.client.post(CHECK, json={"app": "shop", "form": "order", "expr": "amount + shiping",
                                             "definition": _working_copy()})
    assert bad.status_code == 422
    detail = bad.json()["error"]["details"][0]
    assert detail["path"] == "/expr" and detail["position"] == 9 and "shiping" in detail["message"]


async def test_an_app_not_yet_published_can_be_checked_from_its_copy(api):
    doc = {**_working_copy(), "key": "brand_new"}
    response = await api.client.post(CHECK, json={"app": "brand_new", "form": "customer", "expr": "name & '!'",
                                                  "definition": doc})
    assert response.status_code == 200 and response.json()["type"] == "text"
    missing = await api.client.post(CHECK, json={"app": "brand_new", "form": "nope", "expr": "1", "definition": doc})
    assert missing.status_code == 404


async def test_forms_that_do_not_validate_answer_422_with_their_problems(api):
    doc = _working_copy()
    doc["forms"][1]["fields"].append({"key": "Bad Key", "type": "number"})
    doc["forms"][0]["fields"][0]["colour"] = "red"
    response = await api.client.post(CHECK, json={"app": "shop", "form": "order", "expr": "1", "definition": doc})
    assert response.status_code == 422
    details = {d["path"]: d for d in response.json()["error"]["details"]}
    assert details["/forms/1/fields/10/key"]["code"] == "bad_key"
    assert details["/forms/0/fields/0/colour"]["code"] == "unknown_key"
