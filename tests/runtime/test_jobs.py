"""Background jobs and timers: enqueued with the caller's transaction, retried with backoff, dead with their
error kept, taken back from a crashed worker, never run twice across a restart or by two worker processes."""
from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import func, insert, select, text, update

from runtime.db import create_engine
from runtime.jobs import Runner, enqueue, enqueue_many, next_slot, schedule, slot_key, unschedule, utcnow
from runtime.models import jobs
from tests.runtime.jobs_worker import ATTEMPT_TIMES, EFFECTS_DDL  # also registers the test kinds

ROOT = Path(__file__).resolve().parents[2]
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def engine(database_url):
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(text(EFFECTS_DDL))
    yield engine
    await engine.dispose()


@pytest.fixture
def job_settings(settings):
    return replace(settings, jobs_poll_seconds=0.05, jobs_lease_seconds=2)


async def wait_until(check, timeout: float = 20.0):
    """Polls `check` (async, returns a truthy value when done) until it holds; fails after `timeout`."""
    deadline = time.monotonic() + timeout
    while True:
        value = await check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out waiting"
        await asyncio.sleep(0.02)


async def scalar(engine, query):
    async with engine.connect() as conn:
        return (await conn.execute(query)).scalar()


async def effects(engine) -> list:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT job_id, n, late_seconds, pid FROM job_effects ORDER BY n"))).all()


async def job_row(engine, job_id: int):
    async with engine.connect() as conn:
        return (await conn.execute(select(jobs).where(jobs.c.id == job_id))).one()


async def test_a_job_exists_only_if_the_transaction_that_enqueued_it_commits(engine, job_settings):
    with pytest.raises(RuntimeError):
        async with engine.begin() as conn:
            await enqueue(conn, "test_effect", {"n": 1})
            raise RuntimeError("the business write failed")
    assert await scalar(engine, select(func.count()).select_from(jobs)) == 0
    async with engine.begin() as conn:
        job_id = await enqueue(conn, "test_effect", {"n": 2})
    runner = Runner(engine, job_settings)
    await runner.start()
    try:
        await wait_until(lambda: effects(engine))
        row = await wait_until(lambda: _done(engine, job_id))
    finally:
        await runner.stop()
    assert [(e.job_id, e.n) for e in await effects(engine)] == [(job_id, 2)]
    assert (row.status, row.attempts, row.locked_by, row.last_error) == ("done", 1, None, None)


async def _done(engine, job_id):
    row = await job_row(engine, job_id)
    return row if row.status in ("done", "dead") else None


async def test_a_failing_job_is_retried_with_growing_waits_then_succeeds(engine, job_settings):
    ATTEMPT_TIMES.pop("erp", None)
    async with engine.begin() as conn:
        job_id = await enqueue(conn, "test_flaky", {"name": "erp", "succeed_on": 3})
    runner = Runner(engine, job_settings)
    await runner.start()
    try:
        row = await wait_until(lambda: _done(engine, job_id))
    finally:
        await runner.stop()
    assert (row.status, row.attempts) == ("done", 3)
    first, second, third = ATTEMPT_TIMES["erp"]
    # backoff_base 0.1 s with equal jitter: the first wait is 0.05–0.1 s, the second 0.1–0.2 s
    assert second - first >= 0.05 and third - second >= 0.1


async def test_a_job_that_keeps_failing_goes_dead_with_its_error_and_no_effect(engine, job_settings):
    async with engine.begin() as conn:
        broken = await enqueue(conn, "test_broken", {"n": 7})
        refused = await enqueue(conn, "test_refused", {})
    runner = Runner(engine, job_settings)
    await runner.start()
    try:
        broken_row = await wait_until(lambda: _done(engine, broken))
        refused_row = await wait_until(lambda: _done(engine, refused))
    finally:
        await runner.stop()
    assert (broken_row.status, broken_row.attempts) == ("dead", 3)
    assert broken_row.last_error == "ValueError: no stock for order 7"
    assert broken_row.finished_at is not None
    assert await effects(engine) == []  # each attempt's insert was rolled back with its failure
    # a PermanentError is not retried
    assert (refused_row.status, refused_row.attempts) == ("dead", 1)
    assert refused_row.last_error == "PermanentError: the customer was deleted"


