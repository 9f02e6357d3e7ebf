"""Flows reaching past their record's own columns, end to end: expressions, templates and recipients reading
through relations (`customer.sales`), the owner a round-robin assign picked seen by the next node, an aggregate's
max id filling a relation, a record the flow created updated after an approval, and records a flow writes starting
flows of their own — a chain that keeps triggering itself stops at MAX_DEPTH."""
from __future__ import annotations

import logging

from sqlalchemy import func, insert, select

from runtime.flows import MAX_DEPTH
from runtime.models import apps, flow_instances, notifications, user_roles
from tests.runtime.apps import records_url
from tests.runtime.test_flow_nodes import chain_flow, instance
from tests.runtime.people import add_user, bearer, token_of

APP = "crm"
FORMS = [
    {"key": "customer", "name": "客户", "title_field": "name", "fields": [
        {"key": "name", "type": "text", "required": True},
        {"key": "level", "type": "select", "options": ["normal", "vip"], "default": "normal"},
        {"key": "sales", "type": "member"}]},
    {"key": "coupon", "name": "优惠券", "title_field": "name", "fields": [{"key": "name", "type": "text"}]},
    {"key": "claim", "name": "领券", "fields": [
        {"key": "coupon", "type": "relation", "target": "coupon"},
        {"key": "customer", "type": "relation", "target": "customer"},
        {"key": "status", "type": "text"}]},
    {"key": "order", "name": "订单", "title_field": "no", "fields": [
        {"key": "no", "type": "text", "required": True},
        {"key": "customer", "type": "relation", "target": "customer"},
        {"key": "handler", "type": "member"}]},
    {"key": "purchase", "name": "采购申请", "fields": [
        {"key": "qty", "type": "number"},
        {"key": "status", "type": "select", "options": ["pending", "approved"], "default": "pending"}]},
    {"key": "counter", "name": "计数", "fields": [{"key": "n", "type": "number", "default": 0},
                                                 {"key": "m", "type": "number"}]},
]

ORDER_ROUTED = chain_flow("order_routed", {"type": "record_created", "form": "order"}, [
    {"id": "assign", "type": "assign", "to": {"role": "sales"}, "field": "handler", "strategy": "round_robin"},
    {"id": "tell_handler", "type": "notify", "to": {"field": "handler"}, "title": "yours {{ record.no }}",
     "template": "x"},
    {"id": "vip", "type": "set_variable", "set": {"vip": "customer.level = 'vip'"}},
    {"id": "tell_sales", "type": "notify", "to": {"field": "customer.sales"},
     "title": "order of {{ record.customer.name }}", "template": "x"},
], variables=[{"key": "vip", "type": "bool"}])

WELCOME = chain_flow("welcome", {"type": "record_created", "form": "customer"}, [
    {"id": "find", "type": "aggregate", "form": "coupon", "agg": "max", "field": "id", "into": "coupon_id"},
    {"id": "give", "type": "create_record", "form": "claim",
     "values": {"coupon": "coupon_id", "customer": "id", "status": "'unused'"}},
], variables=[{"key": "coupon_id", "type": "number"}])

CLAIM_REMINDER = chain_flow("claim_reminder", {"type": "record_created", "form": "claim"}, [
    {"id": "tell", "type": "notify", "to": {"field": "customer.sales"}, "title": "券 {{ record.coupon.name }}",
     "template": "x"}])

RESTOCK = chain_flow("restock", {"type": "manual", "form": "customer"}, [
    {"id": "request", "type": "create_record", "form": "purchase", "values": {"qty": "5"}, "into": "request_id"},
    {"id": "ok", "type": "approval", "assignees": {"role": "sales"}},
    {"id": "approved", "type": "update_record", "record": "request_id", "form": "purchase",
     "set": {"status": "'approved'"}},
], variables=[{"key": "request_id", "type": "number"}])

ECHO = chain_flow("echo", {"type": "record_updated", "form": "counter", "fields": ["n"]}, [
    {"id": "bump", "type": "update_record", "set": {"n": "n + 1"}}])
PING = chain_flow("ping", {"type": "record_updated", "form": "counter", "fields": ["n"]}, [
    {"id": "bump", "type": "update_record", "set": {"m": "BLANKVALUE(m, 0) + 1"}}])
PONG = chain_flow("pong", {"type": "record_updated", "form": "counter", "fields": ["m"]}, [
    {"id": "bump", "type": "update_record", "set": {"n": "n + 1"}}])


async def give_role(api, name: str, role: str) -> tuple[int, dict]:
    user_id = await add_user(api, name)
    async with api.platform.engine.begin() as conn:
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == APP))).scalar_one()
        await conn.execute(insert(user_roles).values(user_id=user_id, app_id=app_id, role=role))
    return user_id, bearer(await token_of(api, name))


