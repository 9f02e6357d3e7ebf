"""Connectors end to end on SQLite and PostgreSQL against a fake ERP (a real HTTP server on 127.0.0.1): the secret
store, checks at publish, orders pushed exactly once through retries and a repeated attempt (idempotency keys), stock
pulled on a schedule and written through the validated path (a bad value refused and logged), customer master data
coming in signed, and the rate limit."""
from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from dataclasses import replace
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from engines.integration import apply_preset
from runtime.connectors import CALL_JOB, call
from runtime.flows import SCHEDULE_JOB
from runtime.models import flow_instances, integration_log, jobs, platform_secrets
from tests.runtime.apps import records_url
from tests.runtime.people import add_user, bearer, token_of
from tests.runtime.test_jobs import wait_until

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates"


class FakeErp(BaseHTTPRequestHandler):
    """Orders (dropped when an Idempotency-Key repeats), stock, OAuth tokens; `fail` statuses answer first."""
    orders: dict = {}
    attempts: list = []
    tokens: int = 0
    fail: list = []
    stock: list = []
    calls: list = []

    def _send(self, status: int, answer) -> None:
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):  # noqa: N802
        me = type(self)
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        me.calls.append((time.monotonic(), self.path))
        if self.path == "/oauth/token":
            form = parse_qs(body.decode())
            if form.get("client_secret") != ["erp-client-secret"]:
                return self._send(401, {"error": "invalid_client"})
            me.tokens += 1
            return self._send(200, {"access_token": f"tok-{me.tokens}", "token_type": "bearer", "expires_in": 7200})
        if self.headers.get("Authorization") != f"Bearer tok-{me.tokens}":
            return self._send(401, {"error": "bad token"})
        key = self.headers.get("Idempotency-Key")
        me.attempts.append(key)
        if me.fail:
            return self._send(me.fail.pop(0), {"error": "busy"})
        if key in me.orders:
            return self._send(200, {"duplicate": True, "erp_no": me.orders[key]["erp_no"]})
        me.orders[key] = {**json.loads(body), "erp_no": f"SO{len(me.orders) + 1:04d}"}
        return self._send(201, {"erp_no": me.orders[key]["erp_no"]})

    def do_GET(self):  # noqa: N802
        me = type(self)
        me.calls.append((time.monotonic(), self.path))
        if urlsplit(self.path).path == "/stock":
            return self._send(200, {"code": 0, "items": me.stock})
        return self._send(404, {})

    def log_message(self, *args):
        pass


