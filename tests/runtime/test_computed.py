"""Lookups, rollups and formulas that read each other, kept true on every write, on both databases."""
from __future__ import annotations

import copy

from tests.runtime.apps import records_url

APP = {
    "format": "nocode.app/v1", "key": "shop", "name": "小店",
    "forms": [
        {"key": "leader", "name": "团长", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "required": True},
            {"key": "level", "type": "number"},
            # a rollup of a rollup: the paid totals of the leader's customers
            {"key": "gmv", "type": "rollup", "source": "customer", "via": "leader", "agg": "sum",
             "field": "paid_total"},
            {"key": "customers", "type": "rollup", "source": "customer", "via": "leader", "agg": "count"}]},
        {"key": "product", "name": "商品", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "required": True},
            {"key": "cost", "type": "money"}]},
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "required": True},
            {"key": "leader", "type": "relation", "target": "leader"},
            {"key": "leader_level", "type": "lookup", "relation": "leader", "field": "level"},
            {"key": "paid_total", "type": "rollup", "source": "order", "via": "customer", "agg": "sum",
             "field": "amount", "filter": "status = 'paid'"},
            {"key": "orders", "type": "rollup", "source": "order", "via": "customer", "agg": "count"},
            {"key": "last_paid", "type": "rollup", "source": "order", "via": "customer", "agg": "max",
             "field": "paid_on"}]},
        {"key": "order", "name": "订单", "fields": [
            {"key": "customer", "type": "relation", "target": "customer"},
            {"key": "status", "type": "select", "default": "paid", "options": ["paid", "refunded"]},
            {"key": "paid_on", "type": "date"},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "product", "type": "relation", "target": "product", "required": True},
                {"key": "qty", "type": "number", "required": True},
                {"key": "price", "type": "money", "required": True},
                {"key": "cost", "type": "lookup", "relation": "product", "field": "cost"},
                {"key": "margin", "type": "formula", "expr": "(price - BLANKVALUE(cost, 0)) * qty", "result": "money"},
                {"key": "subtotal", "type": "formula", "expr": "qty * price", "result": "money"}]},
            {"key": "amount", "type": "formula", "expr": "SUM(lines.subtotal)", "result": "money"},
            {"key": "margin", "type": "formula", "expr": "SUM(lines.margin)", "result": "money"},
            {"key": "big_lines", "type": "rollup", "relation": "lines", "agg": "count", "filter": "qty >= 10"},
            # a multi-hop lookup, a lookup of a rollup and a formula over it
            {"key": "leader_level", "type": "lookup", "relation": "customer", "field": "leader.level"},
            {"key": "customer_total", "type": "lookup", "relation": "customer", "field": "paid_total"},
            {"key": "tier", "type": "formula", "expr": "IF(customer_total >= 1000, 'vip', 'normal')"}]},
    ],
}


async def _create(api, form: str, data: dict) -> dict:
    response = await api.client.post(records_url(form), json=data)
    assert response.status_code == 201, response.text
    return response.json()


async def _get(api, form: str, record: dict) -> dict:
    return (await api.client.get(f"{records_url(form)}/{record['id']}")).json()


async def _patch(api, form: str, record: dict, data: dict) -> dict:
    current = await _get(api, form, record)
    response = await api.client.patch(f"{records_url(form)}/{record['id']}", json={**data, "version": current["version"]})
    assert response.status_code == 200, response.text
    return response.json()


