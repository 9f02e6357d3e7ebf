"""Rule actions that act record by record (assign owner, create a task, notify, start a flow, call out) and the
scoring models (RFM, churn warning), at event time and as batches, on SQLite and PostgreSQL."""
from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from runtime.models import flow_instances, jobs, notifications
from tests.runtime.apps import records_url
from tests.runtime.people import add_user

SEGMENTS = ["重要价值客户", "重要发展客户", "重要保持客户", "重要挽留客户", "一般价值客户", "一般发展客户",
            "一般保持客户", "一般挽留客户"]


def crm(key: str, rules: list, on: bool = True) -> dict:
    rules = copy.deepcopy(rules)
    if not on:
        for rule in rules:
            rule["on"] = []
    return {
        "format": "nocode.app/v1", "key": key, "name": "客户运营",
        "forms": [
            {"key": "customer", "name": "客户", "title_field": "name", "fields": [
                {"key": "name", "type": "text", "required": True},
                {"key": "region", "type": "select", "options": ["华东", "华南", "华北"]},
                {"key": "sales", "type": "member"},
                {"key": "tags", "type": "tags"},
                {"key": "last_contact", "type": "date"},
                {"key": "r", "type": "number"}, {"key": "f", "type": "number"}, {"key": "m", "type": "number"},
                {"key": "segment", "type": "select", "options": SEGMENTS}]},
            {"key": "order", "name": "订单", "title_field": "no", "fields": [
                {"key": "no", "type": "text", "required": True},
                {"key": "customer", "type": "relation", "target": "customer"},
                {"key": "amount", "type": "money"},
                {"key": "status", "type": "select", "options": ["paid", "refunded"], "default": "paid"},
                {"key": "paid_at", "type": "datetime"}]},
            {"key": "followup", "name": "跟进任务", "title_field": "title", "fields": [
                {"key": "title", "type": "text", "required": True},
                {"key": "customer", "type": "relation", "target": "customer"}]}],
        "flows": [{"key": "recall", "name": "流失召回", "trigger": {"type": "manual", "form": "customer"},
                   "nodes": [{"id": "start", "type": "start"}, {"id": "end", "type": "end"}],
                   "edges": [{"from": "start", "to": "end"}]}],
        "rules": rules}


async def create(api, app: str, form: str, values: dict) -> dict:
    response = await api.client.post(records_url(form, app), json=values)
    assert response.status_code == 201, response.text
    return response.json()


async def records(api, app: str, form: str = "customer") -> list[dict]:
    response = await api.client.get(records_url(form, app), params={"page_size": 500, "sort": "id"})
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def run(api, app: str, rule: str) -> dict:
    response = await api.client.post(f"/api/apps/{app}/rules/{rule}/run")
    assert response.status_code == 200, response.text
    return response.json()


async def touch(api, app: str, record: dict) -> dict:
    url = f"{records_url('customer', app)}/{record['id']}"
    current = (await api.client.get(url)).json()
    response = await api.client.patch(url, json={"name": current["name"] + "·", "version": current["version"]})
    assert response.status_code == 200, response.text
    return response.json()


def new_leads(ann: int, bob: int) -> list:
    return [
        {"key": "welcome", "name": "新客分配", "form": "customer", "on": ["created"],
         "then": [
             {"action": "assign_owner", "strategy": "round_robin", "to": {"users": [ann, bob]}},
             {"action": "assign_owner", "field": "sales", "strategy": "by_field", "by": "region",
              "map": {"华东": ann, "华南": bob}},
             {"action": "create_task", "form": "followup", "values": {"title": "'跟进 ' & name", "customer": "id"}},
             {"action": "notify", "to": {"field": "owner"}, "title": "新客户", "template": "请跟进 {{ record.name }}"},
             {"action": "http_request", "url": "http://erp.local/customers/{{ record.id }}",
              "body": '{"name": "{{ record.name }}"}'}]}]


