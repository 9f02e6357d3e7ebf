"""The bulk write path (RecordWriter.create_many with many items) on both databases: it stores exactly what single
creates store, names every problem by item and field, and writes nothing for no items."""
from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import Date, DateTime, func, select
from sqlalchemy.dialects import sqlite

from runtime.models import audit_log
from runtime.write import COPY_FROM, _converter
from tests.runtime.apps import all_types_app, records_url

SYSTEM = {"id", "no", "created_at", "updated_at"}


def _orders(customer: int, products: list[int]) -> list[dict]:
    return [
        {"customer": customer, "gifts": products, "channels": ["直播", "社群", "直播"], "amount": 12.345,
         "discount": "15%", "weight": 1.234, "paid_on": "2026/1/2", "paid_at": "2026-11-20T10:15:00+08:00",
         "gift_wrap": "是", "remark": "多\n行 O'Brien \"q\"", "tags": ["团购", " 复购 ", "团购"],
         "lines": [{"product": products[0], "qty": 2, "price": 59.9},
                   {"product": products[1], "qty": 1, "price": "69"}]},
        {"customer": customer, "paid_at": "2026-11-20 10:15", "amount": 0, "tags": []},
        {"customer": customer, "status": "refunded", "paid_on": "2000-02-29", "paid_at": "2026-03-01T00:00:00Z",
         "amount": "¥1,234.5", "weight": None, "tags": None, "channels": ["小程序"]},
    ]


async def test_a_bulk_stores_what_single_creates_store(api):
    await api.import_app(all_types_app())
    customer = (await api.client.post(records_url("customer"), json={"name": "张三", "phone": "13800000001"})).json()
    products = [(await api.client.post(records_url("product"), json={"name": n, "price": p})).json()["id"]
                for n, p in (("荔枝", 59.9), ("大米", 69))]
    items = _orders(customer["id"], products)
    singles = [(await api.client.post(records_url("order"), json=item)).json()["id"] for item in items]
    bulk = await api.client.post(records_url("order") + "/bulk", json={"items": items})
    assert bulk.status_code == 201, bulk.text
    assert bulk.json()["count"] == 3 and bulk.json()["ids"] == [singles[-1] + 1, singles[-1] + 2, singles[-1] + 3]

    async def record(record_id: int) -> dict:
        fetched = (await api.client.get(f"{records_url('order')}/{record_id}")).json()
        fetched["lines"] = [{k: v for k, v in line.items() if k != "id"} for line in fetched["lines"]]
        return {k: v for k, v in fetched.items() if k not in SYSTEM}

    assert [await record(i) for i in bulk.json()["ids"]] == [await record(i) for i in singles]
    async with api.platform.engine.connect() as conn:
        audited = (await conn.execute(select(audit_log.c.record_id, audit_log.c.user_id).where(
            audit_log.c.action == "create", audit_log.c.form == "order").order_by(audit_log.c.id))).all()
    assert audited == [(i, api.user_id) for i in singles + bulk.json()["ids"]]


async def test_a_bulk_of_many_records_keeps_their_order_and_values(api):
    await api.import_app(all_types_app())
    items = [{"name": f"客户{i:03d}", "phone": f"138{i:08d}", "email": f"c{i}@Example.COM" if i % 3 else None,
              "level": "VIP" if i % 2 else None, "tags": [f"t{i % 5}"] if i % 4 else []} for i in range(250)]
    response = await api.client.post(records_url("customer") + "/bulk", json={"items": items})
    assert response.status_code == 201, response.text
    ids = response.json()["ids"]
    assert ids == list(range(ids[0], ids[0] + 250))
    listed = (await api.client.get(records_url("customer"), params={"sort": "id", "page_size": 250})).json()["items"]
    assert [(r["id"], r["name"], r["phone"], r["email"], r["level"], r["tags"]) for r in listed] == [
        (ids[i], f"客户{i:03d}", f"138{i:08d}", f"c{i}@example.com" if i % 3 else None, "VIP" if i % 2 else None,
         [f"t{i % 5}"] if i % 4 else None) for i in range(250)]


