"""What operators watch: structured (JSON) logs with one line per request, Prometheus metrics, and the heartbeats
job runners write so that /api/health and `nocode doctor` know which workers are alive.

Metrics of several `nocode serve --workers N` processes are summed through prometheus_client's multiprocess
mode (`nocode serve` points PROMETHEUS_MULTIPROC_DIR at a fresh directory when N > 1).
"""
from __future__ import annotations

import json
import logging
import os
import re
import socket
import sys
import time
import traceback
import uuid
from contextvars import ContextVar
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client import REGISTRY
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from runtime.models import worker_heartbeats
from runtime.settings import Settings

__all__ = ["CONTENT_TYPE_LATEST", "Heartbeat", "RequestObserver", "configure_logging", "live_workers",
           "render_metrics", "safe_url", "uvicorn_log_config"]

log = logging.getLogger("nocode.requests")

HEARTBEAT_SECONDS = 5.0
LIVE_SECONDS = 30.0  # a runner whose last beat is older is counted as gone
request_id: ContextVar[str] = ContextVar("request_id", default="")
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
# Fields a log line may carry beyond the message; anything else passed in `extra` is left out of JSON lines.
LOG_FIELDS = ("request_id", "method", "path", "route", "status", "duration_ms", "user_id", "client", "worker_id")


