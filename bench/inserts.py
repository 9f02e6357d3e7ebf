"""Bulk insert of N member records four ways into fresh, identical tables of one database.

(a) api     — POST /api/apps/{app}/forms/member/records/bulk, 1,000 items a request, through httpx's
              ASGITransport in this process (the whole FastAPI stack: body limit, JSON parsing, auth,
              schema lookup, RecordWriter, response). Request bodies are encoded before the clock starts.
(b) records — RecordWriter(conn, schema, ctx, user).create_many(form, items), 1,000 items a transaction.
(c) driver  — the physical limit: the same rows, already coerced and converted to driver values before the
              clock starts, inserted with one executemany per 1,000-row transaction into the real table of a
              third import of the same app (so column types and indexes, the unique one included, are
              identical). SQLite: sqlite3's executemany through the platform's own engine (same pragmas,
              BEGIN IMMEDIATE). PostgreSQL: asyncpg executemany of an INSERT on its own connection (not
              COPY, which is different work).
(d) driver + audit — (c) and, per batch, the audit entries our records layer writes for the new rows, the way
              a person would write them: one INSERT INTO audit_log … SELECT over the ids past the largest before.
(e) driver COPY — PostgreSQL only: (c) by asyncpg's binary COPY (copy_records_to_table), the fastest way the
              driver has; the records layer sends batches of 100 rows or more this way too.
"""
from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import select

from bench.workload import FORM_KEY, bench_app
from builder.lifecycle import import_app
from engines.form.record import check_record
from runtime.auth import create_user
from runtime.db import is_sqlite
from runtime.migrate import upgrade
from runtime.settings import Settings
from runtime.tables import FormStore
from runtime.write import RecordWriter, utcnow

BATCH = 1000
PASSWORD = "bench-password"


@dataclass
class Timing:
    way: str
    rows: int
    seconds: float
    cpu_seconds: float  # this process only (PostgreSQL's own work is in another process)

    @property
    def rate(self) -> float:
        return self.rows / self.seconds if self.seconds else float("inf")


@dataclass
class Run:
    database: str
    rows: int
    timings: dict[str, list[Timing]] = field(default_factory=dict)
    validation_seconds: float = 0.0  # the form engine's check_record over all items, no database

    def best(self, way: str) -> Timing:
        return min(self.timings[way], key=lambda t: t.seconds)


def batches(items: list, size: int = BATCH) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


class Clock:
    def __enter__(self):
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc):
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


