"""Background jobs: due timers fired per second by 1 and 2 `nocode worker` processes on PostgreSQL (and the
in-process runner on SQLite), and how late a timer fires. `python -m bench.jobs worker` is the worker process:
`runtime.jobs.run_worker`, as `nocode worker` runs it, plus the benchmark's own timer kind."""
from __future__ import annotations

import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select, text

from runtime.jobs import JobContext, job, utcnow

SECTION = "## Background jobs and timers"
EFFECTS_DDL = "CREATE TABLE bench_effects (job_id BIGINT PRIMARY KEY, late_seconds FLOAT NOT NULL, pid INTEGER NOT NULL)"
ROOT = Path(__file__).resolve().parent.parent
CONCURRENCY = 4  # the default NOCODE_JOBS_CONCURRENCY
LIMIT_CONNECTIONS = 8


@job("bench_timer")
async def fire(ctx: JobContext, payload: dict) -> None:
    """A timer's effect: one row, in the job's own transaction (so exactly once), with how late it fired."""
    late = (utcnow() - ctx.run_at).total_seconds()
    await ctx.conn.execute(text("INSERT INTO bench_effects (job_id, late_seconds, pid) VALUES (:job, :late, :pid)"),
                           {"job": ctx.job_id, "late": late, "pid": os.getpid()})


@dataclass
class JobsRun:
    database: str
    workers: str  # "1 process", "2 processes", "in-process"
    timers: int
    seconds: float  # from the moment they were due to the last one done
    burst_median_late: float
    spread_median_late: float
    spread_p95_late: float
    spread_timers: int
    exact: bool  # every timer's effect exactly once

    @property
    def rate(self) -> float:
        return self.timers / self.seconds


@dataclass
class JobsReport:
    runs: list[JobsRun] = field(default_factory=list)
    limit_rate: float | None = None  # the driver alone: one transaction per timer (mark done + effect)
    notes: list[str] = field(default_factory=list)
    load: str = field(default_factory=lambda: " / ".join(f"{x:.2f}" for x in os.getloadavg()))  # the machine is shared


async def _prepare(url: str) -> None:
    from runtime.db import create_engine
    from runtime.migrate import upgrade

    engine = create_engine(url)
    try:
        await upgrade(engine)
        async with engine.begin() as conn:
            await conn.execute(text("DROP TABLE IF EXISTS bench_effects"))
            await conn.execute(text(EFFECTS_DDL))
    finally:
        await engine.dispose()


async def _measure(engine, timers: int, spread: int, start_workers, stop_workers) -> tuple[float, float, list, bool]:
    """A burst of `timers` due at one moment, then `spread` timers due at random moments over a few seconds
    (a steady load of about 50 a second). Returns (seconds for the burst, its median lateness, the spread's
    lateness list, whether every effect happened exactly once)."""
    from runtime.jobs import enqueue_many
    from runtime.models import jobs

    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM bench_effects"))
        await conn.execute(jobs.delete())
    await start_workers()
    try:
        due = utcnow() + timedelta(seconds=1.5)
        async with engine.begin() as conn:
            await enqueue_many(conn, "bench_timer", [({}, due) for _ in range(timers)])
        await _wait_done(engine, timers)
        async with engine.connect() as conn:
            last = (await conn.execute(select(func.max(jobs.c.finished_at)))).scalar()
            burst_late = [r[0] for r in (await conn.execute(text("SELECT late_seconds FROM bench_effects")))]
        seconds = (last - due).total_seconds()
        rng = random.Random(7)
        start = utcnow() + timedelta(seconds=1)
        window = max(1.0, spread / 50)
        async with engine.begin() as conn:
            await enqueue_many(conn, "bench_timer", [
                ({}, start + timedelta(seconds=rng.uniform(0, window))) for _ in range(spread)])
        await _wait_done(engine, timers + spread)
    finally:
        await stop_workers()
    async with engine.connect() as conn:
        rows = (await conn.execute(text("SELECT job_id, late_seconds FROM bench_effects"))).all()
        done = (await conn.execute(select(func.count()).where(jobs.c.status == "done", jobs.c.attempts == 1))).scalar()
    burst_ids = set(sorted(r.job_id for r in rows)[:timers])
    spread_late = [r.late_seconds for r in rows if r.job_id not in burst_ids]
    exact = len(rows) == timers + spread == done
    return seconds, statistics.median(burst_late), spread_late, exact