def safe_url(url: str) -> str:
    """A database URL fit for logs and screens: the password is masked."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL at all: show nothing of it rather than a secret
        return "<unparsable database URL>"


# --- logs ----------------------------------------------------------------------------------------------------

class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the request fields, and the traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage(),
        }
        current = request_id.get()
        if current:
            entry["request_id"] = current
        for name in LOG_FIELDS:
            value = record.__dict__.get(name)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["error"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self):
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        current = request_id.get()
        return f"{text} [{current}]" if current and current not in text else text


def log_format(settings: Settings) -> str:
    """`auto`: JSON when stderr is not a terminal and systemd started us (it sets INVOCATION_ID), text otherwise."""
    if settings.log_format != "auto":
        return settings.log_format
    under_systemd = "INVOCATION_ID" in os.environ or "JOURNAL_STREAM" in os.environ
    return "json" if under_systemd and not sys.stderr.isatty() else "text"


def _formatter_path(settings: Settings) -> str:
    return f"{__name__}.{'JsonFormatter' if log_format(settings) == 'json' else 'TextFormatter'}"


def uvicorn_log_config(settings: Settings) -> dict:
    """logging.dictConfig for `nocode serve`: uvicorn's own loggers and ours through one formatter; uvicorn's
    access log is off because RequestObserver writes a richer line per request."""
    level = settings.log_level.upper()
    return {
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"default": {"()": _formatter_path(settings)}},
        "handlers": {"default": {"class": "logging.StreamHandler", "formatter": "default",
                                 "stream": "ext://sys.stderr"}},
        "loggers": {"uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
                    "uvicorn.error": {"level": level},
                    "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
                    # /api/health reads the schema revision; Alembic would announce that on every call
                    "alembic": {"level": "WARNING"}},
        "root": {"handlers": ["default"], "level": level},
    }


def configure_logging(settings: Settings) -> None:
    """The same set-up for commands that run without uvicorn (`nocode worker`)."""
    import logging.config

    logging.config.dictConfig(uvicorn_log_config(settings))


# --- requests: one log line and the HTTP metrics each ------------------------------------------------------------

HTTP_REQUESTS = Counter("nocode_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_SECONDS = Histogram("nocode_http_request_duration_seconds", "Time to answer an HTTP request", ["method", "route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))


class RequestObserver:
    """ASGI wrapper around the whole application: gives each request an id (X-Request-ID, taken from the client or
    nginx when it looks like one), logs method, path, route, status, duration and user, and counts it by route
    template so that /records/17 and /records/18 are one series. Query strings are never logged: signed file
    links carry their signature there."""

    def __init__(self, app, settings: Settings):
        self.app, self.settings = app, settings
        self.state = app.state  # tests and the CLI reach the platform through app.state

    def __getattr__(self, name):
        return getattr(self.app, name)

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope.get("headers") or [])
        given = headers.get(b"x-request-id", b"").decode("latin-1")
        rid = given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:16]
        token = request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []), (b"x-request-id", rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            duration = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None) or "<unmatched>"
            HTTP_REQUESTS.labels(scope["method"], route, str(status)).inc()
            HTTP_SECONDS.labels(scope["method"], route).observe(duration)
            client = scope.get("client")
            log.info("%s %s %d %.1fms", scope["method"], scope["path"], status, duration * 1000, extra={
                "request_id": rid, "method": scope["method"], "path": scope["path"], "route": route, "status": status,
                "duration_ms": round(duration * 1000, 2), "user_id": self._user_id(headers),
                "client": client[0] if client else None})
            request_id.reset(token)

    def _user_id(self, headers: dict) -> int | None:
        """Who the bearer token says (its signature checked; the session itself is the route's business)."""
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer" or not token:
            return None
        from runtime.auth import token_claims  # (runtime.auth reaches the job runner, which imports this module)

        try:
            return int(token_claims(token.strip(), self.settings.secret_key)["sub"])
        except (jwt.PyJWTError, KeyError, ValueError, TypeError):
            return None


# --- worker heartbeats -------------------------------------------------------------------------------------------

def _utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


class Heartbeat:
    """A job runner's row in `worker_heartbeats`, written at most every HEARTBEAT_SECONDS. A failing write is
    logged once and never stops the runner: running jobs matters more than being seen."""

    def __init__(self, engine: AsyncEngine, worker_id: str, role: str, concurrency: int):
        self.engine, self.worker_id, self.role, self.concurrency = engine, worker_id, role, concurrency
        self.started_at = _utcnow()
        self._last = 0.0
        self._failing = False

    async def beat(self, running: int) -> None:
        if time.monotonic() - self._last < HEARTBEAT_SECONDS:
            return
        now = _utcnow()
        values = dict(worker_id=self.worker_id, role=self.role, hostname=socket.gethostname()[:255], pid=os.getpid(),
                      concurrency=self.concurrency, running=running, started_at=self.started_at, seen_at=now)
        try:
            async with self.engine.begin() as conn:
                dialect_insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
                statement = dialect_insert(worker_heartbeats).values(**values)
                await conn.execute(statement.on_conflict_do_update(
                    index_elements=["worker_id"], set_=dict(running=running, seen_at=now)))
                # rows of runners that died without a goodbye, kept a day for `nocode doctor` to mention
                await conn.execute(delete(worker_heartbeats).where(
                    worker_heartbeats.c.seen_at < now - timedelta(days=1)))
            self._last, self._failing = time.monotonic(), False
        except Exception as error:
            if not self._failing:
                log.warning("worker %s cannot write its heartbeat: %s", self.worker_id, error)
            self._failing = True

    async def stop(self) -> None:
        """A clean stop says goodbye at once instead of fading out after LIVE_SECONDS."""
        try:
            async with self.engine.begin() as conn:
                await conn.execute(delete(worker_heartbeats).where(worker_heartbeats.c.worker_id == self.worker_id))
        except Exception as error:
            log.warning("worker %s cannot remove its heartbeat: %s", self.worker_id, error)


async def live_workers(conn: AsyncConnection) -> list:
    """Runners seen in the last LIVE_SECONDS, newest first."""
    since = _utcnow() - timedelta(seconds=LIVE_SECONDS)
    query = (select(worker_heartbeats).where(worker_heartbeats.c.seen_at >= since)
             .order_by(worker_heartbeats.c.seen_at.desc()))
    return (await conn.execute(query)).all()


# --- /metrics ----------------------------------------------------------------------------------------------------

def _process_registry():
    """Counters and histograms of every API process when they share a multiprocess directory, else this one's
    (with the standard process and Python collectors)."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=directory)
    return registry


class _Snapshot:
    """Gauges read from the database at scrape time: one source of truth for every process."""

    def __init__(self, families: list):
        self.families = families

    def collect(self):
        return self.families


async def _database_gauges(engine: AsyncEngine, version: str) -> list:
    from runtime.jobs import QUEUED, jobs
    from runtime.migrate import current_revision

    revision, _head = await current_revision(engine)
    info = GaugeMetricFamily("nocode_build_info", "Version of the running code and of the database schema",
                             labels=["version", "revision"])
    info.add_metric([version, revision or ""], 1)
    job_counts = GaugeMetricFamily("nocode_jobs", "Jobs in the queue table by kind and status",
                                   labels=["kind", "status"])
    depth = GaugeMetricFamily("nocode_jobs_queue_depth", "Queued jobs that are due now")
    lag = GaugeMetricFamily("nocode_jobs_oldest_due_seconds", "How long the oldest due job has waited")
    workers = GaugeMetricFamily("nocode_workers_live", "Job runners with a heartbeat in the last 30 s", labels=["role"])
    now = _utcnow()
    async with engine.connect() as conn:
        for kind, status, count in await conn.execute(
                select(jobs.c.kind, jobs.c.status, func.count()).group_by(jobs.c.kind, jobs.c.status)):
            job_counts.add_metric([kind, status], count)
        due, oldest = (await conn.execute(select(func.count(), func.min(jobs.c.run_at)).where(
            jobs.c.status == QUEUED, jobs.c.run_at <= now))).one()
        depth.add_metric([], due)
        lag.add_metric([], (now - oldest).total_seconds() if oldest else 0)
        roles: dict[str, int] = {}
        for row in await live_workers(conn):
            roles[row.role] = roles.get(row.role, 0) + 1
        for role in ("serve", "worker"):
            workers.add_metric([role], roles.get(role, 0))
    return [info, job_counts, depth, lag, workers]


def _pool_gauges(engine: AsyncEngine) -> list:
    """The connection pool of the process answering the scrape (SQLite's pool has no size to report)."""
    pool = engine.sync_engine.pool
    families = []
    for name, help_text, read in (("size", "Connections the pool keeps", "size"),
                                  ("checked_out", "Connections in use now", "checkedout"),
                                  ("overflow", "Connections beyond the pool size now", "overflow")):
        if hasattr(pool, read):
            family = GaugeMetricFamily(f"nocode_db_pool_{name}", help_text, labels=["pid"])
            family.add_metric([str(os.getpid())], max(0, getattr(pool, read)()))  # overflow counts up from -size
            families.append(family)
    return families


async def render_metrics(engine: AsyncEngine, version: str) -> bytes:
    snapshot = CollectorRegistry()
    snapshot.register(_Snapshot(await _database_gauges(engine, version) + _pool_gauges(engine)))
    return generate_latest(_process_registry()) + generate_latest(snapshot)
