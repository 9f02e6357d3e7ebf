"""Background jobs and durable timers: a queue in the platform's own `jobs` table that every `nocode serve` and
`nocode worker` process shares — `FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock on SQLite.

Delivery is at least once. A *transactional* kind (the default) runs inside the transaction that marks its job
done, so its database effects commit exactly once; other kinds (outbound HTTP) may run again after a crash and
get `ctx.idempotency_key` to pass on. See docs/jobs.md.
"""
from __future__ import annotations

import asyncio
import functools
import logging
import os
import random
import signal
import socket
import time
import uuid
import weakref
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Awaitable, Callable
from zoneinfo import ZoneInfo

import httpx
from croniter import croniter
from sqlalchemy import case, delete, event, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engines._registry import Registry
from runtime.models import jobs
from runtime.observability import Heartbeat
from runtime.settings import Settings

__all__ = ["JOBS", "JobContext", "JobKind", "PermanentError", "Runner", "enqueue", "enqueue_many", "job",
           "next_slot", "run_worker", "schedule", "unschedule"]

log = logging.getLogger("nocode.jobs")

QUEUED, RUNNING, DONE, DEAD = "queued", "running", "done", "dead"
NOTIFY_CHANNEL = "nocode_jobs"
# A job due this far off wakes no runner: every runner looks again within its poll interval (seconds) and sleeps
# no longer than until the next job due, so it is found in time without a notification (a flow's 2-day timer).
NO_WAKE_AFTER = timedelta(minutes=5)
ERROR_TEXT_LIMIT = 2000


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def _naive_utc(moment: datetime) -> datetime:
    """The platform stores naive UTC; an aware time is converted, a naive one is taken as UTC already."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


class PermanentError(Exception):
    """Raised by a handler when trying again cannot help (a 4xx answer, a deleted record): the job goes dead."""


@dataclass(frozen=True)
class JobContext:
    """What a handler gets besides its payload."""
    job_id: int
    kind: str
    attempt: int  # 1 on the first run
    run_at: datetime  # naive UTC: when it was due
    engine: AsyncEngine
    settings: Settings
    http: httpx.AsyncClient
    conn: AsyncConnection | None  # the job's own transaction (transactional kinds); commits with "done"

    @property
    def idempotency_key(self) -> str:
        """The same on every attempt of this job: for receivers (or tables) that drop a repeat."""
        return f"job-{self.job_id}"


Handler = Callable[[JobContext, dict], Awaitable[None]]


@dataclass(frozen=True)
class JobKind:
    key: str
    run: Handler
    max_attempts: int = 5
    timeout: float = 300.0  # seconds one attempt may take before it counts as failed
    transactional: bool = True  # effects commit together with the "done" mark: exactly once
    backoff_base: float = 5.0  # seconds before the first retry; doubles with each attempt
    backoff_cap: float = 3600.0

    def backoff(self, attempt: int) -> float:
        """Exponential with equal jitter, so jobs that failed together do not retry together."""
        delay = min(self.backoff_cap, self.backoff_base * 2 ** max(0, attempt - 1))
        return delay / 2 + random.uniform(0, delay / 2)


JOBS: Registry[JobKind] = Registry("job kind")


def job(key: str, **options) -> Callable[[Handler], Handler]:
    """Registers an async `(ctx, payload) -> None` under `key`; options are JobKind's fields."""

    def register(handler: Handler) -> Handler:
        JOBS.register(JobKind(key, handler, **options))
        return handler

    return register


# --- enqueueing, inside the caller's transaction -------------------------------------------------------------

async def enqueue(conn: AsyncConnection, kind: str, payload: dict | None = None, *, run_at: datetime | None = None,
                  delay: float = 0, dedupe_key: str | None = None, max_attempts: int | None = None,
                  series: str | None = None, cron: str | None = None) -> int | None:
    """Adds a job in the caller's transaction, so it exists if and only if the caller's writes commit.
    Returns its id, or None when `dedupe_key` is already taken (that job stays as it is)."""
    spec = JOBS.get(kind)  # a typo fails here, in the request, not later in a worker
    now = utcnow()
    when = _naive_utc(run_at) if run_at is not None else now + timedelta(seconds=delay)
    values = dict(kind=kind, payload=payload, status=QUEUED, run_at=when, attempts=0,
                  max_attempts=max_attempts or spec.max_attempts, dedupe_key=dedupe_key, series=series, cron=cron,
                  created_at=now)
    if dedupe_key is None:
        job_id = (await conn.execute(_ADD, values)).scalar_one()
    else:
        job_id = (await conn.execute(_add_once(conn.dialect.name), values)).scalar()
    if job_id is not None and when - now < NO_WAKE_AFTER:
        await _wake_on_commit(conn)
    return job_id


