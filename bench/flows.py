"""Persisted flow benchmark: two-step approvals (start → manager → finance → end) started and completed through
runtime/flows.py, every event in its own transaction (3 per instance), on SQLite and PostgreSQL.

    python -m bench.flows [instances] [--db sqlite|postgresql|both]

The in-memory engine alone: python -m bench.flow_engine; flow timers: python -m bench.flow_timers. All three make
the "flows" section of `python -m bench` (run_flows, flows_markdown).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import insert, select

from bench.flow_timers import TimersReport, run_flow_timers, timers_markdown, timers_text
from bench.inserts import pg_create, pg_drop

PG_URL = os.environ.get("NOCODE_BENCH_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
APP = {
    "format": "nocode.app/v1", "key": "expenses", "name": "报销",
    "forms": [{"key": "expense", "name": "报销", "fields": [{"key": "amount", "type": "money"}]}],
    "roles": [{"key": "finance", "name": "财务"}],
    "flows": [{
        "key": "expense_approval", "name": "报销审批", "trigger": {"type": "manual"},
        "nodes": [{"id": "start", "type": "start"},
                  {"id": "manager", "type": "approval", "assignees": {"manager": {}}},
                  {"id": "finance", "type": "approval", "assignees": {"role": "finance"}},
                  {"id": "end", "type": "end"}],
        "edges": [{"from": "start", "to": "manager"}, {"from": "manager", "to": "finance"},
                  {"from": "finance", "to": "end"}]}],
}


async def _prepare(engine):
    from builder.lifecycle import import_app
    from engines.form.fields.base import Context
    from runtime.auth import create_user
    from runtime.migrate import upgrade
    from runtime.models import user_roles
    from runtime.tables import load_schema

    await upgrade(engine)
    async with engine.begin() as conn:
        boss = await create_user(conn, "boss", "x", name="经理")
        clerk = await create_user(conn, "clerk", "x", name="会计")
        initiator = await create_user(conn, "staff", "x", name="员工", manager_id=boss)
        _, app_id, version = await import_app(conn, APP, Context(), None)
        await conn.execute(insert(user_roles).values(user_id=clerk, app_id=app_id, role="finance"))
        schema = await load_schema(conn, app_id, "expenses", version)
    return schema, initiator, (boss, clerk)


async def measure(url: str, count: int) -> tuple[float, int]:
    """(seconds, SQL statements sent) for `count` instances started and approved twice."""
    from sqlalchemy import event

    from runtime.db import create_engine
    from runtime.flows import act_on_task, start_flow
    from runtime.models import flow_tasks

    engine = create_engine(url)
    statements = [0]

    def counted(_conn, _cursor, statement: str, *_rest) -> None:
        statements[0] += not statement.startswith("BEGIN")  # the work, not the transaction around it

    try:
        schema, initiator, approvers = await _prepare(engine)
        event.listen(engine.sync_engine, "before_cursor_execute", counted)
        started = time.perf_counter()
        for _ in range(count):
            async with engine.begin() as conn:
                result = await start_flow(conn, schema, "expense_approval", initiator=initiator)
            instance_id = result.state.instance.id
            for approver in approvers:
                async with engine.begin() as conn:
                    task_id = (await conn.execute(select(flow_tasks.c.id).where(
                        flow_tasks.c.instance_id == instance_id, flow_tasks.c.status == "pending"))).scalar_one()
                    result = await act_on_task(conn, task_id, "approve", approver)
            assert result.state.instance.status == "completed"
        return time.perf_counter() - started, statements[0]
    finally:
        await engine.dispose()


ADMIN_DSN = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"


@asynccontextmanager
async def fresh_database(database: str, work: Path, prefix: str):
    """The URL of a new SQLite file in `work`, or of a PostgreSQL database created for the block and dropped after."""
    if database == "sqlite":
        yield f"sqlite+aiosqlite:///{work / (prefix + '.db')}"
        return
    name = f"nocode_bench_{prefix}_{uuid.uuid4().hex[:8]}"
    await pg_create(ADMIN_DSN, name)
    try:
        yield f"{PG_URL}/{name}"
    finally:
        await pg_drop(ADMIN_DSN, name)


async def main_async(count: int, databases: list[str]) -> None:
    for database in databases:
        with tempfile.TemporaryDirectory() as work:
            async with fresh_database(database, Path(work), "flows") as url:
                elapsed, _ = await measure(url, count)
        print(f"flows persisted on {database}: {count:,} two-step approvals (3 transactions each) in "
              f"{elapsed:.1f} s — {count / elapsed:,.0f} instances/s, {3 * count / elapsed:,.0f} events/s")


# ---- the "flows" section of python -m bench ------------------------------------------------------------------------
SECTION = "## Flows"


@dataclass
class FlowsReport:
    instances: int  # persisted approvals per database
    engine_instances: int
    engine_seconds: float  # the in-memory engine alone (bench/flow_engine.py)
    engine_rows: int
    persisted: dict[str, tuple[float, int]] = field(default_factory=dict)  # database → (seconds, statements)
    timers: TimersReport | None = None
    notes: list[str] = field(default_factory=list)
    load: str = field(default_factory=lambda: " / ".join(f"{x:.2f}" for x in os.getloadavg()))  # the machine is shared

    @property
    def engine_rate(self) -> float:
        return self.engine_instances / self.engine_seconds


async def _server_version() -> str:
    import asyncpg

    conn = await asyncpg.connect(ADMIN_DSN, timeout=5)
    try:
        return await conn.fetchval("SHOW server_version")
    finally:
        await conn.close()


async def run_flows(*, databases: list[str], instances: int, engine_instances: int, timers: int, log
                    ) -> tuple[FlowsReport, str | None]:
    """The in-memory engine, persisted approvals on each database, then flow timers. Returns the report and the
    PostgreSQL version (None when it did not run)."""
    from bench.flow_engine import measure as engine_measure

    seconds, rows = engine_measure(engine_instances)
    report = FlowsReport(instances, engine_instances, seconds, rows)
    log(f"flows: in-memory engine {report.engine_rate:,.0f} instances/s ({engine_instances:,} two-step approvals)")
    pg_version = None
    if "postgresql" in databases:
        try:
            pg_version = await _server_version()
        except Exception as e:  # unreachable server, refused login…
            report.notes.append(f"PostgreSQL flow runs skipped: not reachable at {PG_URL} ({type(e).__name__}: {e})")
            log(report.notes[-1])
            databases = [d for d in databases if d != "postgresql"]
    with tempfile.TemporaryDirectory(prefix="nocode_bench_flows_") as folder:
        work = Path(folder)
        for database in databases:
            log(f"flows: {database}, {instances:,} two-step approvals, each event in its own transaction")
            async with fresh_database(database, work, "flows") as url:
                report.persisted[database] = await measure(url, instances)
            log(f"  {instances / report.persisted[database][0]:,.0f} instances/s")
        if databases:
            async with AsyncExitStack() as stack:
                urls = {d: await stack.enter_async_context(fresh_database(d, work, "flow_timers")) for d in databases}
                report.timers = await run_flow_timers(pg_url=urls.get("postgresql"), sqlite_url=urls.get("sqlite"),
                                                      work=work, timers=timers, spread=max(100, timers // 4), log=log)
    return report, pg_version


def flows_text(report: FlowsReport) -> str:
    lines = ["two-step approvals    instances/s  events/s  time vs in-memory engine",
             f"{'in-memory engine':<21} {report.engine_rate:>11,.0f} {3 * report.engine_rate:>9,.0f}  1.00"]
    for database, (seconds, _) in report.persisted.items():
        rate = report.instances / seconds
        lines.append(f"{database:<21} {rate:>11,.0f} {3 * rate:>9,.0f}  {report.engine_rate / rate:,.0f}")
    if report.timers is not None:
        lines += ["", timers_text(report.timers)]
    return "\n".join(lines)


def flows_markdown(report: FlowsReport) -> list[str]:
    out = [
        SECTION,
        "",
        "### Two-step approvals",
        "",
        "start → manager → finance → end, started and approved twice (`bench/flows.py`): each event — the start "
        "and each approval — in its own transaction through `runtime/flows.py` (lock the instance, load its rows, "
        "step, upsert the changed rows, append the history), the pending task looked up before each approval as "
        f"the inbox would. {report.instances:,} instances per database; the reference is the engine alone in "
        f"memory (`bench/flow_engine.py`, {report.engine_instances:,} instances, "
        f"{report.engine_rows / report.engine_instances:.0f} rows written per instance).",
        "",
        "| way | instances/s | events/s | time per instance | SQL statements per event | time vs in-memory engine |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
        f"| in-memory engine | {report.engine_rate:,.0f} | {3 * report.engine_rate:,.0f} | "
        f"{1000 / report.engine_rate:.2f} ms | – | 1 |",
    ]
    for database, (seconds, statements) in report.persisted.items():
        rate = report.instances / seconds
        out.append(f"| {database} | {rate:,.0f} | {3 * rate:,.0f} | {1000 / rate:.1f} ms | "
                   f"{statements / (3 * report.instances):.1f} | {report.engine_rate / rate:,.0f}× |")
    out += ["", "The database round trips, not the engine, set the pace (statements counted as sent, the task "
            "look-up included, BEGIN and COMMIT not). Load average when the section started: "
            f"{report.load}.", ""]
    if report.timers is not None:
        out += timers_markdown(report.timers)
    out += [f"- {n}" for n in report.notes] + ([""] if report.notes else [])
    out += ["Run just this section with `.venv/bin/python -m bench flows [--db sqlite|postgresql|both] "
            "[--flow-instances N] [--flow-timers N]`.", ""]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.flows", description=__doc__)
    parser.add_argument("instances", nargs="?", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    asyncio.run(main_async(args.instances, databases))


if __name__ == "__main__":
    main()
