"""The SCRM template's flows, run on the imported template: refunds routed by amount (auto / 客服 / 客服 + 财务);
a new lead's first-contact SLA — round-robin owner, a reminder at 15 minutes, escalation to the sales person's
manager and the operators after 3 days; the new-customer SOP over 3 days; the unused-coupon reminder; the 30-day
churn recall (once); settlement approval; low-stock purchase requests. Timers are fired by the job runner on an
injected clock."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from runtime.auth import create_user
from runtime.jobs import Runner
from runtime.models import apps, notifications, user_roles
from tests.runtime.apps import records_url
from tests.runtime.people import PASSWORD, bearer, token_of
from tests.runtime.test_flow_sla import clock, run_until, todo  # noqa: F401  (clock is a fixture)

TEMPLATE = Path(__file__).resolve().parents[2] / "templates" / "scrm_app.json"
APP = "scrm"
MINUTE, DAY = timedelta(minutes=1), timedelta(days=1)


def scrm_app() -> dict:
    return json.loads(TEMPLATE.read_text(encoding="utf-8"))


async def staff(api, *people: tuple[str, str | None, str | None]) -> dict:
    """Users (name, role, manager's name) of the imported app: {name: (user id, headers)}."""
    ids: dict[str, int] = {}
    async with api.platform.engine.begin() as conn:
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == APP))).scalar_one()
        for name, role, manager in people:
            ids[name] = await create_user(conn, name, PASSWORD, manager_id=ids.get(manager) if manager else None)
            if role:
                await conn.execute(insert(user_roles).values(user_id=ids[name], app_id=app_id, role=role))
    return {name: (user_id, bearer(await token_of(api, name))) for name, user_id in ids.items()}


