"""The SCRM template's forms on their own: commissions from the decision table, linkage of campaign kinds."""
from __future__ import annotations

import json
from pathlib import Path

from engines.rules.decision import DecisionTableDef

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "scrm_app.json"
URL = "/api/apps/scrm/forms/{}/records"


def _rate(level: str, category: str) -> float:
    """What the template's decision table commission_rate gives (the rules helper tunes its numbers)."""
    tables = json.loads(TEMPLATE.read_text(encoding="utf-8"))["decision_tables"]
    table = next(t for t in tables if t["key"] == "commission_rate")
    return DecisionTableDef.model_validate(table).compiled().decide(level, category)["rate"]


async def _create(api, form: str, body: dict) -> dict:
    r = await api.client.post(URL.format(form), json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def test_order_commission_takes_the_product_rate_else_the_decision_table(api):
    await api.import_app(json.loads(TEMPLATE.read_text(encoding="utf-8")))
    gold = await _create(api, "leader", {"name": "金牌团长", "phone": "13900009991", "level": "gold"})
    buyer = await _create(api, "customer", {"name": "买家", "phone": "13800009991", "leader": gold["id"]})
    own_rate = await _create(api, "product", {"sku": "T-OWN", "name": "自带佣金", "category": "粮油",
                                              "price": 100, "cost": 60, "commission_rate": 20})
    fruit = await _create(api, "product", {"sku": "T-FRUIT", "name": "水果", "category": "水果", "price": 50, "cost": 30})
    for product in (own_rate, fruit):
        await _create(api, "stock_move", {"product": product["id"], "kind": "purchase_in", "qty": 10})
    order = await _create(api, "order", {"customer": buyer["id"], "leader": gold["id"], "amount": 190, "discount": 10,
                                         "lines": [{"product": own_rate["id"], "qty": 1, "price": 100},
                                                   {"product": fruit["id"], "qty": 2, "price": 50}]})
    # 100 × 20% (the product's own rate) + 100 × the table's rate for gold × 水果
    gold_fruit = round(100 * _rate("gold", "水果"), 2)
    assert gold_fruit > 0 and float(order["commission"]) == 20 + gold_fruit
    assert float(order["lines"][0]["commission"]) == 20 and order["lines"][1]["commission"] is None
    # goods 200 − cost 120 − commission − discount 10
    assert float(order["profit"]) == round(200 - 120 - (20 + gold_fruit) - 10, 2)

    bronze = await _create(api, "leader", {"name": "铜牌团长", "phone": "13900009992"})
    moved = await api.client.patch(f"{URL.format('order')}/{order['id']}",
                                   json={"leader": bronze["id"], "version": order["version"]})
    assert moved.status_code == 200, moved.text
    assert float(moved.json()["commission"]) == 20 + round(100 * _rate("bronze", "水果"), 2)


async def test_campaign_kind_asks_for_its_own_fields(api):
    await api.import_app(json.loads(TEMPLATE.read_text(encoding="utf-8")))
    product = await _create(api, "product", {"sku": "T-RICE", "name": "大米", "category": "粮油", "price": 69})
    base = {"name": "周末拼团", "starts_at": "2026-12-01T08:00:00", "ends_at": "2026-12-03T22:00:00",
            "items": [{"product": product["id"], "campaign_price": 59}]}
    missing = await api.client.post(URL.format("campaign"), json={**base, "kind": "pintuan"})
    assert missing.status_code == 422 and "group_size" in missing.text
    hidden = await api.client.post(URL.format("campaign"), json={**base, "kind": "group_buy", "deposit": 10})
    assert hidden.status_code == 422 and "hidden_by_linkage" in hidden.text
    await _create(api, "campaign", {**base, "kind": "pintuan", "group_size": 3})


async def test_a_looked_up_relation_reads_like_the_relation(api):
    """An after-sale shows its order's customer by name, as the order does — not as a bare id."""
    await api.import_app(json.loads(TEMPLATE.read_text(encoding="utf-8")))
    buyer = await _create(api, "customer", {"name": "退款人", "phone": "13800009993"})
    product = await _create(api, "product", {"sku": "T-AS", "name": "苹果", "category": "水果", "price": 10})
    await _create(api, "stock_move", {"product": product["id"], "kind": "purchase_in", "qty": 5})
    order = await _create(api, "order", {"customer": buyer["id"], "amount": 10,
                                         "lines": [{"product": product["id"], "qty": 1, "price": 10}]})
    after_sale = await _create(api, "after_sale", {"order": order["id"], "kind": "exchange", "reason": "坏果"})
    assert after_sale["customer"] == {"id": buyer["id"], "title": "退款人"}
    listed = (await api.client.get(URL.format("after_sale"))).json()["items"]
    assert listed[0]["customer"] == {"id": buyer["id"], "title": "退款人"}
