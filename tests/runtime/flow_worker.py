"""A worker process for the flow-worker tests: `python -m tests.runtime.flow_worker` runs `runtime.jobs.run_worker`
as `nocode worker` does, with the platform's own `flow_timer` kind. Each fired timer also notes which process fired
it: a row in `flow_timer_runs` (made by the test), written in the job's transaction, so it commits with the
timer's effects or not at all. With FLOW_WORKER_HOLD=1 the worker stops after a timer's work, before the commit,
and says so on stdout: the test kills it there."""
from __future__ import annotations

import asyncio
import os

from sqlalchemy import text

import runtime.flows

RUNS_DDL = ("CREATE TABLE flow_timer_runs (instance_id BIGINT NOT NULL, timer VARCHAR(40) NOT NULL, "
            "pid INTEGER NOT NULL)")
HOLD = os.environ.get("FLOW_WORKER_HOLD") == "1"

fire_timer = runtime.flows.fire_timer


async def noted_fire_timer(conn, instance_id, timer, **options):
    result = await fire_timer(conn, instance_id, timer, **options)
    await conn.execute(text("INSERT INTO flow_timer_runs (instance_id, timer, pid) VALUES (:i, :t, :pid)"),
                       {"i": instance_id, "t": timer, "pid": os.getpid()})
    if HOLD:
        print(f"holding {instance_id} {timer}", flush=True)
        await asyncio.sleep(3600)  # inside the job's open transaction: killed here, none of it commits
    return result


if __name__ == "__main__":
    from runtime.jobs import run_worker
    from runtime.settings import Settings

    runtime.flows.fire_timer = noted_fire_timer  # the timer job looks it up by name when it runs

    def ready(runner) -> None:
        print(f"ready {runner.worker_id}", flush=True)

    asyncio.run(run_worker(Settings.from_env(), ready=ready, grace=5))
