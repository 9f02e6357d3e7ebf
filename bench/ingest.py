"""python -m bench.ingest: channel events with identity resolution (OneID), against the raw driver.

N events (default 100,000) of a few tens of thousands of people arrive in batches of 1,000, one channel per batch,
each channel knowing only some of a person's identities — the mini-program an OpenID and the UnionID, the store a
phone typed in any format, Douyin a device id, Youzan a phone and an email — so people first appear as several
customers and are merged when an event ties their identities together. Two ways into fresh, identical apps:

(a) ingest — runtime.customer_events.ingest(conn, schema, channel, events), one transaction per batch: envelope
              checks, one lookup of every identity of the batch, new customers through RecordWriter.create_many,
              identities claimed, merges through the platform's merge, profile gaps filled, events inserted.
(b) driver — the physical limit: the rows (a) ended with (its customers, identities and events), already converted
              to driver values, inserted with one executemany per 1,000 rows and transaction. SQLite: sqlite3
              through the platform's engine (BEGIN IMMEDIATE); PostgreSQL: asyncpg on its own connection.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from bench.inserts import Clock, batches, pg_create, pg_drop
from builder.lifecycle import import_app
from runtime.auth import create_user
from runtime.customer_events import ingest
from runtime.db import create_engine
from runtime.migrate import upgrade
from runtime.models import Json, customer_events, customer_identities, customer_merges
from runtime.settings import Settings
from runtime.tables import SchemaCache
from runtime.deps import Platform

PG_URL = os.environ.get("NOCODE_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
BATCH = 1000
CHANNELS = ("miniapp", "mp", "store", "youzan", "douyin", "wecom")


def bench_app(key: str) -> dict:
    return {
        "format": "nocode.app/v1", "key": key, "name": "渠道接入基准",
        "forms": [
            {"key": "customer", "name": "客户", "title_field": "name", "fields": [
                {"key": "name", "type": "text", "required": True,
                 "default": {"expr": "IF(ISBLANK(phone), '新客户', CONCAT('客户', RIGHT(phone, 4)))"}},
                {"key": "phone", "type": "phone"}, {"key": "email", "type": "email"},
                {"key": "unionid", "type": "text"}, {"key": "nickname", "type": "text"},
                {"key": "city", "type": "text"}, {"key": "tags", "type": "tags"}]},
            {"key": "order", "name": "订单", "fields": [
                {"key": "customer", "type": "relation", "target": "customer"}, {"key": "amount", "type": "money"}]},
        ],
        "identity": {"form": "customer", "keys": {"phone": "phone", "unionid": "unionid", "email": "email"},
                     "channels": list(CHANNELS), "owned": ["nickname"]},
    }


# ---- the workload ------------------------------------------------------------------------------------------------
@dataclass
class Person:
    index: int
    phone: str
    unionid: str | None
    email: str | None
    device: str | None
    nickname: str
    city: str
    openids: dict[str, str] = field(default_factory=dict)


_PHONE_FORMS = ("{}", "+86 {} {} {}", "{}-{}-{}", "86{}", "0086 {}", "({}) {} {}")
_CITIES = ("上海", "北京", "杭州", "深圳", "成都", "武汉", "南京", "苏州")
_TYPES = {"miniapp": ("product_click", "coupon_claimed", "share"), "mp": ("article_read", "activity_joined"),
          "store": ("visit", "order"), "youzan": ("order", "refund"), "douyin": ("live_watch", "product_click"),
          "wecom": ("friend_added", "message")}


def _written(rng: random.Random, digits: str) -> str:
    form = rng.choice(_PHONE_FORMS)
    if form.count("{}") == 3:
        return form.format(digits[:3], digits[3:7], digits[7:])
    return form.format(digits)


def workload(n_events: int, seed: int = 20240601) -> list[tuple[str, list[dict]]]:
    """(channel, events) batches: people drawn with a skew (a fifth of them make most events)."""
    rng = random.Random(seed)
    people = []
    for i in range(max(1, n_events // 4)):
        people.append(Person(i, f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                             f"oU{i:07d}{rng.randrange(36**4):05d}" if rng.random() < 0.7 else None,
                             f"user{i}@example.com" if rng.random() < 0.3 else None,
                             f"dev-{i:07d}" if rng.random() < 0.5 else None,
                             f"昵称{i}", rng.choice(_CITIES)))
    weights = [5 if i % 5 == 0 else 1 for i in range(len(people))]
    out = []
    for b, start in enumerate(range(0, n_events, BATCH)):
        channel = CHANNELS[b % len(CHANNELS)]
        chosen = rng.choices(people, weights, k=min(BATCH, n_events - start))
        events = []
        for n, person in enumerate(chosen):
            identities = _identities(rng, channel, person)
            profile = {"nickname": person.nickname} if channel in ("miniapp", "mp") else {"city": person.city}
            events.append({"type": rng.choice(_TYPES[channel]), "identities": identities, "profile": profile,
                           "occurred_at": f"2024-06-{1 + b % 28:02d}T{n % 24:02d}:{n % 60:02d}:00+08:00",
                           "data": {"seq": start + n}, "id": f"{channel}-{start + n}"})
        out.append((channel, events))
    return out


def _identities(rng: random.Random, channel: str, person: Person) -> dict:
    ids: dict = {}
    if channel in ("miniapp", "mp"):
        ids["openid"] = person.openids.setdefault(channel, f"o{channel[:2]}{person.index:09d}")
        if person.unionid:
            ids["unionid"] = person.unionid
        if channel == "miniapp" and rng.random() < 0.3:  # the customer authorised their phone
            ids["phone"] = _written(rng, person.phone)
    elif channel == "wecom":
        ids["unionid" if person.unionid else "phone"] = person.unionid or _written(rng, person.phone)
    elif channel == "douyin":
        if person.device:
            ids["device"] = person.device
        if not person.device or rng.random() < 0.2:
            ids["phone"] = _written(rng, person.phone)
    else:
        ids["phone"] = _written(rng, person.phone)
        if channel == "youzan" and person.email:
            ids["email"] = person.email.upper() if rng.random() < 0.5 else person.email
    return ids


# ---- the two ways ------------------------------------------------------------------------------------------------
@dataclass
class Result:
    database: str
    events: int
    ingest_seconds: float = 0.0
    driver_seconds: float = 0.0
    customers: int = 0
    identities: int = 0
    merges: int = 0
    driver_rows: int = 0

    @property
    def ratio(self) -> float:
        return self.ingest_seconds / self.driver_seconds if self.driver_seconds else float("inf")


class IngestBench:
    def __init__(self, url: str, data_dir: Path, pg_dsn: str | None):
        self.url, self.pg_dsn = url, pg_dsn
        self.settings = Settings(database_url=url, data_dir=data_dir, secret_key="bench-" + "k" * 40,
                                 frontend_dir=data_dir / "no-frontend")
        self.prefix = "i" + uuid.uuid4().hex[:6]

    async def __aenter__(self):
        self.engine = create_engine(self.url)
        self.platform = Platform(self.settings, self.engine, SchemaCache())
        await upgrade(self.engine)
        async with self.engine.begin() as conn:
            self.user_id = await create_user(conn, "bench", "bench-password", name="基准", is_admin=True)
        return self

    async def __aexit__(self, *exc):
        await self.engine.dispose()

    async def fresh(self, way: str):
        key = f"{self.prefix}_{way}"
        async with self.engine.begin() as conn:
            await import_app(conn, bench_app(key), self.platform.ctx, self.user_id)
        async with self.engine.connect() as conn:
            return await self.platform.schemas.get(conn, key)

    async def via_ingest(self, work: list[tuple[str, list[dict]]], result: Result):
        schema = await self.fresh("ingest")
        ctx = self.platform.ctx
        with Clock() as clock:
            for channel, events in work:
                async with self.engine.begin() as conn:
                    answer = await ingest(conn, schema, channel, events, ctx=ctx, user_id=self.user_id)
                if answer["rejected"]:
                    raise RuntimeError(f"events rejected: {answer['rejected'][:3]}")
        result.ingest_seconds = clock.wall
        return schema

    async def via_driver(self, source, result: Result) -> None:
        """The rows the ingestion ended with, inserted again into a second app by the raw driver."""
        target = await self.fresh("driver")
        source_form, target_form = source.form("customer"), target.form("customer")
        renamed = {source_form.fields[key].column.name: store.column.name for key, store in target_form.fields.items()}
        tables = [(source_form.table, target_form.table, source_form.table.c.id.is_not(None), {}, renamed),
                  (customer_identities, customer_identities, customer_identities.c.app_id == source.app_id,
                   {"app_id": target.app_id}, {}),
                  (customer_events, customer_events, customer_events.c.app_id == source.app_id,
                   {"app_id": target.app_id}, {})]
        prepared = []
        async with self.engine.connect() as conn:
            for read, write, where, override, names_of in tables:
                rows = (await conn.execute(select(read).where(where).order_by(read.c.id))).mappings().all()
                rows = [{names_of.get(name, name): value for name, value in row.items()} for row in rows]
                names = [c.name for c in write.columns if c.name != "id"]
                prepared.append((write, names, self._driver_values(write, names, rows, override)))
        result.customers, result.identities = len(prepared[0][2]), len(prepared[1][2])
        result.driver_rows = sum(len(rows) for _, _, rows in prepared)
        async with self.engine.connect() as conn:
            result.merges = (await conn.execute(select(func.count()).select_from(customer_merges).where(
                customer_merges.c.app_id == source.app_id))).scalar_one()
        if self.pg_dsn is None:
            with Clock() as clock:
                for table, names, rows in prepared:
                    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
                    for batch in batches(rows, BATCH):
                        async with self.engine.begin() as conn:
                            await conn.exec_driver_sql(sql, batch)
            result.driver_seconds = clock.wall
            return
        import asyncpg

        conn = await asyncpg.connect(self.pg_dsn)
        try:
            with Clock() as clock:
                for table, names, rows in prepared:
                    values = ", ".join(f"${i}" for i in range(1, len(names) + 1))
                    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({values})"
                    for batch in batches(rows, BATCH):
                        async with conn.transaction():
                            await conn.executemany(sql, batch)
        finally:
            await conn.close()
        result.driver_seconds = clock.wall

    def _driver_values(self, table, names: list[str], rows, override: dict) -> list[tuple]:
        dialect = self.engine.dialect
        columns = [table.c[name] for name in names]
        sqlite = self.pg_dsn is None
        processors = [None if isinstance(c.type, type(Json)) or not sqlite else c.type._cached_bind_processor(dialect)
                      for c in columns]
        out = []
        for row in rows:
            values = []
            for column, processor in zip(columns, processors):
                value = override.get(column.name, row[column.name])
                if value is not None and isinstance(column.type, type(Json)):
                    value = json.dumps(value, ensure_ascii=False)
                elif value is not None and processor is not None:
                    value = processor(value)
                values.append(value)
            out.append(tuple(values))
        return out


async def run(database: str, url: str, data_dir: Path, work, n_events: int, pg_dsn: str | None) -> Result:
    result = Result(database, n_events)
    async with IngestBench(url, data_dir, pg_dsn) as bench:
        source = await bench.via_ingest(work, result)
        await bench.via_driver(source, result)
    return result


def report(results: list[Result]) -> str:
    lines = ["| database | events | ingest s | events/s | customers | identities | merges | driver rows | driver s "
             "| driver rows/s | ingest ÷ driver |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in results:
        lines.append(f"| {r.database} | {r.events:,} | {r.ingest_seconds:.1f} | {r.events / r.ingest_seconds:,.0f} "
                     f"| {r.customers:,} | {r.identities:,} | {r.merges:,} | {r.driver_rows:,} "
                     f"| {r.driver_seconds:.2f} | {r.driver_rows / r.driver_seconds:,.0f} | {r.ratio:.1f}× |")
    return "\n".join(lines)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    work = workload(args.events)
    print(f"{args.events:,} events in {len(work)} batches generated in {time.perf_counter() - started:.1f} s")
    results = []
    with tempfile.TemporaryDirectory(prefix="nocode-ingest-") as tmp:
        if args.db in ("sqlite", "both"):
            results.append(await run("SQLite", f"sqlite+aiosqlite:///{tmp}/bench.db", Path(tmp), work, args.events,
                                     None))
            print(report(results[-1:]))
        if args.db in ("postgresql", "both"):
            name = f"nocode_ingest_{uuid.uuid4().hex[:8]}"
            admin = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
            version = await pg_create(admin, name)
            try:
                dsn = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/" + name
                results.append(await run(f"PostgreSQL {version}", f"{PG_URL}/{name}", Path(tmp), work, args.events,
                                         dsn))
                print(report(results[-1:]))
            finally:
                await pg_drop(admin, name)
    print()
    print(report(results))


if __name__ == "__main__":
    asyncio.run(main())
