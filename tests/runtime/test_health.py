"""What monitoring sees: /api/health with the database and the live job runners, /metrics for the allowed only,
one JSON log line per request with its id and user, and `nocode doctor`'s verdicts."""
from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace

import httpx

from runtime.app import create_app
from runtime.db import create_engine
from runtime.doctor import FAIL, OK, diagnose
from runtime.jobs import Runner, enqueue
from runtime.migrate import head_revision, upgrade
from runtime.observability import JsonFormatter


async def test_health_names_the_database_and_counts_the_live_workers(api, settings):
    api.client.headers.pop("Authorization")
    body = (await api.client.get("/api/health")).json()
    assert body["status"] == "degraded"  # the API is up, but nothing would run timers and webhooks
    assert body["database"] == "ok" and body["revision"] == body["head"] == head_revision()
    assert body["workers"] == {"live": 0, "serve": 0, "worker": 0, "running_jobs": 0}

    serve = Runner(api.platform.engine, settings)
    worker = Runner(api.platform.engine, settings, role="worker", concurrency=2)
    await serve.start()
    await worker.start()
    try:
        for _ in range(50):
            body = (await api.client.get("/api/health")).json()
            if body["workers"]["live"] == 2:
                break
            await asyncio.sleep(0.05)
        assert body["status"] == "ok" and body["workers"] == {"live": 2, "serve": 1, "worker": 1, "running_jobs": 0}
        assert body["database_kind"] == api.platform.engine.dialect.name
    finally:
        await worker.stop()
    body = (await api.client.get("/api/health")).json()
    assert body["workers"]["live"] == 1  # a worker that stops cleanly is gone at once, not after 30 s
    await serve.stop()


async def test_health_says_when_migrations_are_pending_or_the_database_is_down(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    await upgrade(engine, "0012")
    await engine.dispose()
    for database_url, status, code, database in (
            (url, "degraded", 200, f"migrations pending (0012 → {head_revision()})"),
            ("postgresql+asyncpg://nobody@127.0.0.1:1/none", "down", 503, "unreachable: ConnectionRefusedError")):
        app = create_app(replace(_settings(tmp_path), database_url=database_url))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            response = await client.get("/api/health")
        assert (response.status_code, response.json()["status"]) == (code, status)
        assert response.json()["database"] == database
        await app.state.platform.engine.dispose()


def _settings(tmp_path):
    from runtime.settings import Settings

    return Settings(data_dir=tmp_path / "data", secret_key="s" * 40, frontend_dir=tmp_path / "none")


async def test_metrics_count_requests_by_route_and_jobs_by_kind_for_allowed_callers_only(api, settings):
    await api.client.get("/api/apps/nope/forms/x/records/17")
    await api.client.get("/api/apps/nope/forms/x/records/18")
    async with api.platform.begin() as conn:
        await enqueue(conn, "http_request", {"url": "http://127.0.0.1:9/hook"})
    local = (await api.client.get("/metrics")).text
    route = '{method="GET",route="/api/apps/{app}/forms/{form}/records/{record_id}",status="404"}'
    assert f"nocode_http_requests_total{route}" in local
    assert 'nocode_jobs{kind="http_request",status="queued"} 1.0' in local
    assert "nocode_jobs_queue_depth 1.0" in local and f'revision="{head_revision()}"' in local

    outside = httpx.ASGITransport(app=api.app, client=("203.0.113.7", 4321))
    async with httpx.AsyncClient(transport=outside, base_url="http://t") as client:
        refused = await client.get("/metrics")
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "metrics_forbidden"
        api.platform.settings = replace(settings, metrics_token="scrape-me-" + "x" * 20)
        assert (await client.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 403
        allowed = await client.get("/metrics", headers={"Authorization": "Bearer scrape-me-" + "x" * 20})
        assert allowed.status_code == 200 and allowed.headers["content-type"].startswith("text/plain")


async def test_each_request_is_one_json_line_with_its_id_and_user_and_no_secrets(api, caplog):
    caplog.set_level(logging.INFO, logger="nocode.requests")
    api.client.headers.pop("Authorization")
    login = await api.client.post("/api/auth/login", json={"username": "admin", "password": "admin-password"})
    api.client.headers["Authorization"] = "Bearer " + login.json()["access_token"]
    given = await api.client.get("/api/me", headers={"X-Request-ID": "edge-42"})
    assert given.headers["x-request-id"] == "edge-42"
    made = await api.client.get("/api/me", headers={"X-Request-ID": "bad id with spaces"})
    assert made.headers["x-request-id"] != "bad id with spaces" and len(made.headers["x-request-id"]) == 16
    lines = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.name == "nocode.requests"]
    login_line, me_line, _ = lines
    assert login_line["path"] == "/api/auth/login" and login_line["status"] == 200 and "user_id" not in login_line
    assert me_line == {**me_line, "level": "info", "method": "GET", "path": "/api/me", "route": "/api/me",
                       "status": 200, "user_id": api.user_id, "request_id": "edge-42"}
    assert me_line["duration_ms"] >= 0
    text = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    assert "admin-password" not in text and login.json()["access_token"] not in text


async def test_doctor_fails_without_workers_and_passes_with_one(settings):
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    checks = {c.name: c for c in await diagnose(settings)}
    assert checks["database"].status == OK and checks["migrations"].status == OK
    assert checks["workers"].status == FAIL and "nocode worker" in checks["workers"].detail
    engine = create_engine(settings.database_url)
    runner = Runner(engine, settings, role="worker")
    await runner.start()
    try:
        for _ in range(50):  # the first heartbeat is written as the runner's loop starts
            checks = {c.name: c for c in await diagnose(settings)}
            if checks["workers"].status == OK:
                break
            await asyncio.sleep(0.1)
        assert checks["workers"].status == OK and "worker " + runner.worker_id in checks["workers"].detail
    finally:
        await runner.stop()
        await engine.dispose()


async def test_doctor_names_an_unreachable_database_and_pending_migrations(tmp_path):
    settings = replace(_settings(tmp_path), database_url=f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    engine = create_engine(settings.database_url)
    await upgrade(engine, "0012")
    await engine.dispose()
    checks = {c.name: c for c in await diagnose(settings)}
    assert checks["migrations"].status == FAIL and "run `nocode upgrade`" in checks["migrations"].detail
    assert checks["data dir"].status == FAIL  # never made
    unreachable = replace(settings, database_url="postgresql+asyncpg://u:pw@127.0.0.1:1/x")
    down = {c.name: c for c in await diagnose(unreachable)}
    assert down["database"].status == FAIL and "u:***@127.0.0.1:1/x" in down["database"].detail
    assert "pw" not in down["database"].detail.replace("postgresql", "")
