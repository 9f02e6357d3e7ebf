"""python -m bench.reports: compiled reports against hand-written SQL for the same answer, on SQLite and
PostgreSQL (the issue's aim: compiled ≤ 1.15 × hand-written).

A published shop (leaders → customers → orders) filled through the driver with 200k orders, then per report
the best of N alternating runs of each statement; the answers must match row for row.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from bench.inserts import pg_create, pg_drop
from engines.demo.values import DataGen

PG_URL = os.environ.get("NOCODE_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
TZ = ZoneInfo("Asia/Shanghai")
TARGET = 1.15

APP = {
    "format": "nocode.app/v1", "key": "bench_reports", "name": "报表基准",
    "forms": [
        {"key": "leader", "name": "团长", "title_field": "name", "fields": [{"key": "name", "type": "text"}]},
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text"}, {"key": "leader", "type": "relation", "target": "leader"}]},
        {"key": "order", "name": "订单", "fields": [
            {"key": "customer", "type": "relation", "target": "customer"},
            {"key": "status", "type": "select", "options": ["paid", "refunded"]},
            {"key": "amount", "type": "money"}, {"key": "paid_at", "type": "datetime"}]},
    ],
}

REPORTS = {
    "GMV by month (local months)": {
        "key": "gmv", "name": "GMV", "source": "order", "filter": "status = 'paid'",
        "dimensions": [{"field": "paid_at", "bucket": "month", "as": "month"}],
        "measures": [{"agg": "sum", "field": "amount", "as": "gmv"}, {"agg": "count", "as": "orders"},
                     {"agg": "count_distinct", "field": "customer", "as": "buyers"}]},
    "leader top 10 via customer.leader": {
        "key": "top", "name": "排行", "source": "order", "filter": "status = 'paid'",
        "dimensions": [{"field": "customer.leader", "as": "leader"}],
        "measures": [{"agg": "sum", "field": "amount", "as": "gmv"}, {"agg": "count", "as": "orders"}],
        "sort": [{"by": "gmv", "desc": True}], "limit": 10},
    "30-day repurchase by month": {
        "key": "back", "name": "复购", "source": "order", "filter": "status = 'paid'",
        "dimensions": [{"field": "paid_at", "bucket": "month", "as": "month"}],
        "measures": [{"agg": "repeat_rate", "field": "customer", "as": "back", "within_days": 30,
                      "date": "paid_at"}]},
}


def hand_sql(name: str, sqlite: bool, t: dict) -> str:
    """The statement a person would write for the report, with the platform's table and column names."""
    o, c, l = t["order"], t["customer"], t["leader"]
    local = (f"datetime(o.{o['paid_at']}, '+480 minutes')" if sqlite
             else f"timezone('Asia/Shanghai', timezone('UTC', o.{o['paid_at']}))")
    month = f"strftime('%Y-%m', {local})" if sqlite else f"to_char({local}, 'YYYY-MM')"
    paid = f"o.{o['status']} = 'paid'"
    if name.startswith("GMV"):
        return (f"SELECT {month} AS month, coalesce(sum(o.{o['amount']}), 0) AS gmv, count(*) AS orders, "
                f"count(DISTINCT o.{o['customer']}) AS buyers FROM {o['table']} o WHERE {paid} "
                f"GROUP BY {month} ORDER BY month")
    if name.startswith("leader"):
        return (f"SELECT c.{c['leader']} AS leader, l.{l['name']} AS title, coalesce(sum(o.{o['amount']}), 0) AS gmv, "
                f"count(*) AS orders FROM {o['table']} o LEFT JOIN {c['table']} c ON c.id = o.{o['customer']} "
                f"LEFT JOIN {l['table']} l ON l.id = c.{c['leader']} WHERE {paid} "
                f"GROUP BY c.{c['leader']}, l.{l['name']} ORDER BY gmv DESC LIMIT 10")
    gap = ("julianday(nxt) - julianday(paid)" if sqlite
           else "extract(epoch FROM nxt) / 86400.0 - extract(epoch FROM paid) / 86400.0")
    return (f"SELECT month, CAST(count(DISTINCT CASE WHEN nxt IS NOT NULL AND {gap} <= 30 THEN customer END) AS FLOAT)"
            f" / nullif(CAST(count(DISTINCT customer) AS FLOAT), 0) AS back FROM ("
            f"SELECT {month} AS month, o.{o['customer']} AS customer, o.{o['paid_at']} AS paid, "
            f"lead(o.{o['paid_at']}) OVER (PARTITION BY o.{o['customer']} ORDER BY o.{o['paid_at']}, o.id) AS nxt "
            f"FROM {o['table']} o WHERE {paid}) x GROUP BY month ORDER BY month")