async def test_unique_values_are_checked_for_the_whole_batch_with_every_place_named(api):
    await api.import_app(all_types_app())
    taken = [f"1390000000{i}" for i in range(3)]
    assert (await api.client.post(records_url("customer") + "/bulk", json={
        "items": [{"name": "老客", "phone": p} for p in taken]})).status_code == 201
    items = [{"name": "a", "phone": "13911111111"}, {"name": "b", "phone": taken[1]},
             {"name": "c", "phone": "139 1111 1111"}, {"name": "d", "phone": taken[1]},
             {"name": "e", "phone": taken[0]}]
    response = await api.client.post(records_url("customer") + "/bulk", json={"items": items})
    assert response.status_code == 422
    found = [(d["path"], d["code"], d["message"]) for d in response.json()["error"]["details"]]
    # in-batch repeats first, in item order, naming the first holder; then every item holding a taken value
    assert found[:2] == [("/items/2/phone", "duplicate_in_batch", "value '13911111111' repeats item 0"),
                         ("/items/3/phone", "duplicate_in_batch", f"value {taken[1]!r} repeats item 1")]
    exists = "value {!r} already exists; it must be unique".format
    assert sorted(found[2:]) == [("/items/1/phone", "duplicate_value", exists(taken[1])),
                                 ("/items/3/phone", "duplicate_value", exists(taken[1])),
                                 ("/items/4/phone", "duplicate_value", exists(taken[0]))]
    listed = (await api.client.get(records_url("customer"))).json()
    assert listed["total"] == 3  # all or nothing


async def test_a_clean_batch_meeting_taken_values_at_the_unique_index_names_every_place(api):
    """On PostgreSQL a batch with nothing else wrong is not looked up first: the unique index refuses it, and the
    answer is the one a look-up gives (SQLite's, which looks up), with nothing written."""
    await api.import_app(all_types_app())
    taken = ["13900000001", "13900000002"]
    assert (await api.client.post(records_url("customer") + "/bulk", json={
        "items": [{"name": "老客", "phone": p} for p in taken]})).status_code == 201
    for size in (4, COPY_FROM + 20):  # rows inserted one way and the other on PostgreSQL
        items = [{"name": f"新客{i}", "phone": f"1381{i:07d}"} for i in range(size)]
        items[1]["phone"], items[3]["phone"] = taken[1], taken[0]
        response = await api.client.post(records_url("customer") + "/bulk", json={"items": items})
        assert response.status_code == 422
        exists = "value {!r} already exists; it must be unique".format
        assert sorted((d["path"], d["code"], d["message"]) for d in response.json()["error"]["details"]) == [
            ("/items/1/phone", "duplicate_value", exists(taken[1])),
            ("/items/3/phone", "duplicate_value", exists(taken[0]))]
        assert (await api.client.get(records_url("customer"))).json()["total"] == 2  # all or nothing
    fixed = [item for item in items if item["phone"] not in taken]
    response = await api.client.post(records_url("customer") + "/bulk", json={"items": fixed})
    assert response.status_code == 201 and len(response.json()["ids"]) == COPY_FROM + 18


async def test_unstorable_text_is_refused_wherever_it_hides(api):
    await api.import_app(all_types_app())
    body = '{"items": [{"name": "ok", "phone": "13800000001"}, {"name": "a\\u0000b", "tags": ["x", "\\ud800"]},' \
           ' {"name": "c", "\\udc00": 1}]}'
    response = await api.client.post(records_url("customer") + "/bulk", content=body.encode(),
                                      headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert [(d["path"], d["code"]) for d in response.json()["error"]["details"]] == [
        ("/items/1/name", "bad_text"), ("/items/1/tags/1", "bad_text"), ("/items/2", "bad_text")]
    assert (await api.client.get(records_url("customer"))).json()["total"] == 0


async def test_an_empty_bulk_writes_nothing(api):
    await api.import_app(all_types_app())
    response = await api.client.post(records_url("customer") + "/bulk", json={"items": []})
    assert response.status_code == 201 and response.json() == {"count": 0, "ids": []}
    assert (await api.client.get(records_url("customer"))).json()["total"] == 0
    async with api.platform.engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(audit_log).where(
            audit_log.c.action == "create"))).scalar() == 0


def test_sqlite_dates_are_spelled_as_sqlalchemy_spells_them():
    dialect = sqlite.aiosqlite.dialect()
    rng = random.Random(7)
    start = datetime(1, 1, 1)
    moments = [start + timedelta(seconds=rng.randrange(315_000_000_000),
                                 microseconds=rng.choice((0, rng.randrange(10**6)))) for _ in range(2000)]
    moments += [None, datetime(2024, 1, 2, tzinfo=timezone.utc), date(2024, 1, 2), datetime(9999, 12, 31, 23, 59, 59)]
    days = [date.fromordinal(rng.randrange(1, 3_652_059)) for _ in range(2000)] + [None, datetime(2024, 1, 2, 3, 4)]
    for kind, values in ((DateTime(), moments), (Date(), days)):
        process = kind.dialect_impl(dialect).bind_processor(dialect)
        assert _converter(process)(values) == [process(v) for v in values]
