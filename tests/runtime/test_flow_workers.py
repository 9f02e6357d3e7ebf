"""Flow timers run by worker processes: 1,000 due `delay` timers fired by two `nocode worker` processes make exactly
1,000 effects, and a flow survives a restart in its middle — a worker killed while firing a timer, the timer fired
once by the next one, an approval task acted on from a new engine."""
from __future__ import annotations

import asyncio
import signal
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, text

from builder.lifecycle import import_app
from engines.form.fields.base import Context
from runtime.auth import create_user
from runtime.db import create_engine
from runtime.flows import TIMER_JOB, act_on_task, start_flow
from runtime.jobs import Runner
from runtime.models import flow_history, flow_instances, flow_tasks, flow_timers, jobs, user_roles
from runtime.tables import load_schema
from tests.runtime.flow_worker import RUNS_DDL
from tests.runtime.test_jobs import start_worker, stop_worker, wait_until

TIMERS = 1000
TIMED_HISTORY = (("start", "start", None), ("wait", "waited", None), ("note", "record_created", None),
                 (None, "finish", None))

APP = {
    "format": "nocode.app/v1", "key": "desk", "name": "服务台",
    "forms": [{"key": "log", "name": "流程日志", "fields": [{"key": "n", "type": "number"}]}],
    "roles": [{"key": "manager", "name": "主管"}],
    "flows": [
        {"key": "follow_up", "name": "稍后跟进", "trigger": {"type": "manual"},
         "variables": [{"key": "n", "type": "number"}],
         "nodes": [{"id": "start", "type": "start"}, {"id": "wait", "type": "delay", "duration": "PT1M"},
                   {"id": "note", "type": "create_record", "form": "log", "values": {"n": "n"}},
                   {"id": "end", "type": "end"}],
         "edges": [{"from": "start", "to": "wait"}, {"from": "wait", "to": "note"}, {"from": "note", "to": "end"}]},
        {"key": "sign_off", "name": "主管签字", "trigger": {"type": "manual"},
         "variables": [{"key": "n", "type": "number"}],
         "nodes": [{"id": "start", "type": "start"},
                   {"id": "mgr", "type": "approval", "assignees": {"role": "manager"}},
                   {"id": "note", "type": "create_record", "form": "log", "values": {"n": "n"}},
                   {"id": "end", "type": "end"}],
         "edges": [{"from": "start", "to": "mgr"}, {"from": "mgr", "to": "note"}, {"from": "note", "to": "end"}]},
    ],
}


@pytest.fixture
async def engine(database_url):
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text(RUNS_DDL))
    yield engine
    await engine.dispose()


async def publish(engine) -> tuple:
    """The app published and a manager: (schema, manager's user id)."""
    async with engine.begin() as conn:
        _, app_id, version = await import_app(conn, APP, Context(), None)
        mia = await create_user(conn, "mia", "Passw0rd-x")
        await conn.execute(insert(user_roles).values(user_id=mia, app_id=app_id, role="manager"))
        return await load_schema(conn, app_id, "desk", version), mia


def a_while_ago() -> datetime:
    """A start moment whose one-minute delay is already over: the timer is due as soon as it is stored."""
    return datetime.now(timezone.utc) - timedelta(minutes=2)


async def start_due_timers(engine, schema, count: int) -> None:
    async with engine.begin() as conn:
        for n in range(count):
            await start_flow(conn, schema, "follow_up", initiator=None, variables={"n": n}, at=a_while_ago())


async def logged(engine, schema) -> list[int]:
    async with engine.connect() as conn:
        return sorted(int(n) for n in (await conn.execute(select(schema.forms["log"].fields["n"].column))).scalars())


async def histories(engine) -> dict[int, list[tuple]]:
    """Each instance's history as (node, action, by)."""
    async with engine.connect() as conn:
        rows = (await conn.execute(select(flow_history.c.instance_id, flow_history.c.node, flow_history.c.action,
                                          flow_history.c.by)
                                   .order_by(flow_history.c.instance_id, flow_history.c.seq))).all()
    found: dict[int, list[tuple]] = {}
    for instance_id, *entry in rows:
        found.setdefault(instance_id, []).append(tuple(entry))
    return found


async def statuses(engine) -> dict[str, int]:
    async with engine.connect() as conn:
        return dict((await conn.execute(select(flow_instances.c.status, func.count())
                                        .group_by(flow_instances.c.status))).all())


async def timer_jobs(engine) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(select(jobs.c.status, jobs.c.attempts).where(jobs.c.kind == TIMER_JOB))).all()


async def all_completed(engine, count: int) -> bool:
    return (await statuses(engine)).get("completed", 0) == count