async def enqueue_many(conn: AsyncConnection, kind: str, items: list[tuple[dict | None, datetime | None]]) -> None:
    """Many jobs of one kind in one statement: (payload, run_at or None for now) each."""
    spec = JOBS.get(kind)
    now = utcnow()
    rows = [dict(kind=kind, payload=payload, status=QUEUED, run_at=_naive_utc(run_at) if run_at else now,
                 attempts=0, max_attempts=spec.max_attempts, created_at=now) for payload, run_at in items]
    if rows:
        await conn.execute(insert(jobs), rows)
        await _wake_on_commit(conn)


_ADD = insert(jobs).returning(jobs.c.id)  # built once: every write that starts a flow or fires a webhook adds a job


@functools.cache
def _add_once(dialect: str):
    """A job that is not added when one with its dedupe key exists."""
    dialect_insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return dialect_insert(jobs).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(jobs.c.id)


async def _wake_on_commit(conn: AsyncConnection) -> None:
    """Runners start a job due now at once instead of at their next poll. PostgreSQL delivers a NOTIFY only
    when the transaction commits, to every listening process; elsewhere the runners of this process are woken."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": NOTIFY_CHANNEL})
    else:
        event.listen(conn.sync_connection, "commit", lambda _conn: _wake_local_runners(), once=True)


_local_runners: "weakref.WeakSet[Runner]" = weakref.WeakSet()


def _wake_local_runners() -> None:
    for runner in list(_local_runners):
        runner.wake()


# --- recurring schedules (cron) ------------------------------------------------------------------------------

def valid_cron(expression: str) -> bool:
    return croniter.is_valid(expression)


def next_slot(expression: str, after: datetime, tz: ZoneInfo) -> datetime:
    """The first time strictly after `after` (UTC; naive means UTC) that the cron expression names on the
    clocks of `tz` (the deployment's zone, Asia/Shanghai by default), as naive UTC."""
    local = _naive_utc(after).replace(tzinfo=timezone.utc).astimezone(tz)
    upcoming = croniter(expression, local).get_next(datetime)
    return _naive_utc(upcoming)


def slot_key(series: str, slot: datetime) -> str:
    """One job per series and slot, however many processes try to enqueue it."""
    return f"{series}@{slot.isoformat(timespec='seconds')}"


async def schedule(conn: AsyncConnection, series: str, kind: str, expression: str, payload: dict | None = None, *,
                   tz: ZoneInfo, after: datetime | None = None) -> int | None:
    """Enqueues the next slot of a recurring job; each run enqueues the one after (see Runner._claim).
    `series` names the schedule, e.g. "flow:scrm:birthday_greeting"."""
    if not valid_cron(expression):
        raise ValueError(f"not a cron expression: {expression!r}")
    slot = next_slot(expression, after or utcnow(), tz)
    return await enqueue(conn, kind, payload, run_at=slot, dedupe_key=slot_key(series, slot), series=series,
                         cron=expression)


async def unschedule(conn: AsyncConnection, series: str) -> int:
    """Stops a recurring job: its waiting slot is deleted (a run under way finishes). Returns how many."""
    result = await conn.execute(delete(jobs).where(jobs.c.series == series, jobs.c.status == QUEUED))
    return result.rowcount


# --- the runner ------------------------------------------------------------------------------------------------

class Runner:
    """Claims due jobs and runs up to `concurrency` of them at once in this process, until stopped.

    A claim is a lease (locked_by, locked_until) that the runner renews while the job runs; a lease that runs out
    (the process died) makes the job claimable again. Stopping releases the leases of unfinished jobs."""

    def __init__(self, engine: AsyncEngine, settings: Settings, *, concurrency: int | None = None,
                 poll_seconds: float | None = None, lease_seconds: float | None = None, worker_id: str | None = None,
                 http_transport: httpx.AsyncBaseTransport | None = None, keep_done: timedelta = timedelta(days=7),
                 role: str = "serve"):
        self.engine, self.settings = engine, settings
        self.concurrency = max(1, concurrency or settings.jobs_concurrency)
        self.poll_seconds = poll_seconds or settings.jobs_poll_seconds
        self.lease = timedelta(seconds=lease_seconds or settings.jobs_lease_seconds)
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
        self.keep_done = keep_done
        self._http_transport = http_transport
        self._running: dict[int, asyncio.Task] = {}
        self._held: deque = deque()  # claimed, waiting for a free slot: the next job starts without a round trip
        self._renewed: set[int] = set()  # leases this runner renews: held jobs and running non-transactional ones
        self._stopping = False
        self._busy = False  # the last claim took all it asked for: claim again without asking what is due
        self._loop_task: asyncio.Task | None = None
        self._listener: AsyncConnection | None = None
        self._wake: asyncio.Event | None = None
        self._event_loop: asyncio.AbstractEventLoop | None = None
        self.http: httpx.AsyncClient | None = None
        self.heartbeat = Heartbeat(engine, self.worker_id, role, self.concurrency)  # who is alive, for health checks

    @property
    def is_postgresql(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    async def start(self) -> None:
        self._event_loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.http = httpx.AsyncClient(transport=self._http_transport, timeout=30, follow_redirects=False)
        _local_runners.add(self)
        await self._listen()
        self._loop_task = asyncio.create_task(self._loop(), name=f"jobs-runner {self.worker_id}")

    def wake(self) -> None:
        """Look for due jobs now (safe from any thread)."""
        if self._event_loop is not None and self._wake is not None and not self._event_loop.is_closed():
            self._event_loop.call_soon_threadsafe(self._wake.set)

    async def stop(self, grace: float = 10.0) -> None:
        """Stop claiming; give running jobs `grace` seconds, then cancel them and release their leases."""
        self._stopping = True
        _local_runners.discard(self)
        if self._wake is not None:
            self._wake.set()
        if self._loop_task is not None:
            await self._loop_task
        unstarted = [row.id for row in self._held]
        self._held.clear()
        tasks = dict(self._running)
        interrupted = []
        if tasks:
            _, pending = await asyncio.wait(tasks.values(), timeout=grace)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            interrupted = [job_id for job_id, task in tasks.items() if task in pending]
        if unstarted or interrupted:
            await self._release(unstarted + interrupted)
        if self._listener is not None:
            raw = await self._listener.get_raw_connection()
            await raw.driver_connection.remove_listener(NOTIFY_CHANNEL, self._notified)
            await self._listener.close()
        if self.http is not None:
            await self.http.aclose()
        await self.heartbeat.stop()

    # The loop: one cheap read when idle ("when is the next job due?"), a claim only when something is due.
    async def _loop(self) -> None:
        last_maintenance, failures = 0.0, 0
        while not self._stopping:
            self._wake.clear()
            await self.heartbeat.beat(len(self._running))
            try:
                if time.monotonic() - last_maintenance > max(1.0, self.lease.total_seconds() / 3):
                    await self._maintain()
                    last_maintenance = time.monotonic()
                delay = await self._claim_and_start()
                failures = 0
            except Exception:  # the database is down or not migrated yet: keep trying, quietly
                failures += 1
                if failures in (1, 10) or failures % 100 == 0:
                    log.exception("job runner %s cannot reach the queue (failure %d)", self.worker_id, failures)
                delay = min(5.0, self.poll_seconds * failures)
            if self._stopping:
                break
            try:
                await asyncio.wait_for(self._wake.wait(), timeout=delay)
            except asyncio.TimeoutError:
                pass

    async def _claim_and_start(self) -> float:
        """Claims what is due (one batch ahead of the free slots), starts what fits, and returns how long to
        wait before looking again."""
        wanted = 3 * self.concurrency - len(self._running) - len(self._held)
        if wanted < self.concurrency:
            return self.poll_seconds  # enough in hand: a finishing job wakes the loop when it runs low
        if not self._busy:  # idle, the usual case: a cheap read says whether anything is due at all
            now = utcnow()
            next_due = await self._next_due()
            if next_due is None:
                return self.poll_seconds
            if next_due > now:  # a timer: sleep until it is due, but look again at least every poll
                return min(self.poll_seconds, max(0.005, (next_due - now).total_seconds()))
        claimed = await self._claim(wanted)
        self._busy = len(claimed) == wanted
        self._held.extend(claimed)
        self._renewed.update(row.id for row in claimed)
        self._start_held()
        if len(claimed) == wanted:
            return self.poll_seconds  # busy
        return 0.005 if claimed else 0.05  # nothing left that is due, or others took it: look again soon

    def _start_held(self) -> None:
        while self._held and len(self._running) < self.concurrency and not self._stopping:
            row = self._held.popleft()
            if JOBS.get(row.kind).transactional:
                self._renewed.discard(row.id)  # its transaction row-locks it while it runs
            task = asyncio.create_task(self._execute(row), name=f"job {row.id} {row.kind}")
            self._running[row.id] = task
            task.add_done_callback(lambda _t, job_id=row.id: self._finished(job_id))

    def _finished(self, job_id: int) -> None:
        self._running.pop(job_id, None)
        self._renewed.discard(job_id)
        self._start_held()
        if len(self._held) < self.concurrency and self._wake is not None:
            self._wake.set()  # running low: claim the next batch

    async def _next_due(self) -> datetime | None:
        async with self.engine.connect() as conn:
            query = select(func.min(jobs.c.run_at)).where(jobs.c.status == QUEUED, jobs.c.kind.in_(JOBS.keys()))
            return (await conn.execute(query)).scalar()

    async def _claim(self, limit: int) -> list:
        now = utcnow()
        due = (select(jobs.c.id).where(jobs.c.status == QUEUED, jobs.c.run_at <= now, jobs.c.kind.in_(JOBS.keys()))
               .order_by(jobs.c.run_at, jobs.c.id).limit(limit).with_for_update(skip_locked=True))
        claim = (update(jobs).where(jobs.c.id.in_(due.scalar_subquery()))
                 .values(status=RUNNING, locked_by=self.worker_id, locked_until=now + self.lease,
                         attempts=jobs.c.attempts + 1, started_at=now)
                 .returning(jobs.c.id, jobs.c.kind, jobs.c.payload, jobs.c.run_at, jobs.c.attempts,
                            jobs.c.max_attempts, jobs.c.series, jobs.c.cron))
        async with self.engine.begin() as conn:
            claimed = (await conn.execute(claim)).all()
            for row in claimed:
                if row.cron and row.series:  # the next slot of a recurring job, enqueued once whoever runs this
                    after = max(now, row.run_at)
                    await schedule(conn, row.series, row.kind, row.cron, row.payload, tz=self.settings.tz, after=after)
        return sorted(claimed, key=lambda r: (r.run_at, r.id))

    async def _execute(self, row) -> None:
        kind = JOBS.get(row.kind)
        ctx = dict(job_id=row.id, kind=row.kind, attempt=row.attempts, run_at=row.run_at, engine=self.engine,
                   settings=self.settings, http=self.http)
        payload = row.payload or {}
        try:
            if kind.transactional:
                await self._run_in_transaction(kind, row, ctx, payload)
            else:
                async with asyncio.timeout(kind.timeout):
                    await kind.run(JobContext(**ctx, conn=None), payload)
                await self._mark_done(row.id)
        except asyncio.CancelledError:
            raise  # stop() releases the lease
        except Exception as error:
            log.warning("job %s (%s) attempt %d failed: %s", row.id, row.kind, row.attempts, error,
                        exc_info=not isinstance(error, PermanentError))
            await self._record_failure(kind, row, error)

    async def _run_in_transaction(self, kind: JobKind, row, ctx: dict, payload: dict) -> None:
        """The "done" mark goes first: on PostgreSQL it row-locks the job, so no other worker can reclaim it while
        it runs, and a lost lease is seen before anything happens. A crash rolls both back."""
        async with self.engine.begin() as conn:
            if not await self._mark_done(row.id, conn):
                log.warning("job %s: lease lost before it ran; another worker has it", row.id)
                return
            async with asyncio.timeout(kind.timeout):
                await kind.run(JobContext(**ctx, conn=conn), payload)

    async def _mark_done(self, job_id: int, conn: AsyncConnection | None = None) -> bool:
        statement = (update(jobs).where(jobs.c.id == job_id, jobs.c.locked_by == self.worker_id,
                                        jobs.c.status == RUNNING)
                     .values(status=DONE, finished_at=utcnow(), locked_by=None, locked_until=None, last_error=None))
        if conn is not None:
            return (await conn.execute(statement)).rowcount == 1
        async with self.engine.begin() as own:
            done = (await own.execute(statement)).rowcount == 1
        if not done:
            log.warning("job %s finished after its lease ran out; it may have run twice", job_id)
        return done

    async def _record_failure(self, kind: JobKind, row, error: Exception) -> None:
        dead = isinstance(error, PermanentError) or row.attempts >= row.max_attempts
        now = utcnow()
        message = (f"{type(error).__name__}: {error}" if str(error) else type(error).__name__)[:ERROR_TEXT_LIMIT]
        values = dict(status=DEAD, finished_at=now) if dead else dict(
            status=QUEUED, run_at=now + timedelta(seconds=kind.backoff(row.attempts)))
        async with self.engine.begin() as conn:
            await conn.execute(update(jobs).where(jobs.c.id == row.id, jobs.c.locked_by == self.worker_id,
                                                  jobs.c.status == RUNNING)
                               .values(**values, last_error=message, locked_by=None, locked_until=None))

    async def _release(self, job_ids: list[int]) -> None:
        """Interrupted by a stop, not failed: back to the queue, the attempt not counted."""
        async with self.engine.begin() as conn:
            await conn.execute(update(jobs).where(jobs.c.id.in_(job_ids), jobs.c.locked_by == self.worker_id,
                                                  jobs.c.status == RUNNING)
                               .values(status=QUEUED, locked_by=None, locked_until=None,
                                       attempts=jobs.c.attempts - 1))

    async def _maintain(self) -> None:
        """Renew this runner's leases, take back jobs whose worker stopped renewing, and drop old finished jobs."""
        now = utcnow()
        async with self.engine.begin() as conn:
            if self._renewed:
                await conn.execute(update(jobs).where(jobs.c.id.in_(list(self._renewed)),
                                                      jobs.c.locked_by == self.worker_id)
                                   .values(locked_until=now + self.lease))
            expired = (select(jobs.c.id).where(jobs.c.status == RUNNING, jobs.c.locked_until < now)
                       .with_for_update(skip_locked=True))
            out_of_attempts = jobs.c.attempts >= jobs.c.max_attempts
            await conn.execute(
                update(jobs).where(jobs.c.id.in_(expired.scalar_subquery()))
                .values(status=case((out_of_attempts, DEAD), else_=QUEUED),
                        finished_at=case((out_of_attempts, now), else_=None),
                        last_error=f"the worker running it stopped (lease expired at {now:%Y-%m-%d %H:%M:%S} UTC)",
                        locked_by=None, locked_until=None))
            await conn.execute(delete(jobs).where(jobs.c.status == DONE, jobs.c.finished_at < now - self.keep_done))

    def _notified(self, *_args) -> None:
        self.wake()

    async def _listen(self) -> None:
        """PostgreSQL: LISTEN for enqueues committed by any process; polling stays the fallback."""
        if not self.is_postgresql:
            return
        try:
            self._listener = await self.engine.connect()
            raw = await self._listener.get_raw_connection()
            await raw.driver_connection.add_listener(NOTIFY_CHANNEL, self._notified)
        except Exception as error:
            log.warning("job runner %s cannot LISTEN (%s); polling every %.1fs", self.worker_id, error,
                        self.poll_seconds)
            if self._listener is not None:
                await self._listener.close()
                self._listener = None


# --- `nocode worker` -------------------------------------------------------------------------------------------

async def run_worker(settings: Settings, concurrency: int | None = None, grace: float = 30.0,
                     ready: Callable[[Runner], Any] | None = None) -> None:
    """Runs jobs until SIGINT or SIGTERM, then stops gracefully."""
    import runtime.app  # noqa: F401  every module that registers a job kind is reached from the app

    from runtime.db import create_engine

    engine = create_engine(settings.database_url)
    runner = Runner(engine, settings, concurrency=concurrency, role="worker")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await runner.start()
        if ready:
            ready(runner)
        await stop.wait()
        await runner.stop(grace)
    finally:
        await engine.dispose()


# --- built-in kinds ----------------------------------------------------------------------------------------------

RETRYABLE_STATUS = {408, 425, 429}


@job("http_request", max_attempts=8, timeout=60, transactional=False, backoff_base=10)
async def send_http_request(ctx: JobContext, payload: dict) -> None:
    """Outbound HTTP (webhooks, ERP sync): {"url", "method"="POST", "json"?, "headers"?, "timeout"=20}.
    A 2xx is done; 408/425/429/5xx and network errors are retried with backoff; another 4xx goes dead at once.
    The receiver gets `Idempotency-Key: job-<id>`, the same on every attempt, to drop a repeat."""
    headers = {**(payload.get("headers") or {}), "Idempotency-Key": ctx.idempotency_key}
    response = await ctx.http.request(payload.get("method", "POST"), payload["url"], json=payload.get("json"),
                                      headers=headers, timeout=payload.get("timeout", 20))
    if response.is_success:
        return
    detail = f"HTTP {response.status_code} from {payload['url']}: {response.text[:300]}"
    if response.status_code >= 500 or response.status_code in RETRYABLE_STATUS:
        raise RuntimeError(detail)
    raise PermanentError(detail)