@pytest.fixture
def erp():
    FakeErp.orders, FakeErp.attempts, FakeErp.tokens, FakeErp.fail, FakeErp.stock, FakeErp.calls = \
        {}, [], 0, [], [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeErp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", FakeErp
    server.shutdown()


def shop(erp_url: str, **extra) -> dict:
    return {
        "format": "nocode.app/v1", "key": "shop", "name": "小店",
        "forms": [
            {"key": "customer", "name": "客户", "title_field": "name", "fields": [
                {"key": "code", "type": "text", "unique": True},
                {"key": "name", "type": "text", "required": True},
                {"key": "phone", "type": "phone"}]},
            {"key": "product", "name": "商品", "title_field": "name", "fields": [
                {"key": "sku", "type": "text", "unique": True, "required": True},
                {"key": "name", "type": "text"},
                {"key": "stock", "type": "number", "min": 0}]},
            {"key": "order", "name": "订单", "title_field": "no", "fields": [
                {"key": "no", "type": "text", "required": True},
                {"key": "customer", "type": "relation", "target": "customer"},
                {"key": "lines", "type": "subtable", "fields": [
                    {"key": "product", "type": "relation", "target": "product", "required": True},
                    {"key": "qty", "type": "number", "required": True},
                    {"key": "price", "type": "money"}]},
                {"key": "amount", "type": "money"}]}],
        "connectors": [
            {"key": "erp", "name": "ERP", "base_url": erp_url,
             "auth": {"type": "oauth2_client_credentials", "token_url": erp_url + "/oauth/token",
                      "client_id": "nocode", "secret": "erp_client"},
             "rate_limit": {"per_second": 20},
             "operations": {
                 "push_order": {"method": "POST", "path": "/orders", "form": "order",
                                "idempotency_key": "'order-' & no",
                                "body": {"order_no": "no", "customer.code": "customer.code",
                                         "customer.phone": "customer.phone", "amount": "amount",
                                         "lines": {"each": "lines", "map": {"sku": "product.sku", "qty": "qty",
                                                                            "price": "price"}}},
                                "response": {"erp_no": "$.erp_no"}},
                 "pull_stock": {"method": "GET", "path": "/stock", "query": {"warehouse": "'WH1'"},
                                "response": {"items": "COUNT(response.items)"},
                                "write": {"form": "product", "items": "$.items", "mode": "update", "match": "sku",
                                          "values": {"sku": "$.sku", "stock": "$.qty"}}}}},
            {"key": "erp_in", "name": "ERP 推送", "base_url": erp_url,
             "auth": {"type": "hmac", "secret": "erp_signing", "header": "X-Erp-Signature"},
             "operations": {
                 "customer_master": {"inbound": True, "write": {
                     "form": "customer", "items": "$.customers", "match": "code",
                     "values": {"code": "$.cust_code", "name": "$.cust_name", "phone": "mobile"}}}}}],
        "flows": [
            {"key": "push", "name": "订单推送 ERP", "trigger": {"type": "record_created", "form": "order"},
             "nodes": [{"id": "start", "type": "start"},
                       {"id": "call", "type": "http_request", "connector": "erp", "operation": "push_order"},
                       {"id": "end", "type": "end"}],
             "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "end"}]},
            {"key": "stock_sync", "name": "库存同步", "trigger": {"type": "schedule", "cron": "*/10 * * * *"},
             "variables": [{"key": "items", "type": "number"}],
             "nodes": [{"id": "start", "type": "start"},
                       {"id": "pull", "type": "http_request", "connector": "erp", "operation": "pull_stock",
                        "wait": True},
                       {"id": "end", "type": "end"}],
             "edges": [{"from": "start", "to": "pull"}, {"from": "pull", "to": "end", "outcome": "succeeded"},
                       {"from": "pull", "to": "end", "outcome": "failed"}]}],
        **extra}


async def set_secret(api, name, value):
    response = await api.client.put(f"/api/admin/secrets/{name}", json={"value": value})
    assert response.status_code == 204, response.text


async def create(api, form, values):
    response = await api.client.post(records_url(form), json=values)
    assert response.status_code == 201, response.text
    return response.json()


async def run_jobs(api, settings, until, timeout=30):
    from runtime.jobs import Runner

    runner = Runner(api.platform.engine, replace(settings, jobs_poll_seconds=0.05))
    await runner.start()
    try:
        await wait_until(until, timeout=timeout)
    finally:
        await runner.stop()


async def _due_now(api, kind):
    async with api.platform.engine.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.kind == kind, jobs.c.status == "queued")
                           .values(run_at=datetime.now(timezone.utc).replace(tzinfo=None)))


async def test_secrets_are_write_only_and_sealed(api):
    await set_secret(api, "erp_client", "erp-client-secret")
    await set_secret(api, "erp_client", "erp-client-secret-2")
    listed = (await api.client.get("/api/admin/secrets")).json()["items"]
    assert [s["name"] for s in listed] == ["erp_client"] and "value" not in listed[0]
    async with api.platform.engine.connect() as conn:
        stored = (await conn.execute(select(platform_secrets.c.value))).scalar_one()
    assert "erp-client-secret" not in stored
    bad = await api.client.put("/api/admin/secrets/Bad Name", json={"value": "x"})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["path"] == "/name"
    await add_user(api, "clerk")
    clerk = bearer(await token_of(api, "clerk"))
    assert (await api.client.get("/api/admin/secrets", headers=clerk)).status_code == 403
    assert (await api.client.delete("/api/admin/secrets/erp_client")).status_code == 204
    assert (await api.client.get("/api/admin/secrets")).json()["items"] == []


