"""Auto-numbers (流水号 DD{YYYYMMDD}{seq:4}) under concurrent writers: never the same number twice.

The counter row is reserved with INSERT … ON CONFLICT DO UPDATE inside the writer's own transaction, so
the row lock orders the writers and a rolled-back transaction takes its reservation with it: the numbers
kept are always 1…K with no repeat (and, as it happens, no gap either)."""
from __future__ import annotations

import asyncio
import re

import pytest

from runtime.db import create_engine
from runtime.records import RecordReader
from runtime.write import RecordWriter
from tests.runtime.apps import all_types_app, records_url

NUMBER = re.compile(r"^DD(\d{8})(\d{4})$")
postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


def sequence(numbers: list[str]) -> list[int]:
    """The counter part of each number, checked to be of the pattern and of one day."""
    parts = [NUMBER.match(n) for n in numbers]
    assert all(parts), numbers
    assert len({p.group(1) for p in parts}) == 1, numbers  # one day's counter (the test never spans midnight…)
    return [int(p.group(2)) for p in parts]


async def shop_with_customer(api) -> int:
    await api.import_app(all_types_app())
    return (await api.client.post(records_url("customer"), json={"name": "甲"})).json()["id"]


async def numbers_listed(api) -> list[str]:
    items = (await api.client.get(records_url("order"), params={"sort": "id", "page_size": 500})).json()["items"]
    return [item["no"] for item in items]


async def writers_at_once(api, customer: int, count: int, rolled_back: set[int]) -> list[tuple[int, str]]:
    """`count` RecordWriter transactions, each on its own database connection, all open before any of
    them inserts; those in `rolled_back` roll back after seeing their number. → (index, number) for each."""
    engine = create_engine(str(api.platform.engine.url), pool_size=count, max_overflow=0)
    everyone_open = asyncio.Barrier(count)
    ctx = api.platform.ctx

    async def one(index: int) -> tuple[int, str]:
        async with engine.connect() as conn:
            transaction = await conn.begin()
            schema = await api.platform.schemas.get(conn, "shop")  # the transaction is open on the server now
            await everyone_open.wait()
            record_id = await RecordWriter(conn, schema, ctx, api.user_id).create(
                "order", {"customer": customer, "amount": index})
            number = (await RecordReader(conn, schema, ctx).get("order", record_id))["no"]
            await (transaction.rollback() if index in rolled_back else transaction.commit())
            return index, number

    try:
        return await asyncio.gather(*(one(i) for i in range(count)))
    finally:
        await engine.dispose()


@postgresql_only
async def test_fifty_transactions_at_once_get_one_to_fifty(api):
    customer = await shop_with_customer(api)
    results = await writers_at_once(api, customer, 50, rolled_back=set())
    assert sorted(sequence([number for _, number in results])) == list(range(1, 51))
    assert sorted(sequence(await numbers_listed(api))) == list(range(1, 51))


@postgresql_only
async def test_rolled_back_transactions_never_make_a_kept_number_repeat(api):
    customer = await shop_with_customer(api)
    rolled_back = set(range(0, 50, 5))  # ten of the fifty give up after taking their number
    await writers_at_once(api, customer, 50, rolled_back)
    kept = sequence(await numbers_listed(api))
    assert len(kept) == 40 and len(set(kept)) == 40
    # the reservation goes back with the transaction, so the kept numbers close up: 1…40
    assert sorted(kept) == list(range(1, 41))
    after = (await api.client.post(records_url("order"), json={"customer": customer})).json()
    assert sequence([after["no"]]) == [41]


async def test_fifty_requests_at_once_through_the_api_get_distinct_numbers(api):
    customer = await shop_with_customer(api)
    responses = await asyncio.gather(*(
        api.client.post(records_url("order"), json={"customer": customer, "amount": i}) for i in range(50)))
    assert [r.status_code for r in responses] == [201] * 50, [r.text for r in responses if r.status_code != 201]
    assert sorted(sequence([r.json()["no"] for r in responses])) == list(range(1, 51))
    assert sorted(sequence(await numbers_listed(api))) == list(range(1, 51))


async def test_a_bulk_of_a_hundred_among_single_inserts_repeats_no_number(api):
    customer = await shop_with_customer(api)
    bulk = api.client.post(records_url("order") + "/bulk",
                           json={"items": [{"customer": customer, "amount": i} for i in range(100)]})
    singles = [api.client.post(records_url("order"), json={"customer": customer, "amount": -i}) for i in range(20)]
    first, second = singles[:10], singles[10:]
    responses = await asyncio.gather(*first, bulk, *second)
    assert [r.status_code for r in responses] == [201] * 21, [r.text for r in responses if r.status_code != 201]
    numbers = await numbers_listed(api)
    assert len(numbers) == 120 and sorted(sequence(numbers)) == list(range(1, 121))
    # the hundred of the bulk request are one run of consecutive numbers: one reservation of 100
    bulk_ids = set(responses[10].json()["ids"])
    items = (await api.client.get(records_url("order"), params={"sort": "id", "page_size": 500})).json()["items"]
    bulk_numbers = sorted(sequence([item["no"] for item in items if item["id"] in bulk_ids]))
    assert bulk_numbers == list(range(bulk_numbers[0], bulk_numbers[0] + 100))
