"""Formula fields and expression defaults through the API, on both databases."""
from __future__ import annotations

from tests.runtime.apps import records_url

APP = {
    "format": "nocode.app/v1", "key": "shop", "name": "小店",
    "forms": [
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "required": True}, {"key": "vip", "type": "checkbox"}]},
        {"key": "order", "name": "订单", "fields": [
            {"key": "customer", "type": "relation", "target": "customer"},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "qty", "type": "number", "required": True},
                {"key": "price", "type": "money", "required": True},
                {"key": "subtotal", "type": "formula", "expr": "qty * price", "result": "money"}]},
            {"key": "discount", "type": "percent"},
            {"key": "amount", "type": "formula", "expr": "SUM(lines.subtotal) * (1 - BLANKVALUE(discount, 0) / 100)",
             "result": "money"},
            {"key": "big", "type": "formula", "expr": "amount >= 100"},
            {"key": "label", "type": "formula", "expr": "customer.name & IF(customer.vip, '（VIP）', '')"},
            {"key": "due", "type": "date", "default": {"expr": "TODAY() + 7"}},
            {"key": "handler", "type": "number", "default": {"expr": "CURRENT_USER()"}},
        ]},
    ],
}


async def test_formulas_are_computed_on_write_and_can_be_filtered_and_sorted(api):
    await api.import_app(APP)
    vip = (await api.client.post(records_url("customer"), json={"name": "张三", "vip": True})).json()
    plain = (await api.client.post(records_url("customer"), json={"name": "李四"})).json()
    created = await api.client.post(records_url("order"), json={
        "customer": vip["id"], "discount": 10, "lines": [{"qty": 3, "price": 19.9}, {"qty": 1, "price": 50}]})
    assert created.status_code == 201, created.text
    order = created.json()
    assert [line["subtotal"] for line in order["lines"]] == [59.7, 50]
    assert order["amount"] == 98.73 and order["big"] is False and order["label"] == "张三（VIP）"
    assert order["handler"] == api.user_id and order["due"] > "2026-01-01"
    other = (await api.client.post(records_url("order"), json={
        "customer": plain["id"], "lines": [{"qty": 2, "price": 80}]})).json()
    assert other["amount"] == 160 and other["big"] is True and other["label"] == "李四"
    # changing a line recomputes the totals
    patched = await api.client.patch(f"{records_url('order')}/{order['id']}", json={
        "version": order["version"], "lines": [{"id": order["lines"][0]["id"], "qty": 10, "price": 19.9}]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["amount"] == 179.1 and patched.json()["big"] is True
    big = await api.client.get(records_url("order"), params={"filter": "big AND amount > 170", "sort": "-amount"})
    assert [r["id"] for r in big.json()["items"]] == [order["id"]]
    by_amount = await api.client.get(records_url("order"), params={"sort": "amount"})
    assert [r["amount"] for r in by_amount.json()["items"]] == [160, 179.1]
    # a client cannot set a formula
    refused = await api.client.post(records_url("order"), json={"amount": 1})
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["code"] == "generated"


async def test_publishing_a_new_formula_fills_it_for_existing_records(api):
    await api.import_app(APP)
    c = (await api.client.post(records_url("customer"), json={"name": "王五"})).json()
    order = (await api.client.post(records_url("order"), json={"customer": c["id"], "lines": [{"qty": 2, "price": 5}]})).json()
    doc = {**APP, "forms": [APP["forms"][0], {**APP["forms"][1], "fields": APP["forms"][1]["fields"] + [
        {"key": "lines_count", "type": "formula", "expr": "COUNT(lines)"},
        {"key": "per_line", "type": "formula", "expr": "amount / lines_count"}]}]}
    assert (await api.client.put("/api/apps/shop/draft", json=doc)).status_code == 200
    assert (await api.client.post("/api/apps/shop/publish")).status_code == 200
    again = (await api.client.get(f"{records_url('order')}/{order['id']}")).json()
    assert again["lines_count"] == 1 and again["per_line"] == 10
    assert (await api.client.get("/api/apps/shop")).json()["forms"][1]["fields"][-1]["result"] == "number"


async def test_formula_errors_are_refused_at_publish_with_their_position(api):
    doc = {**APP, "forms": [APP["forms"][0], {**APP["forms"][1], "fields": APP["forms"][1]["fields"] + [
        {"key": "oops", "type": "formula", "expr": "SUM(lines.qty) + customer.nam"}]}]}
    response = await api.client.post("/api/apps/import", json=doc)
    assert response.status_code == 422
    detail = response.json()["error"]["details"][0]
    assert detail["path"] == "/forms/1/fields/8/expr" and detail["position"] == 26
    assert "no field 'nam'" in detail["message"]


async def test_designers_get_the_functions_and_a_live_check(api):
    await api.import_app(APP)
    functions = (await api.client.get("/api/expr/functions")).json()
    names = {f["name"] for f in functions}
    assert {"IF", "SUM", "TODAY", "HAS_TAG", "CURRENT_USER"} <= names
    assert all(f["doc"]["zh-CN"] and f["doc"]["en"] and f["signature"] for f in functions)
    ok = await api.client.post("/api/expr/check", json={"app": "shop", "form": "order", "expr": "customer.name & '!'"})
    assert ok.json() == {"type": "text", "reads": ["customer.name"]}
    row = await api.client.post("/api/expr/check", json={"app": "shop", "form": "order.lines", "expr": "qty * price",
                                                         "expect": "number"})
    assert row.json()["type"] == "number"
    bad = await api.client.post("/api/expr/check", json={"app": "shop", "form": "order", "expr": "amount > 'x'",
                                                         "expect": "bool"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["position"] == 0


async def test_date_and_datetime_formulas_read_back_as_dates(api):
    doc = {"format": "nocode.app/v1", "key": "crm", "name": "CRM", "forms": [{"key": "lead", "name": "线索", "fields": [
        {"key": "met_at", "type": "datetime"}, {"key": "met_on", "type": "date"},
        {"key": "follow_up_at", "type": "formula", "expr": "met_at + 1.5"},
        {"key": "follow_up_on", "type": "formula", "expr": "met_on + 3"},
        {"key": "summary", "type": "formula", "expr": "'见面 ' & met_at"}]}]}
    await api.import_app(doc)
    lead = (await api.client.post(records_url("lead", "crm"), json={
        "met_at": "2026-11-20T10:15:30.250", "met_on": "2026-11-30"})).json()
    assert lead["follow_up_at"] == "2026-11-21T22:15:30.250000+08:00"
    assert lead["follow_up_on"] == "2026-12-03"
    assert lead["summary"] == "见面 2026-11-20 10:15:30"


async def test_deep_filters_either_run_or_get_a_clear_error(api):
    await api.import_app(APP)
    for levels in (8, 12, 16, 30):
        nested = "0"
        for _ in range(levels):
            nested = f"IF(BLANKVALUE(discount, 0) > 1, {nested} + 1, 0)"
        response = await api.client.get(records_url("order"), params={"filter": f"{nested} >= 0"})
        assert response.status_code in (200, 400, 422), (levels, response.text)
        if response.status_code != 200:
            assert response.json()["error"]["details"][0]["code"] == "expr_too_deep"