async def _wait_done(engine, count: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while True:
        async with engine.connect() as conn:
            done = (await conn.execute(text("SELECT count(*) FROM bench_effects"))).scalar()
        if done >= count:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {done} of {count} timers fired in {timeout:.0f} s")
        await asyncio.sleep(0.05)


def _spawn(url: str, work: Path) -> subprocess.Popen:
    env = {**os.environ, "NOCODE_DATABASE_URL": url, "NOCODE_DATA_DIR": str(work / "data"),
           "NOCODE_SECRET_KEY": "bench-secret-" + "x" * 40, "NOCODE_JOBS_CONCURRENCY": str(CONCURRENCY),
           "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-m", "bench.jobs", "worker"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    if not line.startswith("ready"):
        raise RuntimeError(f"worker did not start: {line}{process.stderr.read()}")
    return process


def _stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.send_signal(signal.SIGTERM)
    for process in processes:
        _, err = process.communicate(timeout=60)
        if err.strip():
            print(err[-2000:], file=sys.stderr)


def _run(database: str, workers: str, timers: int, spread: int, measured) -> JobsRun:
    seconds, burst_median, spread_late, exact = measured
    return JobsRun(database, workers, timers, seconds, burst_median, statistics.median(spread_late),
                   statistics.quantiles(spread_late, n=20)[-1], spread, exact)


async def run_jobs(*, pg_url: str | None, pg_dsn: str | None, sqlite_url: str | None, work: Path, timers: int,
                   spread: int, log) -> JobsReport:
    from runtime.db import create_engine
    from runtime.jobs import Runner
    from runtime.settings import Settings

    report = JobsReport()
    if pg_url:
        await _prepare(pg_url)
        engine = create_engine(pg_url)
        try:
            for count in (1, 2):
                processes: list[subprocess.Popen] = []

                async def start(count=count, processes=processes):
                    processes.extend(_spawn(pg_url, work) for _ in range(count))

                async def stop(processes=processes):
                    _stop(processes)

                label = "1 process" if count == 1 else f"{count} processes"
                log(f"jobs: postgresql, {label} × {CONCURRENCY} at once: {timers:,} timers due together, "
                    f"then {spread:,} spread out")
                run = _run("postgresql", label, timers, spread, await _measure(engine, timers, spread, start, stop))
                report.runs.append(run)
                log(f"  {run.rate:,.0f} timers/s; median lateness {run.burst_median_late:.3f} s in the burst, "
                    f"{run.spread_median_late:.3f} s spread out; exactly once: {run.exact}")
        finally:
            await engine.dispose()
        report.limit_rate = await _driver_limit(pg_dsn, timers)
        log(f"  driver limit: {report.limit_rate:,.0f} transactions/s")
    if sqlite_url:
        await _prepare(sqlite_url)
        engine = create_engine(sqlite_url)
        holder: list[Runner] = []
        settings = Settings(database_url=sqlite_url, data_dir=work / "data", secret_key="bench-" + "x" * 40)

        async def start_in_process():
            holder.append(Runner(engine, settings, concurrency=CONCURRENCY))
            await holder[-1].start()

        async def stop_in_process():
            await holder.pop().stop()

        try:
            log(f"jobs: sqlite, in-process runner: {timers:,} timers due together, then {spread:,} spread out")
            run = _run("sqlite", "in-process", timers, spread,
                       await _measure(engine, timers, spread, start_in_process, stop_in_process))
            report.runs.append(run)
            log(f"  {run.rate:,.0f} timers/s; median lateness {run.burst_median_late:.3f} s in the burst, "
                f"{run.spread_median_late:.3f} s spread out; exactly once: {run.exact}")
        finally:
            await engine.dispose()
    return report


async def _driver_limit(dsn: str, timers: int) -> float:
    """What a fired timer costs at the least: one transaction marking its row done and inserting the effect,
    asyncpg alone on 8 connections."""
    import asyncpg

    pool = await asyncpg.create_pool(dsn, min_size=LIMIT_CONNECTIONS, max_size=LIMIT_CONNECTIONS)
    try:
        async with pool.acquire() as conn:
            await conn.execute("DELETE FROM bench_effects")
            await conn.execute("DELETE FROM jobs")
            now = utcnow()
            await conn.executemany(
                "INSERT INTO jobs (kind, status, run_at, attempts, max_attempts, created_at) "
                "VALUES ('bench_timer', 'running', $1, 1, 5, $1)", [(now,)] * timers)
            ids = [r[0] for r in await conn.fetch("SELECT id FROM jobs ORDER BY id")]
        queue = iter(ids)

        async def worker():
            async with pool.acquire() as conn:
                for job_id in queue:
                    async with conn.transaction():
                        await conn.execute("UPDATE jobs SET status = 'done', finished_at = $2 "
                                           "WHERE id = $1 AND status = 'running'", job_id, utcnow())
                        await conn.execute("INSERT INTO bench_effects (job_id, late_seconds, pid) VALUES ($1, 0, 0)",
                                           job_id)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(LIMIT_CONNECTIONS)))
        return len(ids) / (time.perf_counter() - started)
    finally:
        await pool.close()