async def test_new_leads_are_assigned_given_a_task_announced_and_sent_on(api):
    ann, bob = await add_user(api, "ann"), await add_user(api, "bob")
    await api.import_app(crm("live", new_leads(ann, bob)))
    await api.import_app(crm("night", new_leads(ann, bob), on=False))
    leads = [{"name": "甲", "region": "华东"}, {"name": "乙", "region": "华南"}, {"name": "丙"}, {"name": "丁"}]
    for lead in leads:
        await create(api, "live", "customer", lead)
        await create(api, "night", "customer", lead)
    live = await records(api, "live")
    assert [c["owner"] for c in live] == [ann, bob, ann, bob]
    assert [c["sales"]["id"] if c["sales"] else None for c in live] == [ann, bob, None, None]
    tasks = await records(api, "live", "followup")
    assert [(t["title"], t["customer"]["id"]) for t in tasks] == [(f"跟进 {c['name']}", c["id"]) for c in live]
    async with api.platform.engine.connect() as conn:
        told = (await conn.execute(select(notifications.c.user_id, notifications.c.text)
                                   .where(notifications.c.reason == "rule").order_by(notifications.c.id))).all()
        calls = (await conn.execute(select(jobs.c.payload).where(jobs.c.kind == "http_request")
                                    .order_by(jobs.c.id))).scalars().all()
    assert told[:4] == [(ann, "请跟进 甲"), (bob, "请跟进 乙"), (ann, "请跟进 丙"), (bob, "请跟进 丁")]
    assert calls[0]["url"] == f"http://erp.local/customers/{live[0]['id']}" and calls[0]["json"] == {"name": "甲"}
    # the same rule as a batch over the night app's records gives the same owners, tasks and messages
    assert await run(api, "night", "welcome") == {"matched": 4, "changed": 0, "acted": 18, "failed": 0}
    night = await records(api, "night")
    assert [(c["owner"], c["sales"]) for c in night] == [(c["owner"], c["sales"]) for c in live]
    assert [t["title"] for t in await records(api, "night", "followup")] == [t["title"] for t in tasks]
    async with api.platform.engine.connect() as conn:
        told = (await conn.execute(select(notifications.c.user_id, notifications.c.text)
                                   .where(notifications.c.reason == "rule").order_by(notifications.c.id))).all()
    assert told[4:] == told[:4]


CHURN = [{"key": "churn", "name": "流失预警", "form": "customer", "on": ["updated"], "fields": ["last_contact"],
          "schedule": "0 3 * * *",
          "then": [{"action": "churn", "date": "last_contact", "days": 30, "tag": "流失预警", "flow": "recall"}]}]


async def test_churn_warning_tags_once_starts_the_recall_once_and_clears_on_contact(api):
    await api.import_app(crm("shop", CHURN))
    today = date.today()
    quiet = await create(api, "shop", "customer", {"name": "久未联系", "last_contact": str(today - timedelta(days=45))})
    await create(api, "shop", "customer", {"name": "刚联系", "last_contact": str(today - timedelta(days=3))})
    await create(api, "shop", "customer", {"name": "没联系过"})
    assert await run(api, "shop", "churn") == {"matched": 3, "changed": 1, "acted": 1, "failed": 0}
    assert [c["tags"] for c in await records(api, "shop")] == [["流失预警"], None, None]
    assert await run(api, "shop", "churn") == {"matched": 3, "changed": 0, "acted": 0, "failed": 0}
    async with api.platform.engine.connect() as conn:
        started = (await conn.execute(select(flow_instances.c.record_id).where(
            flow_instances.c.flow == "recall"))).scalars().all()
    assert started == [quiet["id"]]
    url = f"{records_url('customer', 'shop')}/{quiet['id']}"
    response = await api.client.patch(url, json={"last_contact": str(today), "version": quiet["version"] + 1})
    assert response.status_code == 200, response.text
    assert response.json()["tags"] is None  # contacted: the warning goes at once (event time)


RFM = [{"key": "rfm", "name": "RFM 分层", "form": "customer", "on": ["updated"], "schedule": "0 1 * * *",
        "then": [{"action": "rfm", "source": "order", "via": "customer", "date": "paid_at", "amount": "amount",
                  "filter": "status = 'paid'", "into": {"r": "r", "f": "f", "m": "m", "segment": "segment"}}]}]