async def read(api, form: str, record_id: int) -> dict:
    response = await api.client.get(f"{records_url(form, APP)}/{record_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def create(api, form: str, values: dict) -> int:
    response = await api.client.post(records_url(form, APP), json=values)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def act(api, headers, task_id, action: str, **body) -> None:
    response = await api.client.post(f"/api/tasks/{task_id}/actions", json={"action": action, **body},
                                     headers=headers)
    assert response.status_code == 200, response.text


async def notes(api, user_id: int) -> list[tuple[str, str | None]]:
    async with api.platform.engine.connect() as conn:
        return [tuple(n) for n in await conn.execute(
            select(notifications.c.reason, notifications.c.title).where(notifications.c.user_id == user_id)
            .order_by(notifications.c.id))]


async def stocked_product(api) -> int:
    """A box of fruit with 100 received, so orders pass the stock guard."""
    product = await create(api, "product", {"sku": "FR-001", "name": "海南贵妃芒 5斤", "category": "水果",
                                            "price": 2000, "cost": 1500})
    await create(api, "stock_move", {"product": product, "kind": "purchase_in", "qty": 100})
    return product


async def order_for(api, customer: int, product: int, **values) -> int:
    return await create(api, "order", {"customer": customer, "status": "paid",
                                       "lines": [{"product": product, "qty": 1, "price": 2000}], **values})


async def paid_orders(api, count: int) -> list[int]:
    """Paid orders of one customer, one box of fruit each."""
    product = await stocked_product(api)
    customer = await create(api, "customer", {"name": "张阿姨", "phone": "13800000001"})
    return [await order_for(api, customer, product) for _ in range(count)]


async def records(api, form: str, **where) -> list[dict]:
    response = await api.client.get(records_url(form, APP), params={"page_size": 200})
    assert response.status_code == 200, response.text
    return [r for r in response.json()["items"]
            if all((r.get(k)["id"] if isinstance(r.get(k), dict) else r.get(k)) == v for k, v in where.items())]


def test_the_template_carries_the_operating_flows():
    keys = {f["key"] for f in scrm_app()["flows"]}
    assert keys >= {"welcome_sop", "birthday_greeting", "coupon_reminder", "churn_recall", "lead_assignment",
                    "refund_approval", "settlement_approval", "erp_order_push"}
    assert keys <= {"welcome_sop", "birthday_greeting", "coupon_reminder", "churn_recall", "lead_assignment",
                    "refund_approval", "settlement_approval", "low_stock_purchase", "erp_order_push"}


async def test_refunds_are_approved_by_amount(api):
    await api.import_app(scrm_app())
    who = await staff(api, ("svc", "service", None), ("fin", "finance", None))
    (svc, svc_h), (fin, fin_h) = who["svc"], who["fin"]
    small, middle, large = await paid_orders(api, 3)

    # ≤ 100: approved at once, the order refunded, nobody asked, the requester told
    refund = await create(api, "after_sale", {"order": small, "kind": "refund", "amount": 80, "reason": "少发一件"})
    after = await read(api, "after_sale", refund)
    assert after["status"] == "approved" and after["decided_at"]
    assert (await read(api, "order", small))["status"] == "refunded"
    assert await todo(api, svc_h) == [] and await todo(api, fin_h) == []
    assert ("message", f"售后单 {after['no']} 已同意退款") in await notes(api, api.user_id)

    # ≤ 1000: 客服 decides alone
    refund = await create(api, "after_sale", {"order": middle, "kind": "return_refund", "amount": 500,
                                              "reason": "水果坏果"})
    assert (await read(api, "after_sale", refund))["status"] == "pending"
    assert await todo(api, fin_h) == []
    [task] = await todo(api, svc_h)
    assert task["node"] == "service"
    await act(api, svc_h, task["id"], "approve", comment="核实坏果照片")
    assert (await read(api, "after_sale", refund))["status"] == "approved"
    assert (await read(api, "order", middle))["status"] == "refunded"
    assert await todo(api, fin_h) == []

    # > 1000: 客服 then 财务; 财务 rejects, so the after-sale is rejected and the order stays paid
    refund = await create(api, "after_sale", {"order": large, "kind": "refund", "amount": 5000, "reason": "整单退"})
    [task] = await todo(api, svc_h)
    assert task["node"] == "service_big" and await todo(api, fin_h) == []
    await act(api, svc_h, task["id"], "approve")
    assert await todo(api, svc_h) == []
    [task] = await todo(api, fin_h)
    assert task["node"] == "finance"
    await act(api, fin_h, task["id"], "reject", comment="金额超过订单实付")
    after = await read(api, "after_sale", refund)
    assert after["status"] == "rejected" and after["decided_at"]
    assert (await read(api, "order", large))["status"] == "paid"
    assert ("message", f"售后单 {after['no']} 未通过") in await notes(api, api.user_id)

    # an exchange is no refund: no flow
    await create(api, "after_sale", {"order": large, "kind": "exchange", "reason": "换规格"})
    assert await todo(api, svc_h) == [] and await todo(api, fin_h) == []


async def test_a_lead_not_contacted_is_reminded_at_15_minutes_and_escalated_after_3_days(api, settings, clock):
    await api.import_app(scrm_app())
    who = await staff(api, ("boss", None, None), ("sam", "sales", "boss"), ("sue", "sales", None),
                      ("ops", "operator", None))
    (boss, boss_h), (sam, sam_h), (sue, sue_h), (ops, ops_h) = (who[n] for n in ("boss", "sam", "sue", "ops"))
    first = await create(api, "lead", {"name": "王女士", "phone": "13800000011", "source": "直播"})
    second = await create(api, "lead", {"name": "李先生", "phone": "13800000012", "source": "地推"})
    runner = Runner(api.platform.engine, replace(settings, jobs_poll_seconds=0.05))
    await runner.start()
    try:
        started = clock.now
        await run_until(api, runner, clock, started)  # the owners, taken in turn, get the first-contact task
        assert (await read(api, "lead", first))["owner_sales"]["id"] == sam
        assert (await read(api, "lead", second))["owner_sales"]["id"] == sue
        [task] = await todo(api, sam_h)
        assert task["node"] == "contact"
        assert task["due_at"] == (started + 15 * MINUTE).replace(tzinfo=None).isoformat() + "Z"
        assert await todo(api, boss_h) == [] and await todo(api, ops_h) == []

        await run_until(api, runner, clock, started + 14 * MINUTE)
        assert [r for r, _ in await notes(api, sam) if r == "remind"] == []
        await run_until(api, runner, clock, started + 15 * MINUTE)  # late: reminded, the task stays with Sam
        assert [r for r, _ in await notes(api, sam) if r == "remind"] == ["remind"]
        assert [t["id"] for t in await todo(api, sam_h)] == [task["id"]]

        await run_until(api, runner, clock, started + 3 * DAY - MINUTE)
        assert await todo(api, boss_h) == []
        await run_until(api, runner, clock, started + 3 * DAY)  # 3 days: Sam's manager and the operators take over
    finally:
        await runner.stop()
    assert await todo(api, sam_h) == [] and await todo(api, sue_h) == []
    [escalated] = await todo(api, boss_h)
    assert escalated["node"] == "contact" and escalated["instance"] == task["instance"]
    assert sorted(t["node"] for t in await todo(api, ops_h)) == ["contact", "contact"]  # Sue has no manager
    assert "escalated" in [r for r, _ in await notes(api, boss)]

    await act(api, boss_h, escalated["id"], "submit", values={"first_contact_at": "2026-11-30T10:00:00Z"},
              comment="已电话联系，约周末到店")
    lead = await read(api, "lead", first)
    assert lead["status"] == "contacted" and lead["first_contact_at"]
    assert len(await todo(api, ops_h)) == 1  # the first lead's copy is gone, the second one still waits


async def coupon(api, name: str) -> int:
    return await create(api, "coupon", {"name": name, "kind": "no_threshold", "value": 5, "valid_days": 7,
                                        "active": True})


async def test_a_new_customer_gets_an_owner_a_welcome_task_a_coupon_and_a_follow_up(api, settings, clock):
    await api.import_app(scrm_app())
    who = await staff(api, ("sam", "sales", None), ("ops", "operator", None))
    sam = who["sam"][0]
    newcomer = await coupon(api, "新人专享券")
    product = await stocked_product(api)
    quiet = await create(api, "customer", {"name": "刘姐", "phone": "13800000021"})  # no adviser yet
    buyer = await create(api, "customer", {"name": "陈哥", "phone": "13800000022", "sales": sam})
    runner = Runner(api.platform.engine, replace(settings, jobs_poll_seconds=0.05))
    await runner.start()
    try:
        started = clock.now
        await run_until(api, runner, clock, started)  # day 0: the one without an adviser gets Sam
        assert (await read(api, "customer", quiet))["sales"]["id"] == sam
        welcome = await records(api, "task", source="新客欢迎SOP")
        assert sorted((t["title"], t["assignee"]["id"], t["status"]) for t in welcome) == [
            ("新客欢迎：刘姐", sam, "todo"), ("新客欢迎：陈哥", sam, "todo")]
        assert {t for r, t in await notes(api, sam) if r == "message"} == {"新客欢迎：刘姐", "新客欢迎：陈哥"}
        assert await records(api, "coupon_claim") == []

        await order_for(api, buyer, product)  # day 1: 陈哥 orders
        await run_until(api, runner, clock, started + 2 * DAY)  # day 2: both get the newcomer coupon
        claims = await records(api, "coupon_claim", coupon=newcomer)
        assert sorted(c["customer"]["id"] for c in claims) == sorted([quiet, buyer])
        assert {c["status"] for c in claims} == {"unused"}

        await run_until(api, runner, clock, started + 3 * DAY)  # day 3: only 刘姐, who has not ordered, is called
    finally:
        await runner.stop()
    follow_ups = [t for t in await records(api, "task", source="新客欢迎SOP") if t["title"].startswith("新客首单回访")]
    assert [(t["title"], t["assignee"]["id"], t["customer"]["id"]) for t in follow_ups] == [
        ("新客首单回访：刘姐", sam, quiet)]


async def test_a_coupon_unused_two_hours_after_claiming_becomes_a_task_for_the_adviser(api, settings, clock):
    await api.import_app(scrm_app())
    sam = (await staff(api, ("sam", "sales", None)))["sam"][0]
    ticket = await coupon(api, "满59减5")
    product = await stocked_product(api)
    idle = await create(api, "customer", {"name": "周姐", "phone": "13800000031", "sales": sam})
    keen = await create(api, "customer", {"name": "吴哥", "phone": "13800000032", "sales": sam})
    for customer in (idle, keen):
        await create(api, "coupon_claim", {"coupon": ticket, "customer": customer})
    runner = Runner(api.platform.engine, replace(settings, jobs_poll_seconds=0.05))
    await runner.start()
    try:
        started = clock.now
        await order_for(api, keen, product)  # 吴哥 orders within the two hours
        await run_until(api, runner, clock, started + 2 * timedelta(hours=1) - MINUTE)
        assert await records(api, "task", source="领券未用提醒") == []
        await run_until(api, runner, clock, started + 2 * timedelta(hours=1))
    finally:
        await runner.stop()
    reminders = await records(api, "task", source="领券未用提醒")
    assert [(t["customer"]["id"], t["assignee"]["id"], t["title"]) for t in reminders] == [
        (idle, sam, "领券未用提醒：券号 " + (await records(api, "coupon_claim", customer=idle))[0]["code"])]


async def test_a_customer_silent_for_30_days_is_recalled_by_the_leader_once(api):
    from datetime import datetime, timezone

    from runtime.flows import run_schedule

    await api.import_app(scrm_app())
    who = await staff(api, ("lee", "leader", None), ("sam", "sales", None))
    (lee, _), (sam, _) = who["lee"], who["sam"]
    recall = await coupon(api, "老客召回券")
    product = await stocked_product(api)
    leader = await create(api, "leader", {"name": "李团长", "phone": "13900000001", "account": lee})
    month_ago = (datetime.now(timezone.utc) - 30 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    week_ago = (datetime.now(timezone.utc) - 7 * DAY).strftime("%Y-%m-%dT%H:%M:%SZ")
    gone = await create(api, "customer", {"name": "孙姐", "phone": "13800000041", "leader": leader, "sales": sam})
    recent = await create(api, "customer", {"name": "钱哥", "phone": "13800000042", "leader": leader})
    await order_for(api, gone, product, paid_at=month_ago)
    await order_for(api, recent, product, paid_at=week_ago)
    tz = api.platform.settings.tz
    async with api.platform.engine.begin() as conn:
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == APP))).scalar_one()
        assert len(await run_schedule(conn, app_id, "churn_recall", tz)) == 1
    [task] = await records(api, "task", source="流失召回SOP")
    assert (task["title"], task["assignee"]["id"], task["customer"]["id"]) == ("流失召回：孙姐", lee, gone)
    assert [c["customer"]["id"] for c in await records(api, "coupon_claim", coupon=recall)] == [gone]
    assert ("message", "流失召回：孙姐") in await notes(api, sam)

    async with api.platform.engine.begin() as conn:  # started again (the churn rule a day later): no second recall
        assert len(await run_schedule(conn, app_id, "churn_recall", tz)) == 1
    assert len(await records(api, "task", source="流失召回SOP")) == 1
    assert len(await records(api, "coupon_claim", coupon=recall)) == 1


