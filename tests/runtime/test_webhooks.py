"""Outbound webhooks end to end on SQLite and PostgreSQL, against a real local receiver: subscriptions managed by
administrators, signed deliveries for created / updated / deleted records, retries, the delivery log, redelivery,
pings, switching off after repeated dead deliveries — and writes that cost no extra query when nobody subscribed."""
from __future__ import annotations

import json
import threading
import time
from dataclasses import replace
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import event, insert, select, update

from engines.integration import verify
from runtime import webhooks as hooks
from runtime.models import apps, jobs, notifications, webhook_deliveries, webhooks
from runtime.webhooks import bump
from tests.runtime.apps import all_types_app, records_url
from tests.runtime.people import add_user, bearer, token_of
from tests.runtime.test_jobs import wait_until


class Receiver(BaseHTTPRequestHandler):
    seen: list = []
    answers: list = []  # statuses to answer in turn; 200 when none are left

    def do_POST(self):  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        type(self).seen.append((dict(self.headers), body))
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    Receiver.seen, Receiver.answers = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", Receiver
    server.shutdown()


async def run_jobs(api, settings, until, timeout=30):
    from runtime.jobs import Runner

    runner = Runner(api.platform.engine, replace(settings, jobs_poll_seconds=0.05))
    await runner.start()
    try:
        await wait_until(until, timeout=timeout)
    finally:
        await runner.stop()


async def subscribe(api, url, events, **extra):
    response = await api.client.post("/api/apps/shop/webhooks", json={"url": url, "events": events, **extra})
    assert response.status_code == 201, response.text
    return response.json()


async def deliveries(api, webhook_id, **params):
    response = await api.client.get(f"/api/apps/shop/webhooks/{webhook_id}/deliveries", params=params)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def create(api, form, values):
    response = await api.client.post(records_url(form), json=values)
    assert response.status_code == 201, response.text
    return response.json()


async def test_subscriptions_are_checked_and_their_secret_is_shown_once(api):
    await api.import_app(all_types_app())
    bad = await api.client.post("/api/apps/shop/webhooks", json={
        "url": "ftp://x.example/hook", "events": ["order.created", "order.shipped", "ghost.created"]})
    assert bad.status_code == 422
    assert {(d["path"], d["code"]) for d in bad.json()["error"]["details"]} == {
        ("/url", "bad_url"), ("/events/1", "bad_event"), ("/events/2", "unknown_form")}
    made = await subscribe(api, "https://erp.example/hook", ["order.created", "*"])
    assert made["secret"].startswith("whsec_") and made["active"] is True
    listed = (await api.client.get("/api/apps/shop/webhooks")).json()["items"]
    assert [w["id"] for w in listed] == [made["id"]] and "secret" not in listed[0]
    async with api.platform.engine.connect() as conn:
        stored = (await conn.execute(select(webhooks.c.secret))).scalar_one()
    assert made["secret"] not in stored  # sealed at rest
    changed = await api.client.patch(f"/api/apps/shop/webhooks/{made['id']}", json={"events": ["customer.*"],
                                                                                     "rotate_secret": True})
    assert changed.json()["events"] == ["customer.*"] and changed.json()["secret"] != made["secret"]

    await add_user(api, "clerk")
    clerk = bearer(await token_of(api, "clerk"))
    assert (await api.client.get("/api/apps/shop/webhooks", headers=clerk)).status_code == 403
    assert (await api.client.delete(f"/api/apps/shop/webhooks/{made['id']}")).status_code == 204
    assert (await api.client.get(f"/api/apps/shop/webhooks/{made['id']}")).status_code == 404


async def test_record_events_are_delivered_signed_with_a_log(api, settings, receiver):
    url, server = receiver
    await api.import_app(all_types_app())
    hook = await subscribe(api, url, ["customer.*"])
    other = await subscribe(api, url + "/orders", ["order.deleted"])
    customer = await create(api, "customer", {"name": "张三", "phone": "13800000001"})
    changed = await api.client.patch(records_url("customer") + f"/{customer['id']}",
                                     json={"level": "VIP", "version": customer["version"]})
    assert changed.status_code == 200, changed.text
    assert (await api.client.delete(records_url("customer") + f"/{customer['id']}")).status_code == 204

    await run_jobs(api, settings, lambda: _count(server, 3))
    events = [json.loads(body) for _, body in server.seen]
    assert sorted(e["event"] for e in events) == ["customer.created", "customer.deleted", "customer.updated"]
    created = next(e for e in events if e["event"] == "customer.created")
    assert created["record"]["phone"] == "13800000001" and created["app"] == "shop"
    assert next(e for e in events if e["event"] == "customer.updated")["changed"] == ["level"]
    assert next(e for e in events if e["event"] == "customer.deleted")["record"]["name"] == "张三"
    for headers, body in server.seen:  # what a receiver checks, with the secret it was shown once
        assert verify(hook["secret"], body, headers["X-Nocode-Signature"], int(time.time()))
        assert not verify(other["secret"], body, headers["X-Nocode-Signature"], int(time.time()))
        assert not verify(hook["secret"], body + b" ", headers["X-Nocode-Signature"], int(time.time()))
    log = await deliveries(api, hook["id"])
    assert [d["status"] for d in log] == ["succeeded"] * 3 and all(d["response_status"] == 200 for d in log)
    assert await deliveries(api, other["id"]) == []


