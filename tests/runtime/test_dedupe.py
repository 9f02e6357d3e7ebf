"""Dedupe and merge (查重合并) through the API, on SQLite and PostgreSQL."""
from __future__ import annotations

import copy
from datetime import datetime, timezone

from sqlalchemy import insert, select

from runtime.models import audit_log
from tests.runtime.apps import records_url

APP = {
    "format": "nocode.app/v1", "key": "crm", "name": "客户管理",
    "forms": [
        {"key": "customer", "name": "客户", "title_field": "name",
         "dedupe": {"keys": ["phone", "email", "unionid"]}, "fields": [
             {"key": "name", "type": "text", "required": True},
             {"key": "phone", "type": "phone"},
             {"key": "email", "type": "email", "unique": True},
             {"key": "unionid", "type": "text"},
             {"key": "city", "type": "text"},
             {"key": "level", "type": "select", "options": ["普通", "VIP"]},
             {"key": "tags", "type": "tags"},
             {"key": "referrer", "type": "relation", "target": "customer"},
             {"key": "orders", "type": "rollup", "source": "order", "via": "customer", "agg": "count"},
             {"key": "spent", "type": "rollup", "source": "order", "via": "customer", "agg": "sum", "field": "amount"},
         ]},
        {"key": "order", "name": "订单", "fields": [
            {"key": "customer", "type": "relation", "target": "customer", "required": True},
            {"key": "helpers", "type": "relation", "target": "customer", "many": True},
            {"key": "amount", "type": "money"},
            {"key": "buyer", "type": "formula", "expr": "customer.name"},
            {"key": "lines", "type": "subtable", "fields": [
                {"key": "recipient", "type": "relation", "target": "customer"},
                {"key": "qty", "type": "number"},
                {"key": "to", "type": "formula", "expr": "recipient.name"}]},
        ]},
    ],
}
CUSTOMERS = records_url("customer", "crm")
ORDERS = records_url("order", "crm")
DUPLICATES = "/api/apps/crm/forms/customer/duplicates"
MERGE = f"{CUSTOMERS}/merge"