def crm(*flows) -> dict:
    return {"format": "nocode.app/v1", "key": APP, "name": "CRM", "forms": FORMS,
            "roles": [{"key": "sales", "name": "销售"}], "flows": list(flows)}


async def create(api, form: str, values: dict) -> int:
    response = await api.client.post(records_url(form, APP), json=values)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def get(api, form: str, record_id: int) -> dict:
    response = await api.client.get(f"{records_url(form, APP)}/{record_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def titles(api, user_id: int) -> list[str]:
    async with api.platform.engine.connect() as conn:
        return list((await conn.execute(select(notifications.c.title).where(
            notifications.c.user_id == user_id).order_by(notifications.c.id))).scalars())


async def test_flows_read_through_relations_and_see_the_owner_they_just_assigned(api):
    await api.import_app(crm(ORDER_ROUTED))
    amy, _ = await give_role(api, "amy", "sales")
    ben, _ = await give_role(api, "ben", "sales")
    sam, _ = await give_role(api, "sam", "sales")
    vip = await create(api, "customer", {"name": "张阿姨", "level": "vip", "sales": sam})
    first = await create(api, "order", {"no": "O1", "customer": vip})
    second = await create(api, "order", {"no": "O2", "customer": vip})
    assert [(await get(api, "order", o))["handler"]["id"] for o in (first, second)] == [amy, ben]
    assert await titles(api, amy) == ["yours O1"] and await titles(api, ben) == ["yours O2"]
    assert await titles(api, sam) == ["order of 张阿姨", "order of 张阿姨"]
    async with api.platform.engine.connect() as conn:
        ids = list((await conn.execute(select(flow_instances.c.id).order_by(flow_instances.c.id))).scalars())
    assert (await instance(api, ids[0]))["variables"]["vip"] is True


async def test_a_claim_the_welcome_flow_writes_starts_the_reminder_that_reads_its_links(api):
    await api.import_app(crm(WELCOME, CLAIM_REMINDER))
    sam, _ = await give_role(api, "sam", "sales")
    await create(api, "coupon", {"name": "旧券"})
    coupon = await create(api, "coupon", {"name": "新人券"})
    customer = await create(api, "customer", {"name": "李叔", "sales": sam})
    response = await api.client.get(records_url("claim", APP))
    [claim] = response.json()["items"]
    assert claim["coupon"]["id"] == coupon and claim["customer"]["id"] == customer  # the max id, as an integer
    assert await titles(api, sam) == ["券 新人券"]  # the reminder started by the flow's write


async def test_a_record_the_flow_created_is_updated_after_the_approval(api):
    await api.import_app(crm(RESTOCK))
    sam, headers = await give_role(api, "sam", "sales")
    customer = await create(api, "customer", {"name": "王总"})
    started = await _trigger(api, customer)
    request_id = started["variables"]["request_id"]
    assert (await get(api, "purchase", request_id))["status"] == "pending"
    tasks = (await api.client.get("/api/tasks?box=todo", headers=headers)).json()["items"]
    response = await api.client.post(f"/api/tasks/{tasks[0]['id']}/actions", json={"action": "approve"},
                                     headers=headers)
    assert response.status_code == 200, response.text
    assert (await get(api, "purchase", request_id))["status"] == "approved"


async def _trigger(api, customer: int) -> dict:
    response = await api.client.post(f"{records_url('customer', APP)}/{customer}/trigger/restock")
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_flow_writing_its_own_record_does_not_start_itself_again(api):
    await api.import_app(crm(ECHO))
    counter = await create(api, "counter", {"n": 0})
    response = await api.client.patch(f"{records_url('counter', APP)}/{counter}", json={"n": 1, "version": 1})
    assert response.status_code == 200, response.text
    async with api.platform.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(flow_instances))).scalar() == 1
    assert (await get(api, "counter", counter))["n"] == 2


async def test_flows_that_keep_starting_each_other_stop_at_the_depth_limit(api, caplog):
    await api.import_app(crm(PING, PONG))
    counter = await create(api, "counter", {"n": 0})
    with caplog.at_level(logging.ERROR, logger="nocode.flows"):
        response = await api.client.patch(f"{records_url('counter', APP)}/{counter}", json={"n": 1, "version": 1})
    assert response.status_code == 200, response.text  # the person's write stands
    async with api.platform.engine.connect() as conn:
        started = list((await conn.execute(select(flow_instances.c.flow, flow_instances.c.status)
                                           .order_by(flow_instances.c.id))).all())
    assert started == [("ping", "completed"), ("pong", "completed")] * (MAX_DEPTH // 2) + \
        [("ping", "completed")] * (MAX_DEPTH % 2)
    saved = await get(api, "counter", counter)
    assert saved["n"] + saved["m"] == 1 + MAX_DEPTH
    [stopped] = [r.getMessage() for r in caplog.records if r.name == "nocode.flows"]
    assert f"(limit {MAX_DEPTH})" in stopped and "counter updated" in stopped
