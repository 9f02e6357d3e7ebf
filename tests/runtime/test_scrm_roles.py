"""The SCRM template's roles on its demo data: a 团长 sees only their own group, a 客服 no costs."""
from __future__ import annotations

import json
from pathlib import Path

import httpx
from sqlalchemy import insert, select

from runtime.auth import create_user
from runtime.models import apps, user_roles

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "scrm_app.json"
URL = "/api/apps/scrm/forms/{}/records"


async def _signed_in(api, username: str, role: str) -> tuple[httpx.AsyncClient, int]:
    async with api.platform.engine.begin() as conn:
        uid = await create_user(conn, username, "Passw0rd!x")
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "scrm"))).scalar_one()
        await conn.execute(insert(user_roles).values(user_id=uid, app_id=app_id, role=role))
    client = httpx.AsyncClient(transport=api.client._transport, base_url=str(api.client.base_url))
    token = (await client.post("/api/auth/login", json={"username": username, "password": "Passw0rd!x"})).json()
    client.headers["Authorization"] = f"Bearer {token['access_token']}"
    return client, uid


async def test_a_leader_sees_their_own_group_and_a_service_agent_no_costs(api):
    await api.import_app(json.loads(TEMPLATE.read_text(encoding="utf-8")), demo_data=True)
    leader_client, leader_user = await _signed_in(api, "tuanzhang", "leader")
    service, _ = await _signed_in(api, "kefu", "service")
    leaders = (await api.client.get(URL.format("leader"), params={"sort": "id"})).json()["items"]
    mine, other = leaders[0], leaders[1]
    linked = await api.client.patch(f"{URL.format('leader')}/{mine['id']}",
                                    json={"account": leader_user, "version": mine["version"]})
    assert linked.status_code == 200, linked.text

    everyone = (await api.client.get(URL.format("customer"))).json()["items"]
    own = [c for c in everyone if c["leader"] and c["leader"]["id"] == mine["id"]]
    assert 0 < len(own) < len(everyone)
    seen = (await leader_client.get(URL.format("customer"))).json()
    assert sorted(c["id"] for c in seen["items"]) == sorted(c["id"] for c in own) and seen["total"] == len(own)
    assert all("email" not in c for c in seen["items"])
    orders = (await leader_client.get(URL.format("order"))).json()["items"]
    assert orders and all(o["leader"]["id"] == mine["id"] for o in orders)
    assert [l["id"] for l in (await leader_client.get(URL.format("leader"))).json()["items"]] == [mine["id"]]
    products = (await leader_client.get(URL.format("product"))).json()["items"]
    assert products and all("cost" not in p for p in products)
    # a customer for another leader's group is out of reach
    refused = await leader_client.post(URL.format("customer"), json={"name": "新客", "leader": other["id"]})
    assert refused.status_code == 422  # the other leader does not exist for this leader
    created = await leader_client.post(URL.format("customer"), json={"name": "新客", "leader": mine["id"]})
    assert created.status_code == 201, created.text

    agent_orders = (await service.get(URL.format("order"))).json()["items"]
    assert len(agent_orders) == len((await api.client.get(URL.format("order"))).json()["items"])
    assert all("commission" not in o and all("commission" not in line for line in o["lines"]) for o in agent_orders)
    assert (await service.delete(f"{URL.format('order')}/{agent_orders[0]['id']}")).status_code == 403


async def test_margins_stay_with_finance_and_each_role_keeps_to_its_forms(api):
    await api.import_app(json.loads(TEMPLATE.read_text(encoding="utf-8")), demo_data=True)
    leader_client, leader_user = await _signed_in(api, "tuanzhang", "leader")
    finance, _ = await _signed_in(api, "caiwu", "finance")
    warehouse, _ = await _signed_in(api, "cangku", "warehouse")
    mine = (await api.client.get(URL.format("leader"), params={"sort": "id"})).json()["items"][0]
    linked = await api.client.patch(f"{URL.format('leader')}/{mine['id']}",
                                    json={"account": leader_user, "version": mine["version"]})
    assert linked.status_code == 200, linked.text

    # 团长: own orders without cost or margin; own campaigns and live ones open to every leader; own settlements
    orders = (await leader_client.get(URL.format("order"))).json()["items"]
    assert orders and all("profit" not in o and "commission" in o for o in orders)
    assert all("cost" not in line and "profit" not in line for o in orders for line in o["lines"])
    campaigns = (await leader_client.get(URL.format("campaign"))).json()["items"]
    assert campaigns and all((c["status"] != "draft" and c["leader"] is None) or c["leader"]["id"] == mine["id"]
                             for c in campaigns)
    settlements = (await leader_client.get(URL.format("settlement"))).json()["items"]
    assert settlements and all(s["leader"]["id"] == mine["id"] for s in settlements)
    assert (await leader_client.get(URL.format("stock_move"))).status_code == 403

    # 财务: every order with its margin, read only
    everything = (await finance.get(URL.format("order"))).json()["items"]
    assert everything and all("profit" in o and all("cost" in line for line in o["lines"]) for o in everything)
    refused = await finance.post(URL.format("order"), json={"customer": orders[0]["customer"]["id"]})
    assert refused.status_code == 403

    # 仓库: stock moves yes, commissions and customers no
    product = next(p for p in (await warehouse.get(URL.format("product"))).json()["items"] if p["stock"] >= 1)
    assert "commission_rate" not in product and "cost" in product
    moved = await warehouse.post(URL.format("stock_move"), json={"product": product["id"], "kind": "adjust", "qty": -1})
    assert moved.status_code == 201, moved.text
    assert all("commission" not in o for o in (await warehouse.get(URL.format("order"))).json()["items"])
    assert (await warehouse.get(URL.format("customer"))).status_code == 403