async def test_a_submitted_settlement_goes_to_operations_then_finance(api):
    await api.import_app(scrm_app())
    who = await staff(api, ("ops", "operator", None), ("fin", "finance", None))
    (ops, ops_h), (fin, fin_h) = who["ops"], who["fin"]
    leader = await create(api, "leader", {"name": "李团长", "phone": "13900000001"})
    values = {"leader": leader, "period_start": "2026-10-01", "period_end": "2026-10-31", "gmv": 52000,
              "commission": 4160}
    approved, rejected = await create(api, "settlement", values), await create(api, "settlement", values)
    assert await todo(api, ops_h) == []  # a draft asks nobody
    for settlement in (approved, rejected):
        response = await api.client.patch(f"{records_url('settlement', APP)}/{settlement}", json={"status": "pending", "version": 1})
        assert response.status_code == 200, response.text
    first, second = await todo(api, ops_h)
    assert {first["node"], second["node"]} == {"ops"} and await todo(api, fin_h) == []
    by_record = {t["record_id"]: t for t in (first, second)}
    await act(api, ops_h, by_record[approved]["id"], "approve", comment="订单与佣金核对无误")
    await act(api, ops_h, by_record[rejected]["id"], "reject", comment="10 月 12 日退款单未扣佣金")
    [task] = await todo(api, fin_h)
    assert task["node"] == "finance" and task["record_id"] == approved
    await act(api, fin_h, task["id"], "approve")
    assert (await read(api, "settlement", approved))["status"] == "approved"
    assert (await read(api, "settlement", rejected))["status"] == "rejected"
    told = [t for r, t in await notes(api, api.user_id) if r == "message"]
    assert sorted(told) == sorted([f"结算单 {(await read(api, 'settlement', approved))['no']} 已批准",
                                   f"结算单 {(await read(api, 'settlement', rejected))['no']} 被驳回"])