async def create(api, url: str, body: dict) -> dict:
    response = await api.client.post(url, json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def insert_raw(api, **values) -> int:
    """A customer row written straight into its table, as data from before the phone type normalised values."""
    async with api.platform.engine.begin() as conn:
        store = (await api.platform.schemas.get(conn, "crm")).form("customer")
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        row = {"created_at": now, "updated_at": now, "version": 1,
               **{store.fields[key].column.name: value for key, value in values.items()}}
        return (await conn.execute(insert(store.table).values(row).returning(store.table.c.id))).scalar_one()


async def audit_rows(api) -> list:
    """The merge entries (every write is audited too; those are tested with the write path)."""
    async with api.platform.engine.connect() as conn:
        return (await conn.execute(select(audit_log).where(audit_log.c.action == "merge")
                                   .order_by(audit_log.c.record_id))).mappings().all()


async def test_duplicates_are_found_across_phone_formats_email_case_and_trimmed_ids(api):
    await api.import_app(APP)
    a = await create(api, CUSTOMERS, {"name": "甲", "phone": "138 0013 8000", "email": "Amy@Example.com",
                                      "unionid": "oAbc"})
    b = await create(api, CUSTOMERS, {"name": "乙", "phone": "+86 13800138000", "email": "amy@example.com",
                                      "unionid": "oabc"})  # another WeChat user: ids are case-sensitive
    c = await create(api, CUSTOMERS, {"name": "丙", "phone": "138-0013-8000"})
    await create(api, CUSTOMERS, {"name": "丁"})
    await create(api, CUSTOMERS, {"name": "戊", "phone": "13900139000"})
    raw_86 = await insert_raw(api, name="己", phone="86 138-0013-8000")
    raw_0086 = await insert_raw(api, name="庚", phone="0086(138)00138000", email="  AMY@example.COM ",
                                unionid=" oAbc ")
    await insert_raw(api, name="辛", phone="", unionid="  ")
    await insert_raw(api, name="壬", phone=" - ", unionid="")

    response = await api.client.get(DUPLICATES)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == 3 and body["fields"] == ["phone", "email", "unionid"]
    assert [(g["field"], g["value"], g["count"]) for g in body["groups"]] == [
        ("phone", "13800138000", 5), ("email", "amy@example.com", 3), ("unionid", "oAbc", 2)]
    phone, email, unionid = body["groups"]
    assert [r["id"] for r in phone["records"]] == [raw_0086, raw_86, c["id"], b["id"], a["id"]]  # newest first
    assert [r["name"] for r in email["records"]] == ["庚", "乙", "甲"]
    assert [r["id"] for r in unionid["records"]] == [raw_0086, a["id"]]

    second = (await api.client.get(DUPLICATES, params={"page": 2, "page_size": 1})).json()
    assert second["total"] == 3 and [g["field"] for g in second["groups"]] == ["email"]
    only_email = (await api.client.get(DUPLICATES, params={"fields": "email"})).json()
    assert [(g["field"], g["count"]) for g in only_email["groups"]] == [("email", 3)]


async def test_check_names_existing_records_a_new_one_would_duplicate(api):
    await api.import_app(APP)
    a = await create(api, CUSTOMERS, {"name": "甲", "phone": "13800138000", "email": "amy@example.com"})
    b = await create(api, CUSTOMERS, {"name": "乙", "phone": "138 0013 8000"})
    check = f"{DUPLICATES}/check"

    found = (await api.client.post(check, json={"name": "新", "phone": "86 138 0013 8000", "email": "AMY@Example.com",
                                                "unionid": "o1", "tags": ["x"]})).json()
    assert [(d["field"], d["value"], d["count"]) for d in found["duplicates"]] == [
        ("phone", "13800138000", 2), ("email", "amy@example.com", 1)]
    assert [r["id"] for r in found["duplicates"][0]["records"]] == [b["id"], a["id"]]
    editing_a = (await api.client.post(check, json={"id": a["id"], "phone": "13800138000"})).json()
    assert [r["id"] for r in editing_a["duplicates"][0]["records"]] == [b["id"]]
    assert (await api.client.post(check, json={"phone": "", "email": "   "})).json()["duplicates"] == []
    assert (await api.client.post(check, json={"phone": "13900000000"})).json()["duplicates"] == []


async def test_bad_dedupe_requests_get_4xx_naming_the_place(api):
    await api.import_app(APP)
    a = await create(api, CUSTOMERS, {"name": "甲"})
    b = await create(api, CUSTOMERS, {"name": "乙"})

    async def error(response, status: int):
        assert response.status_code == status, response.text
        return [(d["path"], d["code"]) for d in response.json()["error"]["details"]]

    no_keys = await api.client.get("/api/apps/crm/forms/order/duplicates")
    assert await error(no_keys, 400) == [("/query/fields", "dedupe_keys_missing")]
    assert "dedupe.keys" in no_keys.json()["error"]["details"][0]["message"]
    assert await error(await api.client.get(DUPLICATES, params={"fields": "phone,nope"}), 400) == [
        ("/query/fields", "unknown_field")]
    assert await error(await api.client.get(DUPLICATES, params={"fields": "tags"}), 400) == [
        ("/query/fields", "dedupe_type_unsupported")]
    assert (await api.client.get("/api/apps/crm/forms/nope/duplicates")).status_code == 404
    assert await error(await api.client.post(f"{DUPLICATES}/check", json=[1]), 422) == [("", "not_object")]

    assert await error(await api.client.post(MERGE, json={"keep": a["id"], "merge": [b["id"], a["id"], b["id"]]}),
                       422) == [("/merge/1", "merge_keeps_itself"), ("/merge/2", "duplicate_in_batch")]
    assert await error(await api.client.post(MERGE, json={"keep": "x", "merge": "y", "values": [], "extra": 1}),
                       422) == [("/extra", "unknown_key"), ("/keep", "bad_reference"), ("/merge", "not_list"),
                                ("/values", "not_object")]
    assert await error(await api.client.post(MERGE, json={"keep": a["id"], "merge": []}), 422) == [
        ("/merge", "too_few_items")]
    assert await error(await api.client.post(MERGE, json={"keep": a["id"], "merge": list(range(1000, 1051))}),
                       422) == [("/merge", "too_many_items")]
    missing = await api.client.post(MERGE, json={"keep": 999, "merge": [b["id"], 998]})
    assert await error(missing, 404) == [("/keep", "missing_record"), ("/merge/1", "missing_record")]
    assert "999, 998" in missing.json()["error"]["message"]
    # ids belong to one form: an order's id is not a customer, and sub-tables are not forms of their own
    order = await create(api, ORDERS, {"customer": a["id"], "lines": [{"qty": 1}]})
    assert (await api.client.post(MERGE, json={"keep": a["id"], "merge": [order["id"] + 100]})).status_code == 404
    assert (await api.client.post("/api/apps/crm/forms/order.lines/records/merge",
                                  json={"keep": 1, "merge": [2]})).status_code == 404

    bad = copy.deepcopy(APP)
    bad["forms"][0]["dedupe"] = {"keys": ["phone", "tags"]}
    refused = await api.client.put("/api/apps/crm/draft", json=bad)
    assert refused.status_code == 422 and [(d["path"]) for d in refused.json()["error"]["details"]] == [
        "/forms/0/dedupe"]


async def _merge_scene(api) -> dict:
    await api.import_app(APP)
    keep = await create(api, CUSTOMERS, {"name": "张三", "phone": "13800138000", "tags": ["VIP"]})
    first = await create(api, CUSTOMERS, {"name": "张三2", "phone": "138 0013 8000", "email": "zs@example.com",
                                          "city": "杭州", "tags": ["团长", "VIP"], "referrer": keep["id"]})
    second = await create(api, CUSTOMERS, {"name": "张三3", "city": "上海", "level": "VIP", "tags": ["老客"],
                                           "referrer": first["id"]})
    other = await create(api, CUSTOMERS, {"name": "李四", "email": "ls@example.com", "referrer": second["id"]})
    orders = [
        await create(api, ORDERS, {"customer": first["id"], "helpers": [first["id"], keep["id"]], "amount": 100,
                                   "lines": [{"recipient": second["id"], "qty": 1},
                                             {"recipient": other["id"], "qty": 2}]}),
        await create(api, ORDERS, {"customer": second["id"], "helpers": [second["id"], first["id"]], "amount": 50}),
        await create(api, ORDERS, {"customer": keep["id"], "amount": 10}),
        await create(api, ORDERS, {"customer": other["id"], "helpers": [other["id"]], "amount": 7}),
    ]
    return {"keep": keep, "first": first, "second": second, "other": other, "orders": orders}


async def test_merge_fills_gaps_unions_lists_repoints_every_relation_and_audits(api):
    scene = await _merge_scene(api)
    keep, first, second, other = scene["keep"], scene["first"], scene["second"], scene["other"]
    o1, o2, o3, o4 = scene["orders"]
    assert o1["buyer"] == "张三2" and o1["lines"][0]["to"] == "张三3"
    assert (await api.client.get(f"{CUSTOMERS}/{keep['id']}")).json()["orders"] == 1

    response = await api.client.post(MERGE, json={"keep": keep["id"], "merge": [first["id"], second["id"]],
                                                  "values": {"city": "北京"}, "version": keep["version"]})
    assert response.status_code == 200, response.text
    body = response.json()
    record = body["record"]
    assert record["name"] == "张三" and record["phone"] == "13800138000"
    assert record["email"] == "zs@example.com"  # a unique value moves over from the merged record
    assert record["city"] == "北京"  # the user's pick wins over what the merged records hold
    assert record["level"] == "VIP"  # first non-empty, in the order given
    assert record["orders"] == 3 and record["spent"] == 160  # rollups over the re-pointed orders
    assert record["tags"] == ["VIP", "团长", "老客"]
    assert record["referrer"] is None  # it pointed at a merged record: never at itself
    assert record["version"] == keep["version"] + 1
    assert body["merged"] == [first["id"], second["id"]]
    assert body["repointed"] == {"customer.referrer": 1, "order.customer": 2, "order.helpers": 3,
                                 "order.lines.recipient": 1}

    for gone in (first, second):
        assert (await api.client.get(f"{CUSTOMERS}/{gone['id']}")).status_code == 404
    assert (await api.client.get(f"{CUSTOMERS}/{other['id']}")).json()["referrer"]["id"] == keep["id"]
    r1, r2, r3, r4 = [(await api.client.get(f"{ORDERS}/{o['id']}")).json() for o in (o1, o2, o3, o4)]
    assert r1["customer"] == {"id": keep["id"], "title": "张三"} and r1["buyer"] == "张三"
    assert [h["id"] for h in r1["helpers"]] == [keep["id"]]  # already linked: no second link row
    assert [h["id"] for h in r2["helpers"]] == [keep["id"]]  # two merged links become one
    assert r1["lines"][0]["recipient"]["id"] == keep["id"] and r1["lines"][0]["to"] == "张三"
    assert r1["lines"][1]["recipient"]["id"] == other["id"]
    assert r2["customer"]["id"] == keep["id"] and r2["buyer"] == "张三"
    assert r1["version"] == o1["version"] + 1 and r2["version"] == o2["version"] + 1
    assert r3["buyer"] == "张三"
    assert r4 == o4  # untouched
    listed = (await api.client.get(ORDERS, params={"customer": keep["id"]})).json()
    assert listed["total"] == 3

    rows = await audit_rows(api)
    assert [(r["action"], r["form"], r["record_id"], r["user_id"]) for r in rows] == [
        ("merge", "customer", first["id"], api.user_id), ("merge", "customer", second["id"], api.user_id)]
    assert rows[0]["detail"]["kept"] == keep["id"]
    assert rows[0]["detail"]["snapshot"]["name"] == "张三2"
    assert rows[0]["detail"]["snapshot"]["tags"] == ["团长", "VIP"]
    assert rows[0]["detail"]["repointed"] == {"order.customer": 1, "order.helpers": 2}
    assert rows[1]["detail"]["repointed"] == {"customer.referrer": 1, "order.customer": 1, "order.helpers": 1,
                                              "order.lines.recipient": 1}
    assert (await api.client.get(DUPLICATES)).json()["total"] == 0


async def test_a_failing_merge_changes_nothing(api):
    scene = await _merge_scene(api)
    keep, first, second, other = scene["keep"], scene["first"], scene["second"], scene["other"]
    customers = {c["id"]: (await api.client.get(f"{CUSTOMERS}/{c['id']}")).json() for c in (keep, first, second, other)}
    orders = {o["id"]: (await api.client.get(f"{ORDERS}/{o['id']}")).json() for o in scene["orders"]}

    taken = await api.client.post(MERGE, json={"keep": keep["id"], "merge": [first["id"], second["id"]],
                                               "values": {"email": "ls@example.com"}})
    assert taken.status_code == 422, taken.text
    assert [(d["path"], d["code"]) for d in taken.json()["error"]["details"]] == [("/values/email", "duplicate_value")]
    stale = await api.client.post(MERGE, json={"keep": keep["id"], "merge": [first["id"]],
                                               "version": keep["version"] + 5})
    assert stale.status_code == 409, stale.text
    invalid = await api.client.post(MERGE, json={"keep": keep["id"], "merge": [first["id"]],
                                                 "values": {"level": "金牌"}})
    assert [(d["path"], d["code"]) for d in invalid.json()["error"]["details"]] == [("/values/level", "not_option")]

    for customer_id, customer in customers.items():
        assert (await api.client.get(f"{CUSTOMERS}/{customer_id}")).json() == customer
    for order_id, order in orders.items():
        assert (await api.client.get(f"{ORDERS}/{order_id}")).json() == order
    assert await audit_rows(api) == []