class InsertBench:
    """One migrated database, one FastAPI app on it, an admin signed in; each way imports its own app."""

    def __init__(self, database_url: str, data_dir: Path, items: list[dict], pg_dsn: str | None = None):
        self.url, self.items, self.pg_dsn = database_url, items, pg_dsn
        self.settings = Settings(database_url=database_url, data_dir=data_dir, secret_key="bench-" + "k" * 40,
                                 frontend_dir=data_dir / "no-frontend")
        self.prefix = "b" + uuid.uuid4().hex[:6]
        self.keys: list[tuple[str, str]] = []  # (way, app key) in the order filled

    async def __aenter__(self):
        from runtime.app import create_app

        self.app = create_app(self.settings)
        self.platform = self.app.state.platform
        self.engine = self.platform.engine
        await upgrade(self.engine)
        async with self.engine.begin() as conn:
            self.user_id = await create_user(conn, "bench", PASSWORD, name="基准", is_admin=True)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url="http://bench",
                                        timeout=600)
        response = await self.client.post("/api/auth/login", json={"username": "bench", "password": PASSWORD})
        response.raise_for_status()
        self.client.headers["Authorization"] = "Bearer " + response.json()["access_token"]
        self.client.headers["Accept-Language"] = "en"
        return self

    async def __aexit__(self, *exc):
        await self.client.aclose()
        await self.engine.dispose()

    @property
    def dialect(self) -> str:
        return "sqlite" if is_sqlite(self.url) else "postgresql"

    async def fresh_form(self, way: str) -> tuple[str, FormStore]:
        key = f"{self.prefix}_{way}_{len(self.keys)}"
        async with self.engine.begin() as conn:
            await import_app(conn, bench_app(key), self.platform.ctx, self.user_id)
        async with self.engine.connect() as conn:
            schema = await self.platform.schemas.get(conn, key)
        self.keys.append((way, key))
        self.app_id = schema.app_id
        return key, schema.form(FORM_KEY)

    # ---- (a) the HTTP bulk API ---------------------------------------------------------------------------------
    async def via_api(self) -> Timing:
        key, _form = await self.fresh_form("api")
        url = f"/api/apps/{key}/forms/{FORM_KEY}/records/bulk"
        bodies = [json.dumps({"items": batch}, ensure_ascii=False).encode() for batch in batches(self.items)]
        headers = {"Content-Type": "application/json"}
        with Clock() as clock:
            for body in bodies:
                response = await self.client.post(url, content=body, headers=headers)
                if response.status_code != 201:
                    raise RuntimeError(f"bulk API answered {response.status_code}: {response.text[:500]}")
        return Timing("api", len(self.items), clock.wall, clock.cpu)

    # ---- (b) the records layer ---------------------------------------------------------------------------------
    async def via_records(self) -> Timing:
        key, _form = await self.fresh_form("records")
        async with self.engine.connect() as conn:
            schema = await self.platform.schemas.get(conn, key)
        ctx = self.platform.ctx
        with Clock() as clock:
            for batch in batches(self.items):
                async with self.engine.begin() as conn:
                    await RecordWriter(conn, schema, ctx, self.user_id).create_many(FORM_KEY, batch)
        return Timing("records", len(self.items), clock.wall, clock.cpu)

    # ---- (c) the driver: the physical limit --------------------------------------------------------------------
    def driver_rows(self, form: FormStore) -> tuple[list[str], list[tuple]]:
        """The rows RecordWriter would insert, as the values the driver receives (done before timing)."""
        columns = [c for c in form.table.columns if c.name != "id"]
        dialect = self.engine.dialect
        processors = [c.type._cached_bind_processor(dialect) for c in columns]
        now = utcnow()
        rows = []
        for item in self.items:
            values, problems = check_record(form.definition.fields, item, self.platform.ctx, form=FORM_KEY)
            if problems:
                raise RuntimeError(f"generated data is invalid: {problems[:3]}")
            row = {"created_at": now, "updated_at": now, "created_by": self.user_id, "updated_by": self.user_id,
                   "owner": self.user_id,
                   "version": 1}
            row.update({store.column.name: values.get(k) for k, store in form.fields.items()})
            rows.append(tuple(p(row[c.name]) if p and row[c.name] is not None else row[c.name]
                              for c, p in zip(columns, processors)))
        return [c.name for c in columns], rows

    async def via_driver(self, audit: bool = False, copy: bool = False) -> Timing:
        way = "driver_audit" if audit else "driver_copy" if copy else "driver"
        _key, form = await self.fresh_form(way)
        names, rows = self.driver_rows(form)
        table = form.table.name
        # (d): the audit entries of the batch's new rows, in one statement after it
        audit_sql = ("INSERT INTO audit_log (at, user_id, app_id, form, action, record_id) "
                     f"SELECT {{0}}, {{1}}, {{2}}, {{3}}, 'create', id FROM {table} WHERE id > {{4}}")
        audit_values = (utcnow(), self.user_id, self.app_id, FORM_KEY)
        if self.dialect == "sqlite":
            sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
            audit_sqlite = audit_sql.format(*"?????")
            stamp = audit_values[0].isoformat(" ", "microseconds")
            with Clock() as clock:
                for batch in batches(rows):
                    async with self.engine.begin() as conn:  # BEGIN IMMEDIATE … COMMIT, as the records layer
                        if audit:
                            before = (await conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {table}")).scalar()
                        await conn.exec_driver_sql(sql, batch)
                        if audit:
                            await conn.exec_driver_sql(audit_sqlite, (stamp, *audit_values[1:], before))
            return Timing(way, len(rows), clock.wall, clock.cpu)
        import asyncpg

        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})"
        audit_pg = audit_sql.format("$1::timestamp", "$2::int", "$3::int", "$4::varchar", "$5::bigint")
        conn = await asyncpg.connect(self.pg_dsn)
        try:
            with Clock() as clock:
                for batch in batches(rows):
                    async with conn.transaction():
                        if audit:
                            before = await conn.fetchval(f"SELECT coalesce(max(id), 0) FROM {table}")
                        if copy:
                            await conn.copy_records_to_table(table, records=batch, columns=names)
                        else:
                            await conn.executemany(sql, batch)
                        if audit:
                            await conn.execute(audit_pg, *audit_values, before)
        finally:
            await conn.close()
        return Timing(way, len(rows), clock.wall, clock.cpu)

    async def via_driver_audit(self) -> Timing:
        return await self.via_driver(audit=True)

    async def via_driver_copy(self) -> Timing:
        return await self.via_driver(copy=True)

    # ---- the form engine alone ----------------------------------------------------------------------------------
    async def validation_only(self) -> float:
        """check_record over every item, as create_many does first: the floor of the records layer in Python."""
        async with self.engine.connect() as conn:
            form = (await self.platform.schemas.get(conn, self.keys[0][1])).form(FORM_KEY)
        fields, ctx = form.definition.fields, self.platform.ctx
        with Clock() as clock:
            for item in self.items:
                check_record(fields, item, ctx, form=FORM_KEY)
        return clock.wall

    # ---- check that the three tables hold the same data --------------------------------------------------------
    async def verify(self) -> None:
        """Every table filled holds the same N rows with the same field values, in the same id order."""
        contents = {}
        async with self.engine.connect() as conn:
            for way, key in self.keys:
                form = (await self.platform.schemas.get(conn, key)).form(FORM_KEY)
                columns = [form.fields[f].column for f in form.fields]
                rows = (await conn.execute(select(form.table.c.id, *columns).order_by(form.table.c.id))).all()
                contents[(way, key)] = [tuple(row) for row in rows]
        (first_key, first), *others = contents.items()
        if len(first) != len(self.items):
            raise RuntimeError(f"{first_key} holds {len(first)} rows, expected {len(self.items)}")
        for other_key, other in others:
            if [r[1:] for r in other] != [r[1:] for r in first]:
                diff = next(i for i, (x, y) in enumerate(zip(first, other)) if x[1:] != y[1:]) \
                    if len(first) == len(other) else "row count"
                raise RuntimeError(f"{other_key} differs from {first_key} at {diff}")