async def test_computed_fields_follow_every_change_they_read(api):
    await api.import_app(APP)
    li = await _create(api, "leader", {"name": "李团长", "level": 2})
    wang = await _create(api, "leader", {"name": "王团长", "level": 5})
    apple = await _create(api, "product", {"name": "苹果", "cost": 3})
    alice = await _create(api, "customer", {"name": "Alice", "leader": li["id"]})
    bob = await _create(api, "customer", {"name": "Bob", "leader": wang["id"]})
    assert alice["leader_level"] == 2 and alice["paid_total"] == 0 and alice["orders"] == 0

    order = await _create(api, "order", {"customer": alice["id"], "paid_on": "2026-03-01", "lines": [
        {"product": apple["id"], "qty": 10, "price": 50}, {"product": apple["id"], "qty": 2, "price": 5}]})
    assert order["amount"] == 510 and order["margin"] == 474 and order["big_lines"] == 1
    assert [line["cost"] for line in order["lines"]] == [3, 3]
    assert order["leader_level"] == 2 and order["customer_total"] == 510 and order["tier"] == "normal"
    alice = await _get(api, "customer", alice)
    assert alice["paid_total"] == 510 and alice["orders"] == 1 and alice["last_paid"] == "2026-03-01"
    assert (await _get(api, "leader", li))["gmv"] == 510

    # a second order: the customer's total crosses 1000, and the first order's tier follows (lookup of a rollup)
    second = await _create(api, "order", {"customer": alice["id"], "paid_on": "2026-04-02", "lines": [
        {"product": apple["id"], "qty": 1, "price": 600}]})
    assert second["tier"] == "vip"
    assert (await _get(api, "order", order))["tier"] == "vip"
    assert (await _get(api, "customer", alice))["last_paid"] == "2026-04-02"
    assert (await _get(api, "leader", li))["gmv"] == 1110

    # a refund leaves the paid total (filter), and everything downstream follows
    await _patch(api, "order", second, {"status": "refunded"})
    assert (await _get(api, "customer", alice))["paid_total"] == 510
    assert (await _get(api, "order", order))["tier"] == "normal"
    assert (await _get(api, "leader", li))["gmv"] == 510

    # the product's cost changes: the line lookups, line margins and the order's margin follow
    await _patch(api, "product", apple, {"cost": 4})
    refreshed = await _get(api, "order", order)
    assert [line["cost"] for line in refreshed["lines"]] == [4, 4] and refreshed["margin"] == 462

    # the leader's level changes: two hops away on the order, one on the customer
    await _patch(api, "leader", li, {"level": 3})
    assert (await _get(api, "order", order))["leader_level"] == 3
    assert (await _get(api, "customer", alice))["leader_level"] == 3

    # the order moves to another customer: both customers and both leaders are recomputed
    await _patch(api, "order", order, {"customer": bob["id"]})
    assert (await _get(api, "customer", alice))["paid_total"] == 0
    assert (await _get(api, "customer", bob))["paid_total"] == 510
    assert (await _get(api, "leader", li))["gmv"] == 0 and (await _get(api, "leader", wang))["gmv"] == 510
    assert (await _get(api, "order", order))["leader_level"] == 5

    # the customer moves to another leader: the old leader loses, the new one gains
    await _patch(api, "customer", bob, {"leader": li["id"]})
    assert (await _get(api, "leader", wang))["gmv"] == 0 and (await _get(api, "leader", li))["gmv"] == 510
    assert (await _get(api, "leader", li))["customers"] == 2 and (await _get(api, "leader", wang))["customers"] == 0

    # the order goes: the totals drop back
    assert (await api.client.delete(f"{records_url('order')}/{order['id']}")).status_code == 204
    assert (await _get(api, "customer", bob))["paid_total"] == 0 and (await _get(api, "customer", bob))["orders"] == 0
    assert (await _get(api, "leader", li))["gmv"] == 0

    # the leader goes: the customers' relation empties and their lookups with it
    assert (await api.client.delete(f"{records_url('leader')}/{li['id']}")).status_code == 204
    alice = await _get(api, "customer", alice)
    assert alice["leader"] is None and alice["leader_level"] is None


async def test_rollups_filter_and_sort_like_any_column(api):
    await api.import_app(APP)
    c1 = await _create(api, "customer", {"name": "甲"})
    c2 = await _create(api, "customer", {"name": "乙"})
    p = await _create(api, "product", {"name": "梨"})
    for customer, price in ((c1, 100), (c2, 300), (c2, 50)):
        await _create(api, "order", {"customer": customer["id"], "lines": [{"product": p["id"], "qty": 1, "price": price}]})
    listed = await api.client.get(records_url("customer"), params={"filter": "paid_total > 200", "sort": "-paid_total"})
    assert [r["name"] for r in listed.json()["items"]] == ["乙"]
    assert listed.json()["items"][0]["paid_total"] == 350 and listed.json()["items"][0]["orders"] == 2


