"""Persisted flow benchmark: two-step approvals (start → manager → finance → end) started and completed through
runtime/flows.py, every event in its own transaction (3 per instance), on SQLite and PostgreSQL.

    python -m bench.flows [instances] [--db sqlite|postgresql|both]

The in-memory engine alone: python -m bench.flow_engine.
"""
from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import insert, select

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


async def measure(url: str, count: int) -> float:
    from runtime.db import create_engine
    from runtime.flows import act_on_task, start_flow
    from runtime.models import flow_tasks

    engine = create_engine(url)
    try:
        schema, initiator, approvers = await _prepare(engine)
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
        return time.perf_counter() - started
    finally:
        await engine.dispose()


async def main_async(count: int, databases: list[str]) -> None:
    for database in databases:
        if database == "sqlite":
            with tempfile.TemporaryDirectory() as work:
                elapsed = await measure(f"sqlite+aiosqlite:///{Path(work) / 'bench.db'}", count)
        else:
            name = f"nocode_bench_flows_{uuid.uuid4().hex[:8]}"
            admin = PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/postgres"
            await pg_create(admin, name)
            try:
                elapsed = await measure(f"{PG_URL}/{name}", count)
            finally:
                await pg_drop(admin, name)
        print(f"flows persisted on {database}: {count:,} two-step approvals (3 transactions each) in "
              f"{elapsed:.1f} s — {count / elapsed:,.0f} instances/s, {3 * count / elapsed:,.0f} events/s")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.flows", description=__doc__)
    parser.add_argument("instances", nargs="?", type=int, default=10_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    databases = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    asyncio.run(main_async(args.instances, databases))


if __name__ == "__main__":
    main()