async def test_a_crashed_workers_job_is_run_again_and_a_live_workers_is_left_alone(engine, job_settings):
    now = utcnow()
    common = dict(kind="test_effect", status="running", run_at=now - timedelta(minutes=5), attempts=1,
                  max_attempts=3, created_at=now - timedelta(minutes=5), started_at=now - timedelta(minutes=5))
    async with engine.begin() as conn:
        crashed = (await conn.execute(insert(jobs).values(
            **common, payload={"n": 1}, locked_by="host:4242:gone", locked_until=now - timedelta(seconds=1))
            .returning(jobs.c.id))).scalar_one()
        alive = (await conn.execute(insert(jobs).values(
            **common, payload={"n": 2}, locked_by="host:4343:busy", locked_until=now + timedelta(minutes=5))
            .returning(jobs.c.id))).scalar_one()
    runner = Runner(engine, job_settings)
    await runner.start()
    try:
        row = await wait_until(lambda: _done(engine, crashed))
    finally:
        await runner.stop()
    assert (row.status, row.attempts) == ("done", 2)
    assert [(e.job_id, e.n) for e in await effects(engine)] == [(crashed, 1)]
    other = await job_row(engine, alive)
    assert (other.status, other.locked_by) == ("running", "host:4343:busy")


async def test_a_runner_stopped_midway_leaves_the_rest_to_the_next_and_nothing_runs_twice(engine, job_settings):
    count = 200  # 50 rounds of 4: a loaded machine's slow polling still stops the runner midway
    # A lease long enough that no job is taken back as abandoned while SQLite's single writer makes jobs queue for
    # the write lock on a busy machine: this test is about stopping, not about expired leases.
    job_settings = replace(job_settings, jobs_lease_seconds=30)
    async with engine.begin() as conn:
        await enqueue_many(conn, "test_slow_effect", [({"n": n, "seconds": 0.03}, None) for n in range(count)])
    first = Runner(engine, job_settings, concurrency=4)
    await first.start()
    await wait_until(lambda: _effect_count_at_least(engine, 8))
    await first.stop(grace=0)  # running jobs are interrupted, their leases released
    async with engine.connect() as conn:
        statuses = dict((await conn.execute(select(jobs.c.status, func.count()).group_by(jobs.c.status))).all())
    assert statuses.get("running", 0) == 0 and statuses.get("queued", 0) > 0
    second = Runner(engine, job_settings, concurrency=4)
    await second.start()
    try:
        await wait_until(lambda: _effect_count_at_least(engine, count))
        await wait_until(lambda: _all_finished(engine))
    finally:
        await second.stop()
    rows = await effects(engine)
    assert sorted(e.n for e in rows) == list(range(count))  # each exactly once
    async with engine.connect() as conn:
        attempts = (await conn.execute(select(jobs.c.status, jobs.c.attempts))).all()
    assert set(attempts) == {("done", 1)}  # an interrupted attempt does not count against the job


async def _effect_count_at_least(engine, n):
    return len(await effects(engine)) >= n


async def _all_finished(engine):
    return await scalar(engine, select(func.count()).select_from(jobs).where(jobs.c.status.in_(("queued", "running")))) == 0


async def test_a_timer_fires_on_time_and_never_early(engine, settings):
    runner = Runner(engine, settings)  # the default poll interval: the runner sleeps until the next run_at
    await runner.start()
    try:
        due = utcnow() + timedelta(seconds=1)
        async with engine.begin() as conn:
            await enqueue(conn, "test_effect", {"n": 1}, run_at=due.replace(tzinfo=timezone.utc))
            await enqueue(conn, "test_effect", {"n": 2}, delay=0.6)
        await wait_until(lambda: _effect_count_at_least(engine, 2))
    finally:
        await runner.stop()
    lateness = [e.late_seconds for e in await effects(engine)]
    assert all(0 <= late < 0.5 for late in lateness), lateness