async def test_a_new_rollup_is_filled_for_existing_records_at_publish(api):
    doc = copy.deepcopy(APP)
    customer = doc["forms"][2]
    customer["fields"] = [f for f in customer["fields"] if f["type"] != "rollup"]
    doc["forms"][0]["fields"] = [f for f in doc["forms"][0]["fields"] if f["type"] != "rollup"]
    doc["forms"][3]["fields"] = [f for f in doc["forms"][3]["fields"] if f["key"] not in ("customer_total", "tier")]
    await api.import_app(doc)
    c = await _create(api, "customer", {"name": "丙"})
    p = await _create(api, "product", {"name": "桃"})
    await _create(api, "order", {"customer": c["id"], "lines": [{"product": p["id"], "qty": 3, "price": 10}]})
    assert (await api.client.put("/api/apps/shop/draft", json=APP)).status_code == 200
    published = await api.client.post("/api/apps/shop/publish")
    assert published.status_code == 200, published.text
    assert (await _get(api, "customer", c))["paid_total"] == 30


async def test_cycles_between_computed_fields_are_refused_with_their_path(api):
    doc = copy.deepcopy(APP)
    doc["forms"][3]["fields"].append(
        {"key": "echo", "type": "lookup", "relation": "customer", "field": "echo_total"})
    doc["forms"][2]["fields"].append(
        {"key": "echo_total", "type": "rollup", "source": "order", "via": "customer", "agg": "sum", "field": "echo"})
    response = await api.client.post("/api/apps/import", json=doc)
    assert response.status_code == 422
    problem = response.json()["error"]["details"][0]
    assert problem["code"] == "computed_cycle"
    assert "order.echo" in problem["message"] and "customer.echo_total" in problem["message"]


async def test_bad_lookups_and_rollups_are_refused_at_their_place(api):
    doc = copy.deepcopy(APP)
    order = doc["forms"][3]["fields"]
    order.append({"key": "x1", "type": "lookup", "relation": "status", "field": "name"})
    order.append({"key": "x2", "type": "lookup", "relation": "customer", "field": "nickname"})
    order.append({"key": "x3", "type": "rollup", "source": "customer", "via": "leader", "agg": "sum", "field": "name"})
    order.append({"key": "x4", "type": "rollup", "relation": "lines", "agg": "sum", "field": "product"})
    order.append({"key": "x5", "type": "rollup", "relation": "lines", "agg": "sum", "field": "qty", "filter": "qty >"})
    response = await api.client.post("/api/apps/import", json=doc)
    assert response.status_code == 422
    found = {p["path"]: p["code"] for p in response.json()["error"]["details"]}
    assert found == {
        "/forms/3/fields/10/relation": "lookup_relation",
        "/forms/3/fields/11/field": "lookup_field",
        "/forms/3/fields/12/via": "rollup_via",
        "/forms/3/fields/13/field": "rollup_field_type",
        "/forms/3/fields/14/filter": "expr_syntax",
    }


async def test_a_formula_reading_today_is_recomputed_with_the_day_of_the_write(api, settings, monkeypatch):
    """Recompute statements are kept between writes; one that read the clock is rebuilt when the clock moves."""
    from datetime import datetime, timedelta

    import runtime.write
    from runtime.expressions import EvalContext

    await api.import_app({"format": "nocode.app/v1", "key": "shop", "name": "小店", "forms": [
        {"key": "visit", "name": "回访", "fields": [
            {"key": "on", "type": "date"},
            {"key": "days", "type": "formula", "expr": "TODAY() - on", "result": "number"}]}]})
    real = runtime.write.eval_context
    today = datetime.now(settings.tz).date()
    first = await _create(api, "visit", {"on": today.isoformat()})
    second = await _create(api, "visit", {"on": today.isoformat()})
    later = lambda tz, user_id: EvalContext(real(tz, user_id).now + timedelta(days=3), tz, user_id)
    monkeypatch.setattr(runtime.write, "eval_context", later)
    moved = await _patch(api, "visit", second, {"on": (today - timedelta(days=1)).isoformat()})
    assert moved["days"] == 4  # three days on, for a visit a day earlier: not 1, as the day of the first write gave
    assert (await _get(api, "visit", first))["days"] == 0