WAYS = ("driver", "driver_audit", "driver_copy", "records", "api")


async def run_inserts(database: str, url: str, data_dir: Path, items: list[dict], repeat: int = 1,
                      pg_dsn: str | None = None, log=print) -> Run:
    run = Run(database, len(items))
    async with InsertBench(url, data_dir, items, pg_dsn) as bench:
        for _ in range(repeat):
            for way in WAYS if bench.dialect == "postgresql" else [w for w in WAYS if w != "driver_copy"]:
                timing = await getattr(bench, f"via_{way}")()
                run.timings.setdefault(way, []).append(timing)
                log(f"  {database:<10} {way:<8} {timing.rows:>7} rows  {timing.seconds:8.2f} s  "
                    f"{timing.rate:>9,.0f} rows/s  (cpu here {timing.cpu_seconds:.2f} s)")
        run.validation_seconds = min([await bench.validation_only() for _ in range(repeat)])
        log(f"  {database:<10} {'validate':<8} {len(items):>7} rows  {run.validation_seconds:8.2f} s  "
            "(form engine check_record only, no database)")
        await bench.verify()
    return run


async def pg_create(admin_dsn: str, name: str) -> str:
    """Create the database; returns the server version."""
    import asyncpg

    conn = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await conn.execute(f"CREATE DATABASE {name}")
        return await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()


async def pg_drop(admin_dsn: str, name: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(admin_dsn, timeout=5)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await conn.close()