class Bench:
    def __init__(self, database: str, url: str, pg_dsn: str | None = None):
        self.database, self.url, self.pg_dsn = database, url, pg_dsn

    async def __aenter__(self):
        from builder.lifecycle import import_app
        from engines.form.fields.base import Context
        from runtime.db import create_engine
        from runtime.migrate import upgrade
        from runtime.tables import SchemaCache

        self.engine = create_engine(self.url)
        await upgrade(self.engine)
        async with self.engine.begin() as conn:
            await import_app(conn, APP, Context(tz=TZ), None)
        async with self.engine.connect() as conn:
            self.schema = await SchemaCache().get(conn, APP["key"])
        self.names = {key: {"table": form.table.name, **{k: s.column.name for k, s in form.fields.items()}}
                      for key, form in self.schema.forms.items()}
        return self

    async def __aexit__(self, *exc):
        await self.engine.dispose()

    async def fill(self, orders: int, seed: int = 20240601) -> None:
        gen = DataGen(seed)  # the generator the demo data uses (engines.demo.values): real-looking names
        rng = gen.rng
        leaders, customers = max(10, orders // 4000), max(100, orders // 10)
        now = datetime(2026, 11, 26, 2, 30)
        start = datetime(2025, 1, 1, tzinfo=timezone.utc)
        system = ("created_at", "updated_at", "owner", "version")
        n = self.names
        data = {
            "leader": ([n["leader"]["name"]], [(gen.name(),) for _ in range(leaders)]),
            "customer": ([n["customer"]["name"], n["customer"]["leader"]],
                         [(gen.name(), rng.randint(1, leaders)) for _ in range(customers)]),
            "order": ([n["order"][k] for k in ("customer", "status", "amount", "paid_at")],
                      [(rng.randint(1, customers), "paid" if rng.random() < 0.9 else "refunded",
                        round(rng.uniform(5, 500), 2),
                        (start + timedelta(seconds=rng.randint(0, 700 * 86400))).replace(tzinfo=None))
                       for _ in range(orders)]),
        }
        for form, (columns, rows) in data.items():
            table = n[form]["table"]
            full = [(now, now, 1, 1, *row) for row in rows]
            if self.database == "sqlite":
                await asyncio.to_thread(_sqlite_fill, self.engine.url.database, table, [*system, *columns], full)
            else:
                import asyncpg

                conn = await asyncpg.connect(self.pg_dsn)
                try:
                    await conn.copy_records_to_table(table, records=full, columns=[*system, *columns])
                    await conn.execute(f"VACUUM ANALYZE {table}")
                finally:
                    await conn.close()

    def compiled(self, definition: dict):
        from engines.report.compile import compile_report
        from engines.report.definition import ReportDef
        from runtime.expressions import eval_context
        from runtime.permissions import Access
        from runtime.reports import ReportCatalog

        catalog = ReportCatalog(self.schema, Access.unrestricted(self.schema, None, TZ))
        return compile_report(ReportDef.model_validate(definition), catalog, eval_context(TZ, None), self.database)

    async def compare(self, name: str, repeat: int) -> tuple[float, float, bool]:
        plan = self.compiled(REPORTS[name])
        hand = hand_sql(name, self.database == "sqlite", self.names)
        ours_times, hand_times = [], []
        async with self.engine.connect() as conn:
            for i in range(repeat + 1):
                began = time.perf_counter()
                ours = (await conn.execute(plan.statement)).all()
                middle = time.perf_counter()
                theirs = (await conn.exec_driver_sql(hand)).all()
                if i:  # the first round warms caches for both
                    ours_times.append(middle - began)
                    hand_times.append(time.perf_counter() - middle)
        same = [_plain(r) for r in ours] == [_plain(r) for r in theirs]
        return min(ours_times), min(hand_times), same


def _plain(row) -> tuple:
    return tuple(round(float(v), 4) if isinstance(v, (int, float)) or type(v).__name__ == "Decimal" else v
                 for v in row)


def _sqlite_fill(path: str, table: str, columns: list[str], rows: list[tuple]) -> None:
    conn = sqlite3.connect(path)
    try:
        marks = ", ".join("?" for _ in columns)
        stamped = [tuple(v.strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v for v in row)
                   for row in rows]
        conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", stamped)
        conn.commit()
        conn.execute("ANALYZE")
    finally:
        conn.close()


async def run(database: str, orders: int, repeat: int, log=print) -> list[tuple[str, float, float, bool]]:
    results = []
    name = None
    with tempfile.TemporaryDirectory() as tmp:
        if database == "sqlite":
            url, dsn = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", None
        else:
            name = "nocode_bench_reports_" + uuid.uuid4().hex[:8]
            admin = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
            await pg_create(admin, name)
            url, dsn = f"{PG_URL}/{name}", admin.rsplit("/", 1)[0] + "/" + name
        try:
            async with Bench(database, url, dsn) as bench:
                await bench.fill(orders)
                for report in REPORTS:
                    ours, hand, same = await bench.compare(report, repeat)
                    results.append((report, ours, hand, same))
                    log(f"{database:<10} {report:<36} ours {ours * 1000:8.1f} ms  hand {hand * 1000:8.1f} ms  "
                        f"ratio {ours / hand:5.2f}  {'same answer' if same else 'DIFFERENT ANSWER'}")
        finally:
            if name:
                await pg_drop(admin, name)
    return results


# ---- the "reports" section of python -m bench ----------------------------------------------------------------------
async def run_reports(databases: list[str], orders: int, repeat: int, log=print) -> dict[str, list]:
    """database → [(report, ours seconds, hand-written seconds, same answer)]; a database that cannot be reached is
    left out with its reason."""
    found: dict[str, list] = {}
    for database in databases:
        log(f"reports on {database}: {orders:,} orders, best of {repeat}")
        found[database] = await run(database, orders, repeat, log)
    return found


def reports_text(found: dict[str, list]) -> str:
    lines = ["reports (compiled ÷ hand-written SQL, target ≤ %.2f)" % TARGET]
    for database, results in found.items():
        for report, ours, hand, same in results:
            lines.append(f"  {database:<10} {report:<36} {ours * 1000:8.1f} ms / {hand * 1000:8.1f} ms = "
                         f"{ours / hand:5.2f}{'' if same else '  DIFFERENT ANSWER'}")
    return "\n".join(lines)


def reports_markdown(found: dict[str, list], orders: int, repeat: int) -> list[str]:
    lines = ["## Reports", "",
             f"Report definitions compiled to one SQL statement each (`engines/report`) against the statement a person "
             f"would write for the same answer, on {orders:,} orders of a published shop (leaders → customers → "
             f"orders), best of {repeat} alternating runs; the answers are compared row for row (`bench/reports.py`). "
             f"Aim from the issue: ratio ≤ {TARGET}.", "",
             "| database | report | compiled | hand-written | ratio | same answer |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for database, results in found.items():
        for report, ours, hand, same in results:
            mark = "" if ours / hand <= TARGET else " ✗"
            lines.append(f"| {database} | {report} | {ours * 1000:.1f} ms | {hand * 1000:.1f} ms | "
                         f"**{ours / hand:.2f}**{mark} | {'yes' if same else 'NO'} |")
    lines += ["", "Run just this section with `.venv/bin/python -m bench reports [--db …] [--report-orders N]`.", ""]
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__)
    parser.add_argument("--orders", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args(argv)
    databases = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    print(f"{args.orders:,} orders; best of {args.repeat}; target ratio ≤ {TARGET}")
    for database in databases:
        asyncio.run(run(database, args.orders, args.repeat))


if __name__ == "__main__":
    main()