def test_cron_slots_are_computed_on_shanghai_clocks_across_midnight():
    utc = lambda *a: datetime(*a)  # noqa: E731  naive UTC, as the platform stores it
    # 00:30 on 1 Feb in Shanghai is still 31 Jan in UTC; 09:00 Shanghai is 01:00 UTC
    assert next_slot("0 9 * * *", utc(2024, 1, 31, 16, 30), SHANGHAI) == utc(2024, 2, 1, 1, 0)
    # 23:40 on New Year's Eve in Shanghai: 23:30 has passed, so the next is tomorrow's, in the new year
    assert next_slot("30 23 * * *", utc(2024, 12, 31, 15, 40), SHANGHAI) == utc(2025, 1, 1, 15, 30)
    # exactly at a slot: strictly after, so the following midnight (leap day included)
    assert next_slot("0 0 * * *", utc(2024, 2, 28, 16, 0), SHANGHAI) == utc(2024, 2, 29, 16, 0)
    # the first Monday 08:00 of the week after; Shanghai has no daylight saving, so the US/EU switch dates
    # (10 and 31 March 2024) change nothing
    assert next_slot("0 8 * * 1", utc(2024, 3, 9, 0, 0), SHANGHAI) == utc(2024, 3, 11, 0, 0)
    assert next_slot("0 9 * * *", utc(2024, 3, 31, 2, 0), SHANGHAI) == utc(2024, 4, 1, 1, 0)
    # an aware time is converted; the 1st of each month at 10:00
    aware = datetime(2024, 5, 31, 23, 0, tzinfo=SHANGHAI)
    assert next_slot("0 10 1 * *", aware, SHANGHAI) == utc(2024, 6, 1, 2, 0)


async def test_a_recurring_job_runs_once_per_slot_and_enqueues_only_its_next_slot(engine, job_settings):
    series = "flow:scrm:daily_report"
    past = utcnow() - timedelta(minutes=3)
    async with engine.begin() as conn:
        first = await schedule(conn, series, "test_effect", "* * * * *", {"n": 1}, tz=SHANGHAI, after=past)
        again = await schedule(conn, series, "test_effect", "* * * * *", {"n": 1}, tz=SHANGHAI, after=past)
    assert first is not None and again is None  # the same slot is enqueued once, however often asked
    runner = Runner(engine, job_settings)
    await runner.start()
    try:
        await wait_until(lambda: _done(engine, first))
    finally:
        await runner.stop()
    async with engine.connect() as conn:
        rows = (await conn.execute(select(jobs).where(jobs.c.series == series).order_by(jobs.c.run_at))).all()
    assert [r.status for r in rows] == ["done", "queued"]  # the missed slots are not caught up one by one
    upcoming = rows[1]
    assert utcnow() < upcoming.run_at <= utcnow() + timedelta(minutes=1)
    assert upcoming.dedupe_key == slot_key(series, upcoming.run_at) and upcoming.cron == "* * * * *"
    assert len(await effects(engine)) == 1
    async with engine.begin() as conn:
        assert await unschedule(conn, series) == 1
        with pytest.raises(ValueError):
            await schedule(conn, series, "test_effect", "every monday", tz=SHANGHAI)


async def test_outbound_http_retries_server_errors_with_one_idempotency_key_and_gives_up_on_4xx(engine, job_settings):
    seen: list[tuple[str, str]] = []
    answers = {"https://erp.example/orders": [(503, "busy"), (200, "ok")], "https://erp.example/missing": [(404, "")]}

    def erp(request: httpx.Request) -> httpx.Response:
        seen.append((str(request.url), request.headers["idempotency-key"]))
        status, body = answers[str(request.url)].pop(0)
        return httpx.Response(status, text=body)

    async with engine.begin() as conn:
        order = await enqueue(conn, "http_request", {"url": "https://erp.example/orders", "json": {"order": 7}})
        missing = await enqueue(conn, "http_request", {"url": "https://erp.example/missing", "json": {}})
    runner = Runner(engine, job_settings, http_transport=httpx.MockTransport(erp))
    await runner.start()
    try:
        dead = await wait_until(lambda: _done(engine, missing))
        waiting = await wait_until(lambda: _retry_waiting(engine, order))
        assert waiting.last_error.startswith("RuntimeError: HTTP 503 from https://erp.example/orders: busy")
        assert waiting.run_at > utcnow() + timedelta(seconds=4)  # backoff of a webhook starts at 5–10 s
        async with engine.begin() as conn:  # let the backoff pass
            await conn.execute(update(jobs).where(jobs.c.id == order).values(run_at=utcnow()))
        runner.wake()
        done = await wait_until(lambda: _done(engine, order))
    finally:
        await runner.stop()
    assert (done.status, done.attempts) == ("done", 2)
    assert (dead.status, dead.attempts) == ("dead", 1) and "HTTP 404" in dead.last_error
    keys = [key for url, key in seen if url.endswith("/orders")]
    assert keys == [f"job-{order}", f"job-{order}"]


async def _retry_waiting(engine, job_id):
    row = await job_row(engine, job_id)
    return row if row.status == "queued" and row.attempts == 1 else None