async def _count(server, n):
    return len(server.seen) >= n


async def test_a_failing_receiver_is_retried_then_redelivered_by_hand(api, settings, receiver):
    url, server = receiver
    await api.import_app(all_types_app())
    hook = await subscribe(api, url, ["product.created"])
    server.answers.extend([503, 400])  # busy (retried), then a refusal (dead at once)
    await create(api, "product", {"name": "苹果", "price": 5})

    async def settled():
        await _bring_retries_forward(api)
        return [d for d in await deliveries(api, hook["id"]) if d["status"] == "dead"]

    await run_jobs(api, settings, settled)
    [dead] = await deliveries(api, hook["id"])
    assert dead["attempts"] == 2 and dead["response_status"] == 400
    again = await api.client.post(f"/api/apps/shop/webhooks/{hook['id']}/deliveries/{dead['id']}/redeliver")
    assert again.status_code == 202 and again.json()["redelivery_of"] == dead["id"]
    ping = await api.client.post(f"/api/apps/shop/webhooks/{hook['id']}/ping")
    assert ping.status_code == 202

    async def both():
        return len([d for d in await deliveries(api, hook["id"], status="succeeded")]) == 2
    await run_jobs(api, settings, both)
    later = {json.loads(body)["event"]: json.loads(body) for _, body in server.seen[2:]}
    assert set(later) == {"product.created", "ping"}
    assert later["product.created"]["id"] == json.loads(server.seen[0][1])["id"]  # a redelivery keeps the event id


async def _bring_retries_forward(api):
    async with api.platform.engine.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.kind == hooks.DELIVERY_JOB, jobs.c.status == "queued")
                           .values(run_at=datetime.now(timezone.utc).replace(tzinfo=None)))


async def test_repeated_dead_deliveries_switch_the_subscription_off(api, settings, receiver, monkeypatch):
    monkeypatch.setattr(hooks, "DISABLE_AFTER", 3)
    url, server = receiver
    await api.import_app(all_types_app())
    hook = await subscribe(api, url, ["product.created"])
    server.answers.extend([410] * 3)
    for n in range(3):
        await create(api, "product", {"name": f"P{n}"})

    async def off():
        return not (await api.client.get(f"/api/apps/shop/webhooks/{hook['id']}")).json()["active"]
    await run_jobs(api, settings, off)
    state = (await api.client.get(f"/api/apps/shop/webhooks/{hook['id']}")).json()
    assert state["disabled_reason"] == "failures" and state["failures"] == 3
    async with api.platform.engine.connect() as conn:
        told = (await conn.execute(select(notifications.c.user_id, notifications.c.reason))).all()
    assert (api.user_id, "webhook_disabled") in told
    await create(api, "product", {"name": "after"})
    assert len(await deliveries(api, hook["id"])) == 3  # no delivery while it is off
    enabled = await api.client.patch(f"/api/apps/shop/webhooks/{hook['id']}", json={"active": True})
    assert enabled.json()["failures"] == 0 and enabled.json()["disabled_reason"] is None
    await create(api, "product", {"name": "again"})
    assert len(await deliveries(api, hook["id"])) == 4


class Statements:
    """SQL statements the app's engine runs, by text."""

    def __init__(self, engine):
        self.texts: list[str] = []
        self.engine = engine.sync_engine

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        self.texts.append(statement)


async def _write_statements(api, form="product") -> list[str]:
    with Statements(api.platform.engine) as seen:
        await create(api, form, {"name": "x"})
    return seen.texts


async def test_apps_without_matching_webhooks_pay_no_extra_query(api, receiver):
    url, _ = receiver
    await api.import_app(all_types_app())
    await _write_statements(api)  # caches warm
    plain = await _write_statements(api)
    mentioning = [s for s in plain if "webhook" in s.lower()]
    assert len(mentioning) == 1 and "app_data_versions" in mentioning[0]  # the counter rides on the data version

    await subscribe(api, url, ["customer.created"])  # another form's event
    await _write_statements(api)  # the counter moved: this process re-reads the subscriptions once
    assert len(await _write_statements(api)) == len(plain)

    await subscribe(api, url, ["product.created"])
    await _write_statements(api)
    with_hook = await _write_statements(api)
    assert len(with_hook) > len(plain)
    assert any("webhook_deliveries" in s for s in with_hook)


async def test_a_subscription_made_by_another_process_is_seen_at_the_next_write(api, receiver):
    url, _ = receiver
    await api.import_app(all_types_app())
    await _write_statements(api)
    async with api.platform.begin() as conn:  # as another server process would: a row and the counter moved
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "shop"))).scalar_one()
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        await conn.execute(insert(webhooks).values(app_id=app_id, url=url, events=["product.created"], secret="s1:",
                                                   active=True, failures=0, created_at=now, updated_at=now))
        await bump(conn, app_id)
    await create(api, "product", {"name": "seen"})
    async with api.platform.engine.connect() as conn:
        assert (await conn.execute(select(webhook_deliveries.c.event))).scalars().all() == ["product.created"]