def jobs_text(report: JobsReport) -> str:
    lines = ["database    workers       timers/s  burst median late  spread median  spread p95  exactly once"]
    for r in report.runs:
        lines.append(f"{r.database:<11} {r.workers:<12} {r.rate:>9,.0f}  {r.burst_median_late:>16.3f}s "
                     f"{r.spread_median_late:>13.3f}s {r.spread_p95_late:>10.3f}s  {'yes' if r.exact else 'NO'}")
    if report.limit_rate:
        lines.append(f"driver limit (asyncpg, {LIMIT_CONNECTIONS} connections): {report.limit_rate:,.0f} timers/s")
    return "\n".join(lines)


def jobs_markdown(report: JobsReport) -> list[str]:
    first = report.runs[0] if report.runs else None
    out = [
        SECTION,
        "",
        f"Due timers fired per second and how late they fire (`bench/jobs.py`). Each timer is a job of the "
        f"kind `bench_timer`, whose effect is one row inserted in the job's own transaction (the one that marks "
        f"it done, so it happens exactly once). *Burst*: {first.timers if first else 0:,} timers due at the same "
        f"moment, enqueued 1.5 s ahead while the workers idle; timers/s is their count over the time from that "
        f"moment to the last one done. *Spread*: then {first.spread_timers if first else 0:,} timers due at "
        "random moments over a few seconds (about 50 a second), the way timers and SLA deadlines come due in "
        "practice. Lateness is when the handler ran minus `run_at`. PostgreSQL: separate `nocode worker` "
        f"processes (`python -m bench.jobs worker`, {CONCURRENCY} jobs at once each, the default), LISTEN/NOTIFY "
        "and the 0.5 s poll; SQLite: the in-process runner of `nocode serve`.",
        "",
        "| database | workers | timers/s | burst: median lateness | spread: median lateness | spread: p95 "
        "| every effect exactly once |",
        "| --- | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for r in report.runs:
        out.append(f"| {r.database} | {r.workers} | {r.rate:,.0f} | {r.burst_median_late:.3f} s | "
                   f"{r.spread_median_late:.3f} s | {r.spread_p95_late:.3f} s | {'yes' if r.exact else '**no**'} |")
    out += ["", f"A burst's median lateness is its throughput at work (half the timers wait for the first half to "
            f"run), so the aim of a timer firing within 1 s is read on the spread load; the burst rows say how big "
            f"a pile-up clears how fast. Load average when the section started: {report.load}.", ""]
    if report.limit_rate:
        out += [f"The limit: asyncpg alone, {LIMIT_CONNECTIONS} connections, one transaction per timer that marks "
                f"its row done and inserts the effect: {report.limit_rate:,.0f} timers/s. The runner adds the "
                "claim (`UPDATE … WHERE id IN (SELECT … FOR UPDATE SKIP LOCKED)`, a batch at a time), SQLAlchemy "
                "and one asyncio task per job; on 2 cores shared with PostgreSQL the second process adds what the "
                "spare core allows.", ""]
    out += report.notes and [f"- {n}" for n in report.notes] + [""] or []
    out += ["Run just this section with `.venv/bin/python -m bench jobs [--db sqlite|postgresql|both] "
            "[--timers N]`.", ""]
    return out


if __name__ == "__main__" and sys.argv[1:] == ["worker"]:
    from runtime.jobs import run_worker
    from runtime.settings import Settings

    asyncio.run(run_worker(Settings.from_env(), ready=lambda runner: print(f"ready {runner.worker_id}", flush=True)))
