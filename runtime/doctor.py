"""`nocode doctor`: what an operator checks first when something is wrong — config, database, migrations, disk,
job workers and the queue — each as ok / warn / fail with what to do about it."""
from __future__ import annotations

import os
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import func, select

from runtime.settings import Settings

OK, WARN, FAIL = "ok", "warn", "fail"
DISK_WARN_BYTES = 2 * 1024**3
DISK_FAIL_BYTES = 256 * 1024**2
BACKLOG_WARN_SECONDS = 300


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str

    def as_dict(self) -> dict:
        return asdict(self)


def render(checks: list[Check]) -> str:
    width = max(len(c.name) for c in checks)
    lines = [f"[{c.status:^4}] {c.name:<{width}}  {c.detail}" for c in checks]
    failed = sum(c.status == FAIL for c in checks)
    warned = sum(c.status == WARN for c in checks)
    lines.append(f"{failed} failed, {warned} warnings" if failed or warned else "all good")
    return "\n".join(lines)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _existing_parent(path: Path) -> Path:
    path = path.resolve()
    while not path.exists():
        path = path.parent
    return path


def check_disk(path: Path, what: str) -> Check:
    usage = shutil.disk_usage(_existing_parent(path))
    free = f"{usage.free / 1024**3:.1f} GiB free of {usage.total / 1024**3:.1f} GiB at {path}"
    if usage.free < DISK_FAIL_BYTES:
        return Check(f"disk ({what})", FAIL, free + ": free some space or writes will fail")
    if usage.free < DISK_WARN_BYTES or usage.free < usage.total * 0.1:
        return Check(f"disk ({what})", WARN, free + ": running low")
    return Check(f"disk ({what})", OK, free)


def check_config(settings: Settings) -> list[Check]:
    checks = [Check("config", OK, f"read {settings.config_file}") if settings.config_file else
              Check("config", WARN, "no config file: environment and defaults only (nocode install writes one)")]
    data_dir = settings.data_dir
    if not data_dir.is_dir():
        checks.append(Check("data dir", FAIL, f"{data_dir} does not exist"))
    elif not os.access(data_dir, os.W_OK):
        checks.append(Check("data dir", FAIL, f"{data_dir} is not writable by this user ({os.geteuid()})"))
    else:
        checks.append(Check("data dir", OK, str(data_dir.resolve())))
    if not (settings.frontend_dir / "index.html").exists():
        checks.append(Check("frontend", WARN, f"no built UI at {settings.frontend_dir} (cd frontend && npm run build)"))
    return checks


async def check_database(settings: Settings) -> list[Check]:
    from runtime.db import create_engine
    from runtime.jobs import DEAD, QUEUED
    from runtime.migrate import current_revision, known_revisions
    from runtime.models import jobs, worker_heartbeats
    from runtime.observability import LIVE_SECONDS, live_workers, safe_url

    engine = create_engine(settings.database_url)
    checks = []
    try:
        started = time.perf_counter()
        try:
            current, head = await current_revision(engine)
        except Exception as e:  # any driver error: the operator needs its text
            return [Check("database", FAIL, f"cannot reach {safe_url(settings.database_url)}: {e}")]
        elapsed = (time.perf_counter() - started) * 1000
        kind = engine.dialect.name
        note = " (fine for one server; use PostgreSQL for several processes)" if kind == "sqlite" else ""
        checks.append(Check("database", OK, f"{kind} at {safe_url(settings.database_url)}, {elapsed:.0f} ms{note}"))
        if current == head:
            checks.append(Check("migrations", OK, f"at the newest revision {head}"))
        elif current is None:
            return checks + [Check("migrations", FAIL, "the database is empty: run `nocode migrate` (or install)")]
        elif current in known_revisions():
            return checks + [Check("migrations", FAIL, f"at {current}, this code needs {head}: run `nocode upgrade`")]
        else:
            return checks + [Check("migrations", FAIL, f"the database is at {current}, newer than this code ({head}): "
                                                       "run the newer nocode")]
        if kind == "sqlite":
            checks.append(check_disk(Path(engine.url.database), "database"))
        async with engine.connect() as conn:
            live = await live_workers(conn)
            gone = (await conn.execute(select(func.count()).select_from(worker_heartbeats).where(
                worker_heartbeats.c.seen_at < _utcnow() - timedelta(seconds=LIVE_SECONDS)))).scalar_one()
            now = _utcnow()
            oldest_due = (await conn.execute(select(func.min(jobs.c.run_at)).where(
                jobs.c.status == QUEUED, jobs.c.run_at <= now))).scalar()
            dead = (await conn.execute(
                select(func.count()).select_from(jobs).where(jobs.c.status == DEAD))).scalar_one()
        if live:
            names = ", ".join(f"{w.role} {w.worker_id} ({w.running}/{w.concurrency} busy)" for w in live[:5])
            checks.append(Check("workers", OK, f"{len(live)} alive: {names}"))
        else:
            hint = "start `nocode worker` (systemctl start nocode-worker@1)" if not settings.jobs_in_process else \
                "start `nocode serve` or `nocode worker`"
            stale = f"; {gone} stopped without a goodbye in the last day" if gone else ""
            checks.append(Check("workers", FAIL, f"no job runner has sent a heartbeat in {LIVE_SECONDS:.0f} s: timers, "
                                                 f"schedules and webhooks wait; {hint}{stale}"))
        waited = (now - oldest_due).total_seconds() if oldest_due else 0
        if waited > BACKLOG_WARN_SECONDS:
            checks.append(Check("job queue", WARN, f"the oldest due job has waited {waited / 60:.0f} min: "
                                                   "add workers or look for a slow job kind"))
        else:
            checks.append(Check("job queue", OK, "no backlog" if not oldest_due else f"oldest due job {waited:.0f} s"))
        if dead:
            checks.append(Check("dead jobs", WARN, f"{dead} jobs failed for good (see docs/jobs.md, 'Looking at "
                                                   "the queue')"))
    finally:
        await engine.dispose()
    return checks


async def diagnose(settings: Settings) -> list[Check]:
    return check_config(settings) + [check_disk(settings.data_dir, "data")] + await check_database(settings)