async def test_serve_runs_jobs_in_process_for_the_apps_lifespan(engine, job_settings):
    from runtime.app import create_app

    app = create_app(job_settings).app
    async with app.router.lifespan_context(app):
        async with app.state.platform.begin() as conn:
            job_id = await enqueue(conn, "test_effect", {"n": 5})
        await wait_until(lambda: _done(engine, job_id))
    assert [e.n for e in await effects(engine)] == [5]
    off = create_app(replace(job_settings, jobs_in_process=False)).app
    async with off.router.lifespan_context(off):
        async with off.state.platform.begin() as conn:
            idle = await enqueue(conn, "test_effect", {"n": 6})
        await asyncio.sleep(0.3)  # several poll intervals: a runner would have taken it
    assert (await job_row(engine, idle)).status == "queued"


# --- separate worker processes on PostgreSQL -----------------------------------------------------------------

def start_worker(database_url: str, tmp_path: Path, *, module: str = "tests.runtime.jobs_worker",
                 args: tuple[str, ...] = (), lease: float = 2) -> subprocess.Popen:
    env = {**os.environ, "NOCODE_DATABASE_URL": database_url, "NOCODE_DATA_DIR": str(tmp_path / "data"),
           "NOCODE_SECRET_KEY": "test-secret-key-" + "x" * 32, "NOCODE_JOBS_POLL_SECONDS": "0.2",
           "NOCODE_JOBS_CONCURRENCY": "4", "NOCODE_JOBS_LEASE_SECONDS": str(lease), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", module, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()  # the worker says when it listens for jobs
    assert line.startswith(("ready", "worker")), line + process.stderr.read()
    return process


def stop_worker(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    return out


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_two_worker_processes_fire_1000_due_timers_exactly_once(engine, database_url, tmp_path):
    workers = [start_worker(database_url, tmp_path) for _ in range(2)]
    try:
        due = utcnow() + timedelta(seconds=1)
        async with engine.begin() as conn:
            await enqueue_many(conn, "test_effect", [({"n": n}, due) for n in range(1000)])
        await wait_until(lambda: _all_finished(engine), timeout=60)
    finally:
        for process in workers:
            stop_worker(process)
    rows = await effects(engine)
    assert len(rows) == 1000 and sorted(e.n for e in rows) == list(range(1000))
    async with engine.connect() as conn:
        assert set((await conn.execute(select(jobs.c.status, jobs.c.attempts))).all()) == {("done", 1)}
    assert {e.pid for e in rows} == {p.pid for p in workers}  # both shared the work
    assert min(e.late_seconds for e in rows) >= 0  # none early; how late a burst fires is throughput (bench/jobs.py)


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_killed_worker_process_loses_no_job_and_doubles_none(engine, database_url, tmp_path):
    async with engine.begin() as conn:
        await enqueue_many(conn, "test_slow_effect", [({"n": n, "seconds": 0.05}, None) for n in range(120)])
    doomed = start_worker(database_url, tmp_path)
    await wait_until(lambda: _effect_count_at_least(engine, 20))
    doomed.kill()  # SIGKILL mid-job: its open transactions roll back, its leases run out
    doomed.communicate(timeout=10)
    async with engine.connect() as conn:
        orphaned = (await conn.execute(select(func.count()).where(jobs.c.status == "running"))).scalar()
    survivor = start_worker(database_url, tmp_path)
    try:
        await wait_until(lambda: _all_finished(engine), timeout=30)
    finally:
        stop_worker(survivor)
    rows = await effects(engine)
    assert sorted(e.n for e in rows) == list(range(120))
    assert orphaned > 0  # the kill did interrupt jobs, and they were taken back
    async with engine.connect() as conn:
        retried = (await conn.execute(select(func.count()).where(jobs.c.attempts == 2))).scalar()
    assert retried == orphaned


async def test_nocode_worker_runs_jobs_until_told_to_stop(engine, database_url, tmp_path):
    async with engine.begin() as conn:
        # a kind the plain worker knows: outbound HTTP, here to a closed local port, so it fails and is retried
        job_id = await enqueue(conn, "http_request", {"url": "http://127.0.0.1:9/hook", "timeout": 1})
    worker = start_worker(database_url, tmp_path, module="runtime.cli", args=("worker", "--concurrency", "2"))
    try:
        row = await wait_until(lambda: _retry_waiting(engine, job_id))
    finally:
        out = stop_worker(worker)
    assert "worker stopped" in out
    assert row.last_error.startswith("ConnectError")