async def test_connectors_are_checked_at_publish_with_their_place(api):
    doc = shop("https://erp.example")
    doc["connectors"][0]["operations"]["pull_stock"]["write"]["values"]["ghost"] = "$.x"
    doc["connectors"][0]["operations"]["push_order"]["body"]["amount"] = "amount +"
    doc["connectors"][1]["auth"] = None
    doc["flows"][1]["variables"] = []
    doc["flows"][0]["nodes"][1]["operation"] = "push_orders"
    response = await api.client.post("/api/apps/import", json=doc)
    assert response.status_code == 422
    found = {(d["path"], d["code"]) for d in response.json()["error"]["details"]}
    assert {("/connectors/0/operations/pull_stock/write/values/ghost", "connector_field"),
            ("/connectors/0/operations/push_order/body/amount", "expr_syntax"),
            ("/connectors/1/operations/customer_master/inbound", "connector_inbound_auth"),
            ("/flows/0/nodes/1/operation", "unknown_operation"),
            ("/flows/1/nodes/1/operation", "connector_variable")} <= found, found


async def test_erp_sync_pushes_each_order_once_and_pulls_stock_through_the_form(api, settings, erp):
    url, server = erp
    await set_secret(api, "erp_client", "erp-client-secret")
    await api.import_app(shop(url))
    buyer = await create(api, "customer", {"code": "C001", "name": "张三", "phone": "13800000001"})
    apple = await create(api, "product", {"sku": "A1", "name": "苹果", "stock": 10})
    pear = await create(api, "product", {"sku": "B2", "name": "梨", "stock": 7})

    # order → ERP: the first attempt meets a 503, the retry lands; a repeated attempt is dropped by the ERP
    server.fail.append(503)
    await create(api, "order", {"no": "DD001", "customer": buyer["id"], "amount": 36.5, "lines": [
        {"product": apple["id"], "qty": 2, "price": 10.5}, {"product": pear["id"], "qty": 3, "price": 5}]})

    async def pushed():
        await _due_now(api, CALL_JOB)
        return server.orders
    await run_jobs(api, settings, pushed)
    async with api.platform.engine.begin() as conn:  # as after a worker died between the call and "done"
        await conn.execute(update(jobs).where(jobs.c.kind == CALL_JOB)
                           .values(status="queued", run_at=datetime(2000, 1, 1)))
    await run_jobs(api, settings, lambda: _attempts(server, 3))
    assert server.attempts == ["order-DD001"] * 3
    assert list(server.orders) == ["order-DD001"]  # one order in the ERP
    order = server.orders["order-DD001"]
    assert order["customer"] == {"code": "C001", "phone": "13800000001"} and order["amount"] == 36.5
    assert order["lines"] == [{"sku": "A1", "qty": 2, "price": 10.5}, {"sku": "B2", "qty": 3, "price": 5}]
    assert server.tokens == 1  # the token is kept until it expires

    # stock ← ERP on the schedule: A1 written through the form; B2's negative stock refused and logged
    server.stock = [{"sku": "A1", "qty": 42}, {"sku": "B2", "qty": -5}, {"sku": "ZZ", "qty": 1}]
    async with api.platform.engine.connect() as conn:
        [slot] = (await conn.execute(select(jobs.c.series).where(jobs.c.kind == SCHEDULE_JOB))).scalars().all()
    assert slot.endswith(":stock_sync")
    await _due_now(api, SCHEDULE_JOB)

    async def synced():
        async with api.platform.engine.connect() as conn:
            return (await conn.execute(select(flow_instances.c.status).where(
                flow_instances.c.flow == "stock_sync", flow_instances.c.status == "completed"))).first()
    await run_jobs(api, settings, synced)
    assert (await api.client.get(records_url("product") + f"/{apple['id']}")).json()["stock"] == 42
    assert (await api.client.get(records_url("product") + f"/{pear['id']}")).json()["stock"] == 7
    assert any(path == "/stock?warehouse=WH1" for _, path in server.calls)
    log = (await api.client.get("/api/apps/shop/connectors/erp/log")).json()["items"]
    refused = {entry["detail"]["item"]["sku"]: entry for entry in log if entry["code"] == "record_refused"}
    assert set(refused) == {"B2", "ZZ"}
    assert refused["B2"]["detail"]["problems"][0]["path"] == "/stock"
    assert refused["B2"]["detail"]["problems"][0]["code"] == "too_small"