async def test_stock_below_the_safety_line_asks_the_warehouse_once(api):
    doc = scrm_app()
    if not any(f["key"] == "low_stock_purchase" for f in doc["flows"]):
        pytest.skip("low_stock_purchase joins the template with product.stock (the stock guard)")
    await api.import_app(doc)
    who = await staff(api, ("wh", "warehouse", None), ("ops", "operator", None))
    (wh, wh_h), (ops, _) = who["wh"], who["ops"]
    product = await stocked_product(api)  # 100 received
    url = f"{records_url('product', APP)}/{product}"
    response = await api.client.patch(url, json={"safety_stock": 150, "version": (await read(api, "product", product))["version"]})
    assert response.status_code == 200, response.text
    [request] = await records(api, "purchase_request", product=product)
    assert (request["qty"], request["status"]) == (200, "pending")  # up to twice the safety line
    [task] = await todo(api, wh_h)
    assert task["node"] == "warehouse"

    response = await api.client.patch(url, json={"safety_stock": 160, "version": (await read(api, "product", product))["version"]})
    assert response.status_code == 200, response.text  # a request is open: no second one
    assert len(await records(api, "purchase_request", product=product)) == 1 and len(await todo(api, wh_h)) == 1

    await act(api, wh_h, task["id"], "approve")
    assert ("message", "补货已批准：海南贵妃芒 5斤") in await notes(api, ops)
