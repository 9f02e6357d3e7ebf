"""Health for load balancers and monitors (GET /api/health, public) and Prometheus metrics (GET /metrics, for a
token or the allowed networks only)."""
from __future__ import annotations

import hmac
import ipaddress
import time
from importlib.metadata import PackageNotFoundError, version

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from engines.problems import MESSAGES
from runtime.deps import PlatformDep, client_ip
from runtime.errors import ApiError
from runtime.migrate import current_revision
from runtime.observability import CONTENT_TYPE_LATEST, live_workers, render_metrics

MESSAGES.update({
    "metrics_forbidden": ("指标仅对本机、允许的网段或持有令牌者开放",
                          "metrics are only served to this host, the allowed networks or with the metrics token"),
})

router = APIRouter(tags=["operations"])


def code_version() -> str:
    try:
        return version("nocode")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


@router.get("/api/health", summary="Health of this server, its database and the job workers")
async def health(platform: PlatformDep) -> JSONResponse:
    """`status` is `ok`; `degraded` (still 200) when migrations are pending or no job runner has sent a heartbeat in
    the last 30 s, so timers and webhooks wait; `down` (503) when the database cannot be reached."""
    body: dict = {"status": "ok", "version": code_version(), "database": "ok",
                  "database_kind": platform.engine.dialect.name}
    try:
        started = time.perf_counter()
        current, head = await current_revision(platform.engine)
        body.update(database_ms=round((time.perf_counter() - started) * 1000, 1), revision=current, head=head)
        workers = []
        if current != head:
            body["database"] = f"migrations pending ({current} → {head})"
        else:
            async with platform.engine.connect() as conn:
                workers = await live_workers(conn)
    except Exception as e:  # health must answer even when the database does not
        body.update(status="down", database=f"unreachable: {type(e).__name__}")
        return JSONResponse(body, status_code=503)
    body["workers"] = {"live": len(workers), "serve": sum(w.role == "serve" for w in workers),
                       "worker": sum(w.role == "worker" for w in workers),
                       "running_jobs": sum(w.running for w in workers)}
    if body["database"] != "ok" or not workers:
        body["status"] = "degraded"
    return JSONResponse(body)


def _allowed(request: Request, settings) -> bool:
    if settings.metrics_token:
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), settings.metrics_token):
            return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network) for network in settings.metrics_allow)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, platform: PlatformDep) -> Response:
    if not _allowed(request, platform.settings):
        raise ApiError(403, "metrics_forbidden")
    return Response(await render_metrics(platform.engine, code_version()), media_type=CONTENT_TYPE_LATEST)