async def _attempts(server, n):
    return len(server.attempts) >= n


def _signed(secret: str, body: bytes) -> dict:
    return {"X-Erp-Signature": hmac.new(secret.encode(), body, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


async def test_customer_master_data_comes_in_signed_and_validated(api, erp):
    url, _ = erp
    await set_secret(api, "erp_signing", "shh")
    await api.import_app(shop(url))
    hook = "/api/hooks/shop/connectors/erp_in/customer_master"
    body = json.dumps({"customers": [{"cust_code": "C9", "cust_name": "李四", "mobile": "139 0000 0009"},
                                     {"cust_code": "C8", "cust_name": "王五"}]}).encode()
    unsigned = await api.client.post(hook, content=body, headers={"Content-Type": "application/json",
                                                                  "Authorization": ""})
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "bad_signature"
    taken = await api.client.post(hook, content=body, headers={**_signed("shh", body), "Authorization": ""})
    assert taken.status_code == 200, taken.text
    assert taken.json() == {"written": 2, "refused": 0}
    again = json.dumps({"customers": [{"cust_code": "C9", "cust_name": "李四（改）", "mobile": "13900000009"}]})
    assert (await api.client.post(hook, content=again.encode(), headers=_signed("shh", again.encode()))).json()[
        "written"] == 1
    people = (await api.client.get(records_url("customer"), params={"sort": "code"})).json()["items"]
    assert [(p["code"], p["name"], p["phone"]) for p in people] == [("C8", "王五", None),
                                                                     ("C9", "李四（改）", "13900000009")]
    bad = json.dumps({"customers": [{"cust_code": "C7", "cust_name": "赵六"},
                                    {"cust_code": "C6", "cust_name": "钱七", "mobile": "12345"}]}).encode()
    refused = await api.client.post(hook, content=bad, headers=_signed("shh", bad))
    assert refused.status_code == 422
    assert [d["path"] for d in refused.json()["error"]["details"]] == ["/items/1/phone"]
    assert (await api.client.get(records_url("customer"))).json()["total"] == 2  # all or nothing
    async with api.platform.engine.connect() as conn:
        codes = (await conn.execute(select(integration_log.c.code).order_by(integration_log.c.id))).scalars().all()
    assert codes == ["bad_signature", "record_refused"]


async def test_call_keeps_to_the_rate_limit(api, settings, erp):
    """The function rules use: several calls in a row are spread over the connector's windows."""
    url, server = erp
    await set_secret(api, "erp_client", "erp-client-secret")
    doc = shop(url)
    doc["connectors"][0]["rate_limit"] = {"per_second": 2}
    await api.import_app(doc)
    server.stock = [{"sku": "none", "qty": 1}]
    async with api.platform.engine.connect() as conn:
        schema = await api.platform.schemas.get(conn, "shop")
    started = time.monotonic()
    for _ in range(5):
        result = await call(api.platform.engine, schema, "erp", "pull_stock", {}, settings=settings)
        assert result["ok"] and result["values"] == {"items": 1}
    assert time.monotonic() - started >= 1.0  # 5 calls at 2 a second span at least two window changes
    stock_calls = sorted(at for at, path in server.calls if path.startswith("/stock"))
    # Windows are whole seconds: calls two apart may sit either side of a boundary, but five calls at two a
    # window need three windows, so the first and the fifth are (all but) a full window apart.
    assert len(stock_calls) == 5 and stock_calls[4] - stock_calls[0] > 0.9


PRESETS = sorted((TEMPLATE_DIR / "connectors").glob("*.json"))


@pytest.mark.parametrize("path", PRESETS, ids=[p.stem for p in PRESETS])
async def test_each_preset_loads_into_the_scrm_app_and_publishes(api, path):
    preset = json.loads(path.read_text())
    assert preset["name"] and preset["description"] and preset["connectors"]
    doc = apply_preset(json.loads((TEMPLATE_DIR / "scrm_app.json").read_text()), preset)
    response = await api.client.post("/api/apps/import", json=doc)
    assert response.status_code == 201, response.text
    spec = (await api.client.get(f"/api/apps/{doc['key']}/openapi.json")).json()
    # the app's own inbound operations stay, except those of connectors the preset replaces
    inbound = [op for c in doc["connectors"] for op in c["operations"].values() if op.get("inbound")]
    assert len([p for p in spec["paths"] if p.startswith("/api/hooks/")]) == len(inbound)
    assert all(c in doc["connectors"] for c in preset["connectors"])
    secrets = {c["auth"]["secret"] for c in preset["connectors"] if c.get("auth")}
    assert secrets <= set(preset["secrets"])


async def test_a_wecom_callback_becomes_customer_events(api, monkeypatch):
    """The WeCom preset's XML callback mapped into events for the customer-event store."""
    import runtime.connectors as connectors

    taken = []

    async def ingest(conn, schema, channel, events):
        taken.append((channel, events))
        return {"accepted": len(events), "customers": [None] * len(events)}
    monkeypatch.setattr(connectors, "ingest_events", ingest)
    import runtime.routes.connectors as routes
    monkeypatch.setattr(routes, "ingest_events", ingest)
    preset = json.loads((TEMPLATE_DIR / "connectors" / "wecom_customer_contact.json").read_text())
    await api.import_app(apply_preset(json.loads((TEMPLATE_DIR / "scrm_app.json").read_text()), preset))
    await set_secret(api, "wecom_relay_token", "relay-123")
    xml = ("<xml><ToUserName><![CDATA[ww123]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName>"
           "<CreateTime>1403610513</CreateTime><MsgType><![CDATA[event]]></MsgType>"
           "<Event><![CDATA[change_external_contact]]></Event><ChangeType><![CDATA[add_external_contact]]></ChangeType>"
           "<UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[woAJ2GCAAAXtWyujaWJHDDGi0mACH71w]]>"
           "</ExternalUserID><State><![CDATA[leader_7]]></State>"
           "<WelcomeCode><![CDATA[WELCOMECODE]]></WelcomeCode></xml>")
    hook = "/api/hooks/scrm/connectors/wecom/contact_changed"
    assert (await api.client.post(hook, content=xml, headers={"Content-Type": "text/xml"})).status_code == 401
    response = await api.client.post(hook, content=xml, headers={"Content-Type": "text/xml",
                                                                 "X-Wecom-Relay-Token": "relay-123"})
    assert response.status_code == 200, response.text
    assert response.json() == {"events": 1, "accepted": 1, "customers": [None]}
    [(channel, [event])] = taken
    assert channel == "wecom" and event["type"] == "add_external_contact"
    assert event["identities"] == {"openid": "woAJ2GCAAAXtWyujaWJHDDGi0mACH71w"}
    assert event["occurred_at"] == "2014-06-24T11:48:33+00:00"
    assert event["id"] == "woAJ2GCAAAXtWyujaWJHDDGi0mACH71w:add_external_contact:1403610513"
    assert event["data"]["staff"] == "zhangsan" and event["data"]["state"] == "leader_7"
