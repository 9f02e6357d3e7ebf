"""Channel ingestion and identity unification end to end, on SQLite and PostgreSQL: events from several channels
resolving to one customer, phone normalisation, an event tying two customers together (merge with orders
re-pointed and recorded), the trail and the 360° view under row scopes, bad events reported by place, resends taken
once, bounded statements per batch, and two concurrent batches for the same new phone."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import event, func, select

from runtime.customer_events import ingest
from runtime.models import apps, audit_log, customer_events, customer_identities, customer_merges, user_roles
from tests.runtime.apps import records_url
from tests.runtime.people import add_user, bearer, token_of

CRM = {
    "format": "nocode.app/v1", "key": "crm", "name": "私域客户",
    "forms": [
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "required": True,
             "default": {"expr": "IF(ISBLANK(phone), '新客户', CONCAT('客户', RIGHT(phone, 4)))"}},
            {"key": "phone", "type": "phone"},
            {"key": "email", "type": "email"},
            {"key": "unionid", "type": "text"},
            {"key": "nickname", "type": "text"},
            {"key": "city", "type": "text"},
            {"key": "tags", "type": "tags"},
            {"key": "orders", "type": "rollup", "source": "order", "via": "customer", "agg": "count"}]},
        {"key": "order", "name": "订单", "title_field": "no", "fields": [
            {"key": "no", "type": "text", "required": True},
            {"key": "customer", "type": "relation", "target": "customer", "required": True},
            {"key": "amount", "type": "money"}]},
        {"key": "followup", "name": "跟进记录", "title_field": "note", "fields": [
            {"key": "note", "type": "text", "required": True},
            {"key": "customer", "type": "relation", "target": "customer"}]},
    ],
    "identity": {"form": "customer", "keys": {"phone": "phone", "unionid": "unionid", "email": "email"},
                 "channels": ["wecom", "mp", "miniapp", "douyin", "youzan", "store",
                              {"key": "mp_fruit", "name": "水果公众号"}],
                 "owned": ["nickname"]},
    "rules": [{"key": "welcome", "name": "新客标签", "form": "customer", "on": ["created"], "when": "TRUE",
               "then": [{"action": "add_tag", "field": "tags", "tag": "新客"}]}],
    "roles": [{"key": "leader", "name": "团长", "permissions": [
        {"form": "customer", "ops": ["read", "create", "update"], "rows": "own", "fields": {"email": "hidden"}},
        {"form": "order", "ops": ["read", "create"], "rows": "own"}]}],
}
EVENTS = "/api/apps/crm/events"


def customer_url(customer_id: int, what: str) -> str:
    return f"/api/apps/crm/customers/{customer_id}/{what}"


async def send(api, channel: str, *events: dict, headers: dict | None = None) -> dict:
    response = await api.client.post(EVENTS, json={"channel": channel, "events": list(events)}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


def ev(type_: str = "article_read", at: str = "2024-06-01T10:00:00+08:00", profile: dict | None = None,
       data: dict | None = None, **identities) -> dict:
    body = {"type": type_, "occurred_at": at, "identities": identities}
    if profile:
        body["profile"] = profile
    if data:
        body["data"] = data
    return body


async def get(api, url: str, headers: dict | None = None) -> dict:
    response = await api.client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def create(api, form: str, values: dict, headers: dict | None = None) -> dict:
    response = await api.client.post(records_url(form, "crm"), json=values, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def count(api, table, **where) -> int:
    async with api.platform.engine.connect() as conn:
        query = select(func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return (await conn.execute(query)).scalar_one()


async def test_events_from_three_channels_resolve_to_one_customer(api):
    await api.import_app(CRM)
    first = await send(api, "miniapp", ev("product_click", openid="oMini1", unionid="U-100",
                                          profile={"nickname": "小王", "city": "杭州"}, data={"sku": "A1"}))
    customer = first["customers"][0]
    assert first["accepted"] == 1 and first["created"] == [customer]
    second = await send(api, "mp", ev("article_read", openid="oMp9", unionid="U-100"))
    third = await send(api, "wecom", ev("friend_added", unionid="U-100", phone="+86 138 0013 8000"))
    fourth = await send(api, "store", ev("order", at="2024-06-02T09:00:00+08:00", phone="138-0013-8000"))
    assert second["customers"] == third["customers"] == fourth["customers"] == [customer]
    assert second["created"] == third["created"] == fourth["created"] == []

    record = await get(api, f"{records_url('customer', 'crm')}/{customer}")
    assert record["phone"] == "13800138000" and record["unionid"] == "U-100"
    assert record["name"] == "新客户"  # the form's default, computed when the first event created the customer
    assert record["nickname"] == "小王" and record["city"] == "杭州"
    assert record["tags"] == ["新客"]  # the rule on created ran, as for any new record

    identities = (await get(api, customer_url(customer, "identities")))["items"]
    assert sorted((i["kind"], i["value"], i.get("channel")) for i in identities) == [
        ("openid", "oMini1", "miniapp"), ("openid", "oMp9", "mp"), ("phone", "13800138000", None),
        ("unionid", "U-100", None)]
    trail = await get(api, customer_url(customer, "events"))
    assert trail["total"] == 4
    assert [(e["channel"]["key"], e["type"]) for e in trail["items"]] == [  # newest first, then last received
        ("store", "order"), ("wecom", "friend_added"), ("mp", "article_read"), ("miniapp", "product_click")]
    assert trail["items"][0]["channel"]["name"] == "offline store"
    assert trail["items"][3]["data"] == {"sku": "A1"}
    only_mp = await get(api, customer_url(customer, "events") + "?channel=mp")
    assert only_mp["total"] == 1 and only_mp["items"][0]["identities"] == {"openid": "oMp9", "unionid": "U-100"}


async def test_phones_in_every_format_are_one_person_and_staff_typed_customers_are_found(api):
    await api.import_app(CRM)
    answer = await send(api, "youzan", *[ev(phone=p) for p in (
        "+86 13800138000", "86-138-0013-8000", "0086 138 0013 8000", "(138) 0013 8000", 13800138000)])
    assert len(set(answer["customers"])) == 1 and answer["accepted"] == 5 and len(answer["created"]) == 1
    typed = await create(api, "customer", {"name": "门店录入", "phone": "139 0013 9000", "email": "Amy@Example.com"})
    found = await send(api, "douyin", ev(phone="+86 139-0013-9000"), ev(email="AMY@example.com"))
    assert found["customers"] == [typed["id"], typed["id"]] and found["created"] == []
    assert await count(api, customer_identities, customer_id=typed["id"]) == 2  # now in the identity store
    record = await get(api, f"{records_url('customer', 'crm')}/{typed['id']}")
    assert record["name"] == "门店录入"  # what staff typed stays


async def test_an_event_linking_two_customers_merges_them_with_orders_repointed(api):
    await api.import_app(CRM)
    a = (await send(api, "store", ev("visit", phone="13800138000", profile={"city": "杭州"})))["customers"][0]
    b = (await send(api, "miniapp", ev("coupon_claimed", unionid="U-B", openid="oB",
                                       profile={"nickname": "阿B"})))["customers"][0]
    order = await create(api, "order", {"no": "DD1", "customer": b, "amount": 88})
    note = await create(api, "followup", {"note": "回访", "customer": b})
    assert a != b

    linked = await send(api, "wecom", ev("friend_added", phone="+86 138 0013 8000", unionid="U-B"))
    assert linked["customers"] == [a]  # the older customer survives
    assert [(m["survivor"], m["merged"]) for m in linked["merges"]] == [(a, [b])]

    assert (await get(api, f"{records_url('order', 'crm')}/{order['id']}"))["customer"]["id"] == a
    assert (await get(api, f"{records_url('followup', 'crm')}/{note['id']}"))["customer"]["id"] == a
    gone = await api.client.get(f"{records_url('customer', 'crm')}/{b}")
    assert gone.status_code == 404
    kept = await get(api, f"{records_url('customer', 'crm')}/{a}")
    assert kept["unionid"] == "U-B" and kept["nickname"] == "阿B" and kept["city"] == "杭州" and kept["orders"] == 1
    assert await count(api, customer_identities, customer_id=b) == 0
    assert await count(api, customer_events, customer_id=b) == 0
    assert (await get(api, customer_url(a, "events")))["total"] == 3

    async with api.platform.engine.connect() as conn:
        merge = (await conn.execute(select(customer_merges))).mappings().one()
        audited = (await conn.execute(select(audit_log).where(audit_log.c.action == "merge"))).mappings().one()
    assert (merge["survivor_id"], merge["merged_id"]) == (a, b)
    assert merge["reason"]["source"] == "event" and merge["reason"]["channel"] == "wecom"
    assert sorted((i["kind"], i["value"], i["customer"]) for i in merge["reason"]["identities"]) == [
        ("phone", "13800138000", a), ("unionid", "U-B", b)]
    assert merge["snapshot"]["nickname"] == "阿B"
    assert audited["record_id"] == b and audited["detail"]["kept"] == a

    view = await get(api, customer_url(a, "360"))
    assert [(m["merged"], m["reason"]["source"]) for m in view["merges"]] == [(b, "event")]


async def test_the_360_view_shows_orders_follow_ups_channels_and_events(api):
    await api.import_app(CRM)
    customer = (await send(api, "miniapp", ev("product_click", at="2024-06-01T10:00:00+08:00", unionid="U1"),
                           ev("live_watch", at="2024-06-03T20:00:00+08:00", unionid="U1", data={"seconds": 900})
                           ))["customers"][0]
    await send(api, "store", ev("visit", at="2024-06-02T10:00:00+08:00", unionid="U1", phone="13700137000"))
    for no in ("DD1", "DD2", "DD3"):
        await create(api, "order", {"no": no, "customer": customer, "amount": 10})
    await create(api, "followup", {"note": "电话回访", "customer": customer})

    view = await get(api, customer_url(customer, "360"))
    assert view["record"]["id"] == customer and view["record"]["phone"] == "13700137000"
    related = {r["form"]: r for r in view["related"]}
    assert related["order"]["count"] == 3 and [o["no"] for o in related["order"]["latest"]] == ["DD3", "DD2", "DD1"]
    assert related["followup"]["count"] == 1 and related["followup"]["latest"][0]["note"] == "电话回访"
    assert {c["key"]: c["events"] for c in view["channels"]} == {"miniapp": 2, "store": 1}
    assert view["events"]["total"] == 3
    assert [e["type"] for e in view["events"]["recent"]] == ["live_watch", "visit", "product_click"]
    assert view["events"]["recent"][0]["data"] == {"seconds": 900}
    assert view["tags"] == {"tags": ["新客"]}


async def test_a_leader_sees_only_own_customers_trail_and_360(api):
    await api.import_app(CRM)
    leader = await add_user(api, "leader1")
    async with api.platform.engine.begin() as conn:
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "crm"))).scalar_one()
        await conn.execute(user_roles.insert().values(user_id=leader, app_id=app_id, role="leader"))
    as_leader = bearer(await token_of(api, "leader1"))
    mine = (await send(api, "wecom", ev(phone="13600136000", email="me@x.com"), headers=as_leader))["customers"][0]
    theirs = (await send(api, "wecom", ev(phone="13500135000")))["customers"][0]
    await create(api, "order", {"no": "MINE", "customer": mine}, headers=as_leader)
    await create(api, "order", {"no": "ADMIN", "customer": mine})

    for what in ("360", "events", "identities"):
        response = await api.client.get(customer_url(theirs, what), headers=as_leader)
        assert response.status_code == 404, (what, response.text)
    view = await get(api, customer_url(mine, "360"), headers=as_leader)
    assert "email" not in view["record"]
    assert [i["kind"] for i in view["identities"]] == ["phone"]  # the email identity is as hidden as the field
    assert "email" not in view["events"]["recent"][0]["identities"]
    orders = next(r for r in view["related"] if r["form"] == "order")
    assert orders["count"] == 1 and [o["no"] for o in orders["latest"]] == ["MINE"]
    assert all(r["form"] != "followup" for r in view["related"])  # a form the leader may not read


async def test_bad_events_are_reported_by_place_and_the_good_ones_taken(api):
    await api.import_app(CRM)
    answer = await send(api, "mp", ev(phone="13800138000"), {"type": "read", "occurred_at": "2024-06-01"},
                        ev(at="yesterday", phone="13800138001"), ev(phone="12ab"), ev(fax="123"),
                        ev(phone="13800138002", profile={"phone": "1"}), ev(phone="13800138003", profile={"shoe_size": 42}))
    assert answer["accepted"] == 1 and answer["customers"][0] is not None
    assert answer["customers"][1:] == [None] * 6
    places = {item["index"]: [(p["path"], p["code"]) for p in item["problems"]] for item in answer["rejected"]}
    assert places == {
        1: [("/events/1/identities", "event_no_identity")],
        2: [("/events/2/occurred_at", "not_datetime")],
        3: [("/events/3/identities/phone", "bad_phone")],
        4: [("/events/4/identities/fax", "identity_unknown_kind")],
        5: [("/events/5/profile/phone", "identity_in_profile")],
        6: [("/events/6/profile/shoe_size", "unknown_field")],
    }
    unknown = await api.client.post(EVENTS, json={"channel": "tiktok", "events": [ev(phone="13800138000")]})
    assert unknown.status_code == 422 and unknown.json()["error"]["details"][0]["path"] == "/channel"
    nothing = await api.client.post(EVENTS, json={"channel": "mp", "events": [ev()]})
    assert nothing.status_code == 422 and nothing.json()["error"]["details"][0]["path"] == "/events/0/identities"


async def test_resent_events_are_taken_once_and_profiles_only_fill_gaps(api):
    await api.import_app(CRM)
    first = ev("coupon_claimed", phone="13800138000", profile={"nickname": "旧昵称", "city": "杭州", "tags": ["宝妈"]})
    first["id"] = "yz-1"
    customer = (await send(api, "youzan", first))["customers"][0]
    again = await send(api, "youzan", first)
    assert (again["accepted"], again["duplicates"], again["customers"]) == (0, 1, [customer])
    assert await count(api, customer_events) == 1

    record = await get(api, f"{records_url('customer', 'crm')}/{customer}")
    typed = await api.client.patch(f"{records_url('customer', 'crm')}/{customer}",
                                   json={"city": "上海", "version": record["version"]})
    assert typed.status_code == 200, typed.text
    await send(api, "youzan", ev(phone="13800138000", at="2024-07-01T10:00:00+08:00",
                                 profile={"nickname": "新昵称", "city": "苏州", "tags": ["爱水果"]}))
    after = await get(api, f"{records_url('customer', 'crm')}/{customer}")
    assert after["city"] == "上海"  # what staff typed is never overwritten by a channel
    assert after["nickname"] == "新昵称"  # …unless the channel owns the field
    assert after["tags"] == ["宝妈", "新客", "爱水果"]  # tags only ever add up


async def test_staff_merge_two_customers_by_hand(api):
    await api.import_app(CRM)
    a = (await send(api, "store", ev(phone="13800138000")))["customers"][0]
    b = (await send(api, "mp", ev(openid="oX")))["customers"][0]
    await create(api, "order", {"no": "DD9", "customer": b})
    response = await api.client.post(customer_url(a, "merge"), json={"other": b})
    assert response.status_code == 200, response.text
    assert response.json()["repointed"] == {"order.customer": 1}
    later = await send(api, "mp", ev(openid="oX"))
    assert later["customers"] == [a]
    view = await get(api, customer_url(a, "360"))
    assert view["merges"][0]["reason"]["source"] == "manual"
    assert (await api.client.post(customer_url(a, "merge"), json={"other": a})).status_code == 422


async def test_a_batch_of_1000_events_costs_a_bounded_number_of_statements(api):
    # without the welcome rule, whose per-record tag bookkeeping is the rules engine's own cost
    await api.import_app({key: value for key, value in CRM.items() if key != "rules"})
    statements = []

    def counted(*_args):
        statements.append(1)

    engine = api.platform.engine.sync_engine
    events = [ev("product_click", at=f"2024-06-01T10:{i % 60:02d}:00+08:00", phone=f"1380000{i % 600:04d}",
                 openid=f"o{i}", data={"n": i}) for i in range(1000)]
    event.listen(engine, "before_cursor_execute", counted)
    try:
        answer = await send(api, "miniapp", *events)
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    assert answer["accepted"] == 1000 and len(answer["created"]) == 600
    assert len(statements) < 40, len(statements)

    statements.clear()
    event.listen(engine, "before_cursor_execute", counted)
    try:
        again = await send(api, "mp", *[ev("article_read", phone=f"+86 1380000{i % 600:04d}") for i in range(1000)])
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    assert again["created"] == [] and again["customers"][:600] == answer["customers"][:600]
    assert len(statements) < 30, len(statements)


async def test_two_concurrent_batches_for_one_new_phone_make_one_customer(api, database_url):
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite runs one writer at a time")
    await api.import_app(CRM)
    engine, ctx = api.platform.engine, api.platform.ctx
    async with engine.connect() as conn:
        schema = await api.platform.schemas.get(conn, "crm")
    first_conn = await engine.connect()
    second_conn = await engine.connect()
    try:
        await first_conn.begin()
        await second_conn.begin()
        first = await ingest(first_conn, schema, "store", [ev(phone="13800138000")], ctx=ctx)
        # the second batch waits on the first one's uncommitted identity, then finds it taken and resolves again
        second = asyncio.create_task(ingest(second_conn, schema, "miniapp", [ev(phone="+8613800138000",
                                                                                unionid="U-9")], ctx=ctx))
        await asyncio.sleep(0.3)
        assert not second.done()
        await first_conn.commit()
        answer = await second
        await second_conn.commit()
    finally:
        await first_conn.close()
        await second_conn.close()
    assert answer["customers"] == first["customers"] and answer["created"] == []
    assert await count(api, customer_identities, kind="phone") == 1
    async with engine.connect() as conn:
        customers = (await api.platform.schemas.get(conn, "crm")).form("customer").table
        assert (await conn.execute(select(func.count()).select_from(customers))).scalar_one() == 1


async def test_apps_decide_whether_events_may_create_customers(api):
    await api.import_app({key: value for key, value in CRM.items() if key != "identity"} | {"key": "plain"})
    response = await api.client.post("/api/apps/plain/events", json={"channel": "mp", "events": []})
    assert response.status_code == 409 and response.json()["error"]["code"] == "identity_not_configured"
    await api.import_app({**CRM, "identity": {**CRM["identity"], "create": False}})
    known = await create(api, "customer", {"name": "老客", "phone": "13800138000"})
    answer = await send(api, "store", ev(phone="13800138000"), ev(phone="13900139000"))
    assert answer["customers"] == [known["id"], None]
    assert answer["rejected"][0]["problems"][0]["code"] == "identity_unknown_customer"