async def test_rfm_segment_in_sql_labels_every_mix_of_scores_as_event_time_does(api):
    from itertools import product

    from sqlalchemy import Float, cast, literal, null

    from engines.rules.actions.scoring import segment, segment_sql

    async with api.platform.engine.connect() as conn:
        for scores in product([None, 1, 2, 3, 4, 5], repeat=3):
            sql = segment_sql(*(cast(null() if s is None else literal(float(s)), Float) for s in scores))
            assert (await conn.execute(select(sql))).scalar() == segment(*scores), scores


async def test_rfm_tile_ends_give_the_boundaries_ntile_gives(api):
    """A batch reads each tile's largest value at the tile's last place; NTILE(5) over the same rows agrees — counts
    that split evenly or not, fewer rows than tiles, ties."""
    import random

    from sqlalchemy import Column, DateTime, Float, Integer, MetaData, Table, func, insert

    from engines.rules.actions.scoring import PARTS, TILES, Rfm

    assert Rfm.ends_sql(None, 0, True) is None and Rfm.boundaries_at(None, 0) == {"r": [], "f": [], "m": []}
    rng = random.Random(7)
    async with api.platform.engine.begin() as conn:
        sqlite = conn.dialect.name == "sqlite"
        for count in (1, 2, 4, 5, 6, 9, 23, 101):
            kept = Table(f"ends_{count}", MetaData(), Column("cid", Integer, primary_key=True),
                         Column("last", DateTime), Column("freq", Integer), Column("money", Float),
                         prefixes=["TEMPORARY"])
            await conn.run_sync(kept.create)
            await conn.execute(insert(kept), [
                {"cid": i, "last": datetime(2026, 1, 1) + timedelta(days=rng.randint(0, 9)),
                 "freq": rng.randint(1, 4), "money": float(rng.randint(1, 6) * 50)} for i in range(1, count + 1)])
            got = Rfm.boundaries_at((await conn.execute(Rfm.ends_sql(kept, count, sqlite))).mappings().one(), count)
            want = {}
            for part, column in PARTS:
                tiles = select(func.ntile(TILES).over(order_by=kept.c[column]).label("t"),
                               kept.c[column].label("v")).subquery()
                found = (await conn.execute(select(func.max(tiles.c.v)).group_by(tiles.c.t).order_by(tiles.c.t)))
                want[part] = [v if part == "r" else float(v) for v in found.scalars()]
            assert got == want, count


async def test_rfm_scores_quintiles_in_sql_and_event_time_scores_one_customer_alike(api):
    await api.import_app(crm("shop", RFM))
    now = datetime.now(timezone.utc).replace(microsecond=0)
    customers = []
    for i in range(1, 11):  # customer i: i paid orders of 100·i, the last one 10 - i days ago
        customer = await create(api, "shop", "customer", {"name": f"c{i}"})
        customers.append(customer)
        for n in range(i):
            await create(api, "shop", "order", {"no": f"{i}-{n}", "customer": customer["id"], "amount": 100 * i,
                                                "paid_at": (now - timedelta(days=10 - i, hours=n)).isoformat()})
    await create(api, "shop", "order", {"no": "refund", "customer": customers[0]["id"], "amount": 99999,
                                        "status": "refunded", "paid_at": now.isoformat()})
    nobody = await create(api, "shop", "customer", {"name": "no orders"})
    assert await run(api, "shop", "rfm") == {"matched": 11, "changed": 10, "acted": 0, "failed": 0}
    scored = {c["name"]: (c["r"], c["f"], c["m"], c["segment"]) for c in await records(api, "shop")}
    for i in range(1, 11):
        tile = (i + 1) // 2
        assert scored[f"c{i}"] == (tile, tile, tile, "重要价值客户" if tile >= 3 else "一般挽留客户"), i
    assert scored["no orders"] == (None, None, None, None)
    # event time uses the boundaries the batch kept: writing each customer changes none of the scores
    for customer in customers:
        written = await touch(api, "shop", customer)
        assert (written["r"], written["f"], written["m"]) == scored[customer["name"]][:3]
    # a new customer's first big order, scored at once against the same tiles
    await create(api, "shop", "order", {"no": "x", "customer": nobody["id"], "amount": 5000,
                                        "paid_at": now.isoformat()})
    written = await touch(api, "shop", nobody)
    assert (written["r"], written["f"], written["m"], written["segment"]) == (5, 1, 4, "重要发展客户")