def assert_each_fired_once(found: list[int], histories_seen: dict, count: int) -> None:
    assert found == list(range(count))  # one log record per instance: none missing, none twice
    assert len(histories_seen) == count
    assert {tuple(h) for h in histories_seen.values()} == {TIMED_HISTORY}


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_worker_processes_fire_1000_due_flow_timers_exactly_once(engine, database_url, tmp_path):
    schema, _ = await publish(engine)
    workers = [start_worker(database_url, tmp_path, module="tests.runtime.flow_worker") for _ in range(2)]
    try:
        await start_due_timers(engine, schema, TIMERS)  # one commit: every timer is due at once, both are woken
        await wait_until(lambda: all_completed(engine, TIMERS), timeout=120)
    finally:
        for process in workers:
            stop_worker(process)
    assert_each_fired_once(await logged(engine, schema), await histories(engine), TIMERS)
    assert await statuses(engine) == {"completed": TIMERS}
    assert set(await timer_jobs(engine)) == {("done", 1)} and len(await timer_jobs(engine)) == TIMERS
    async with engine.connect() as conn:
        runs = (await conn.execute(text("SELECT instance_id, pid FROM flow_timer_runs"))).all()
        fired = (await conn.execute(select(flow_timers.c.status, func.count()).group_by(flow_timers.c.status))).all()
    assert len(runs) == len({r.instance_id for r in runs}) == TIMERS
    assert {r.pid for r in runs} == {p.pid for p in workers}  # both shared the work
    assert fired == [("fired", TIMERS)]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
async def test_the_in_process_runner_fires_1000_due_flow_timers_exactly_once(engine, settings):
    """SQLite runs jobs in `nocode serve`'s own process (one writer at a time), not in worker processes."""
    schema, _ = await publish(engine)
    runner = Runner(engine, replace(settings, jobs_poll_seconds=0.05))
    await runner.start()
    try:
        await start_due_timers(engine, schema, TIMERS)
        await wait_until(lambda: all_completed(engine, TIMERS), timeout=120)
    finally:
        await runner.stop()
    assert_each_fired_once(await logged(engine, schema), await histories(engine), TIMERS)
    assert set(await timer_jobs(engine)) == {("done", 1)} and len(await timer_jobs(engine)) == TIMERS


async def test_a_flow_goes_on_after_a_restart_in_its_middle(engine, database_url, tmp_path, monkeypatch):
    """One instance waits on a timer, another on an approval. The worker firing the timer is killed before its
    commit; a new engine and a new worker carry on: the timer fires once, the approval is acted on, both complete."""
    schema, mia = await publish(engine)
    async with engine.begin() as conn:
        timed = await start_flow(conn, schema, "follow_up", initiator=None, variables={"n": 1}, at=a_while_ago())
        signed = await start_flow(conn, schema, "sign_off", initiator=None, variables={"n": 2})
    timed_id, signed_id = timed.state.instance.id, signed.state.instance.id
    await engine.dispose()  # the process that started them stops

    monkeypatch.setenv("FLOW_WORKER_HOLD", "1")
    doomed = start_worker(database_url, tmp_path, module="tests.runtime.flow_worker")
    monkeypatch.delenv("FLOW_WORKER_HOLD")
    try:
        line = await asyncio.wait_for(asyncio.to_thread(doomed.stdout.readline), timeout=20)
        assert line.startswith(f"holding {timed_id} "), line
    finally:
        doomed.send_signal(signal.SIGKILL)  # mid-job: the timer's effects are written but not committed
        doomed.communicate(timeout=10)
    fresh = create_engine(database_url)  # no connection of the stopped ones is left
    try:
        assert await logged(fresh, schema) == []
        assert await timer_jobs(fresh) == [("running", 1)]  # claimed by the dead worker, its lease running out
        assert await statuses(fresh) == {"running": 2}
        async with fresh.begin() as conn:
            task_id = (await conn.execute(select(flow_tasks.c.id).where(
                flow_tasks.c.instance_id == signed_id, flow_tasks.c.status == "pending"))).scalar_one()
            result = await act_on_task(conn, task_id, "approve", mia)
        assert result.state.instance.status == "completed"
        survivor = start_worker(database_url, tmp_path, module="tests.runtime.flow_worker")
        try:
            await wait_until(lambda: all_completed(fresh, 2), timeout=30)
        finally:
            stop_worker(survivor)
        assert await logged(fresh, schema) == [1, 2]
        assert await timer_jobs(fresh) == [("done", 2)]  # the killed attempt, then the one that committed
        async with fresh.connect() as conn:
            runs = (await conn.execute(text("SELECT instance_id, pid FROM flow_timer_runs"))).all()
            timers = (await conn.execute(select(flow_timers.c.instance_id, flow_timers.c.status))).all()
        assert [tuple(r) for r in runs] == [(timed_id, survivor.pid)]
        assert [tuple(t) for t in timers] == [(timed_id, "fired")]
        seen = await histories(fresh)
        assert tuple(seen[timed_id]) == TIMED_HISTORY
        # Mia's approval, then the step's outcome
        assert seen[signed_id] == [("start", "start", None), ("mgr", "approved", mia), ("mgr", "approved", None),
                                   ("note", "record_created", None), (None, "finish", None)]
    finally:
        await fresh.dispose()
