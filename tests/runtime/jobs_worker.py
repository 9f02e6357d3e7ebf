"""Job kinds the job tests run, and a worker process that knows them:
`python -m tests.runtime.jobs_worker` runs `runtime.jobs.run_worker` as `nocode worker` does, plus these kinds.

Each kind's visible effect is a row in `job_effects` (made by the test, not by a migration), with no unique key,
so a job that ran twice shows as two rows."""
from __future__ import annotations

import asyncio
import os
import time

from sqlalchemy import text

from runtime.jobs import JobContext, PermanentError, job, utcnow

EFFECTS_DDL = ("CREATE TABLE job_effects (job_id BIGINT NOT NULL, n INTEGER, late_seconds FLOAT NOT NULL, "
               "pid INTEGER NOT NULL)")
ATTEMPT_TIMES: dict[str, list[float]] = {}  # non-transactional kinds note their attempts here (same process)


async def record_effect(ctx: JobContext, payload: dict) -> None:
    late = (utcnow() - ctx.run_at).total_seconds()
    await ctx.conn.execute(text("INSERT INTO job_effects (job_id, n, late_seconds, pid) VALUES (:job, :n, :late, :pid)"),
                           {"job": ctx.job_id, "n": payload.get("n"), "late": late, "pid": os.getpid()})


@job("test_effect", max_attempts=3, backoff_base=0.05)
async def effect(ctx: JobContext, payload: dict) -> None:
    await record_effect(ctx, payload)


@job("test_slow_effect", max_attempts=3, backoff_base=0.05)
async def slow_effect(ctx: JobContext, payload: dict) -> None:
    await record_effect(ctx, payload)
    await asyncio.sleep(payload.get("seconds", 0.02))  # inside the job's transaction: a crash here undoes the row


@job("test_flaky", max_attempts=5, transactional=False, backoff_base=0.1)
async def flaky(ctx: JobContext, payload: dict) -> None:
    ATTEMPT_TIMES.setdefault(payload["name"], []).append(time.monotonic())
    if ctx.attempt < payload["succeed_on"]:
        raise ConnectionError(f"ERP unreachable (attempt {ctx.attempt})")


@job("test_broken", max_attempts=3, backoff_base=0.01)
async def broken(ctx: JobContext, payload: dict) -> None:
    await record_effect(ctx, payload)  # rolled back with the failure
    raise ValueError(f"no stock for order {payload['n']}")


@job("test_refused", max_attempts=5, backoff_base=0.01)
async def refused(ctx: JobContext, payload: dict) -> None:
    raise PermanentError("the customer was deleted")


if __name__ == "__main__":
    from runtime.jobs import run_worker
    from runtime.settings import Settings

    def ready(runner) -> None:
        print(f"ready {runner.worker_id}", flush=True)

    asyncio.run(run_worker(Settings.from_env(), ready=ready, grace=5))
