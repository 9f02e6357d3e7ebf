"""The flow nodes that reach beyond one record, end to end on SQLite and PostgreSQL: querying and aggregating
records, sub-flows (waited on, ending at once or later), the inbound webhook's own answer, an HTTP call whose
answer the flow waits for (a real local server), a printed document attached to the record, date triggers
(birthdays), round-robin assignment, and a write the flow makes that the form refuses."""
from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import insert, select, update

from runtime.flows import SCHEDULE_JOB, arm_schedules, run_schedule
from runtime.models import apps, flow_history, flow_instances, jobs, notifications, user_roles
from tests.runtime.apps import records_url
from tests.runtime.people import add_user, bearer, token_of
from tests.runtime.test_jobs import wait_until

SHOP = {
    "format": "nocode.app/v1", "key": "shop", "name": "小店",
    "forms": [
        {"key": "customer", "name": "客户", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "required": True},
            {"key": "birthday", "type": "date"},
            {"key": "level", "type": "select", "options": ["new", "normal", "vip"], "default": "new"},
            {"key": "spent", "type": "money"},
            {"key": "big_orders", "type": "number"},
            {"key": "greeted", "type": "number", "default": 0}]},
        {"key": "order", "name": "订单", "title_field": "no", "fields": [
            {"key": "no", "type": "text", "required": True},
            {"key": "customer", "type": "relation", "target": "customer"},
            {"key": "amount", "type": "money", "max": 10000},
            {"key": "status", "type": "select", "options": ["new", "approved", "rejected", "synced", "failed"],
             "default": "new"},
            {"key": "reply", "type": "long_text"},
            {"key": "receipt", "type": "attachment"}]},
        {"key": "lead", "name": "线索", "title_field": "name", "fields": [
            {"key": "name", "type": "text", "required": True}]},
    ],
    "roles": [{"key": "sales", "name": "销售"}, {"key": "manager", "name": "主管"}],
    "flows": [],
}


def shop(*flows) -> dict:
    return {**SHOP, "flows": list(flows)}


def chain_flow(key: str, trigger: dict, nodes: list[dict], **extra) -> dict:
    ids = ["start", *[n["id"] for n in nodes], "end"]
    return {"key": key, "name": key, "trigger": trigger,
            "nodes": [{"id": "start", "type": "start"}, *nodes, {"id": "end", "type": "end"}],
            "edges": [{"from": a, "to": b} for a, b in zip(ids, ids[1:])], **extra}


async def create(api, form: str, values: dict) -> int:
    response = await api.client.post(records_url(form), json=values)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def get(api, form: str, record_id: int) -> dict:
    response = await api.client.get(f"{records_url(form)}/{record_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def trigger(api, form: str, record_id: int, flow: str) -> dict:
    response = await api.client.post(f"{records_url(form)}/{record_id}/trigger/{flow}")
    assert response.status_code == 201, response.text
    return response.json()


async def instance(api, instance_id: int) -> dict:
    response = await api.client.get(f"/api/flow-instances/{instance_id}")
    assert response.status_code == 200, response.text
    return response.json()


async def app_id_of(api) -> int:
    async with api.platform.engine.connect() as conn:
        return (await conn.execute(select(apps.c.id).where(apps.c.key == "shop"))).scalar_one()


async def give_role(api, name: str, role: str) -> tuple[int, dict]:
    user_id = await add_user(api, name)
    app_id = await app_id_of(api)
    async with api.platform.engine.begin() as conn:
        await conn.execute(insert(user_roles).values(user_id=user_id, app_id=app_id, role=role))
    return user_id, bearer(await token_of(api, name))


SUMMARY = chain_flow("summarise", {"type": "manual", "form": "customer"}, [
    {"id": "orders", "type": "query_records", "form": "order", "match": {"customer": "id"}, "into": "orders",
     "sort": "amount", "desc": True},
    {"id": "total", "type": "aggregate", "form": "order", "agg": "sum", "field": "amount",
     "match": {"customer": "id"}, "filter": "status != 'rejected'", "into": "total"},
    {"id": "big", "type": "aggregate", "form": "order", "agg": "count", "match": {"customer": "id"},
     "filter": "amount > 100", "into": "big"},
    {"id": "save", "type": "update_record",
     "set": {"spent": "total", "big_orders": "big", "level": "IF(total > 500, 'vip', 'normal')"}},
], variables=[{"key": "orders", "type": "records", "form": "order"}, {"key": "total", "type": "number"},
              {"key": "big", "type": "number"}])


async def test_query_and_aggregate_nodes_read_records_with_one_query_each(api):
    await api.import_app(shop(SUMMARY))
    ann = await create(api, "customer", {"name": "Ann"})
    bob = await create(api, "customer", {"name": "Bob"})
    for no, who, amount, status in (("A1", ann, 300, "new"), ("A2", ann, 250, "approved"), ("A3", ann, 90, "new"),
                                    ("A4", ann, 999, "rejected"), ("B1", bob, 40, "new")):
        await create(api, "order", {"no": no, "customer": who, "amount": amount, "status": status})
    started = await trigger(api, "customer", ann, "summarise")
    assert started["status"] == "completed", started["history"]
    assert [o["no"] for o in started["variables"]["orders"]] == ["A4", "A1", "A2", "A3"]  # by amount, largest first
    assert started["variables"]["total"] == 640 and started["variables"]["big"] == 3
    saved = await get(api, "customer", ann)
    assert (saved["spent"], saved["big_orders"], saved["level"]) == (640, 3, "vip")
    assert (await trigger(api, "customer", bob, "summarise"))["variables"]["total"] == 40
    assert (await get(api, "customer", bob))["level"] == "normal"


CHILD = chain_flow("child_review", {"type": "manual", "form": "order"}, [
    {"id": "check", "type": "approval", "assignees": {"role": "manager"}},
    {"id": "note", "type": "set_variable", "set": {"verdict": "'checked by manager'"}},
], variables=[{"key": "verdict", "type": "text"}, {"key": "limit", "type": "number"}])
QUICK = chain_flow("quick_mark", {"type": "manual", "form": "order"}, [
    {"id": "mark", "type": "update_record", "set": {"reply": "'quick'"}}])
PARENT = {
    "key": "review", "name": "订单复核", "trigger": {"type": "record_created", "form": "order"},
    "variables": [{"key": "verdict", "type": "text"}],
    "nodes": [{"id": "start", "type": "start"},
              {"id": "quick", "type": "subflow", "flow": "quick_mark"},
              {"id": "child", "type": "subflow", "flow": "child_review", "inputs": {"limit": "amount"}},
              {"id": "yes", "type": "update_record", "set": {"status": "'approved'"}},
              {"id": "no", "type": "update_record", "set": {"status": "'rejected'"}},
              {"id": "end", "type": "end"}],
    "edges": [{"from": "start", "to": "quick"}, {"from": "quick", "to": "child"},
              {"from": "child", "to": "yes", "outcome": "completed"}, {"from": "child", "to": "no", "outcome": "rejected"},
              {"from": "yes", "to": "end"}, {"from": "no", "to": "end"}],
}


async def test_a_parent_waits_for_its_subflows_whether_they_end_at_once_or_days_later(api):
    await api.import_app(shop(PARENT, CHILD, QUICK))
    manager, headers = await give_role(api, "mia", "manager")
    approved = await create(api, "order", {"no": "O1", "amount": 120})
    rejected = await create(api, "order", {"no": "O2", "amount": 80})
    assert (await get(api, "order", approved))["reply"] == "quick"  # the quick sub-flow ran and ended at once
    todo = (await api.client.get("/api/tasks", headers=headers)).json()["items"]
    assert sorted(t["record_id"] for t in todo) == [approved, rejected] and {t["flow"] for t in todo} == {"child_review"}
    by_record = {t["record_id"]: t for t in todo}
    child = await instance(api, by_record[approved]["instance"])
    assert child["variables"]["limit"] == 120 and child["initiator"] == 1

    ok = await api.client.post(f"/api/tasks/{by_record[approved]['id']}/actions", json={"action": "approve"},
                               headers=headers)
    assert ok.status_code == 200 and ok.json()["status"] == "completed"
    no = await api.client.post(f"/api/tasks/{by_record[rejected]['id']}/actions", json={"action": "reject"},
                               headers=headers)
    assert no.status_code == 200
    assert (await get(api, "order", approved))["status"] == "approved"
    assert (await get(api, "order", rejected))["status"] == "rejected"
    async with api.platform.engine.connect() as conn:
        parents = (await conn.execute(select(flow_instances.c.id, flow_instances.c.status).where(
            flow_instances.c.flow == "review").order_by(flow_instances.c.id))).all()
    assert [p.status for p in parents] == ["completed", "completed"]
    parent = await instance(api, parents[0].id)
    assert parent["variables"]["verdict"] == "checked by manager"  # the child's variable came back


WEBHOOK = chain_flow("from_shop", {"type": "webhook", "form": "order"}, [
    {"id": "answer", "type": "webhook_response", "status": 202,
     "body": '{"accepted": true, "no": "{{ record.no }}"}'}])


async def test_a_webhook_flow_answers_its_caller_itself(api):
    await api.import_app(shop(WEBHOOK))
    response = await api.client.post("/api/hooks/shop/from_shop", json={"no": "W7", "amount": 10})
    assert response.status_code == 202, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"accepted": True, "no": "W7"}


class _Erp(BaseHTTPRequestHandler):
    answers: list = []
    seen: list = []

    def do_POST(self):  # noqa: N802 (the standard library's name)
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        type(self).seen.append((self.path, json.loads(body or b"null"), self.headers.get("Idempotency-Key")))
        status, answer = type(self).answers.pop(0)
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def erp():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Erp)
    _Erp.answers, _Erp.seen = [], []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", _Erp
    server.shutdown()


def push_flow(url: str) -> dict:
    return {
        "key": "push", "name": "推送 ERP", "trigger": {"type": "manual", "form": "order"},
        "variables": [{"key": "answer", "type": "text"}],
        "nodes": [{"id": "start", "type": "start"},
                  {"id": "call", "type": "http_request", "url": url + "/orders", "wait": True, "into": "answer",
                   "body": '{"no": "{{ record.no }}", "amount": {{ record.amount }}}'},
                  {"id": "ok", "type": "update_record", "set": {"status": "'synced'", "reply": "answer"}},
                  {"id": "bad", "type": "update_record", "set": {"status": "'failed'", "reply": "answer"}},
                  {"id": "end", "type": "end"}],
        "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "ok", "outcome": "succeeded"},
                  {"from": "call", "to": "bad", "outcome": "failed"}, {"from": "ok", "to": "end"},
                  {"from": "bad", "to": "end"}]}


async def run_jobs(api, settings, until):
    from runtime.jobs import Runner

    runner = Runner(api.platform.engine, replace(settings, jobs_poll_seconds=0.05))
    await runner.start()
    try:
        await wait_until(until, timeout=60)
    finally:
        await runner.stop()


async def test_an_http_call_the_flow_waits_for_takes_the_edge_its_answer_chooses(api, settings, erp):
    url, server = erp
    await api.import_app(shop(push_flow(url)))
    synced = await create(api, "order", {"no": "E1", "amount": 66})
    refused = await create(api, "order", {"no": "E2", "amount": 77})
    server.answers.extend([(503, {"busy": True}), (200, {"erp_id": "K-1"}), (409, {"error": "duplicate"})])
    first = await trigger(api, "order", synced, "push")
    assert first["status"] == "running" and first["current"] == ["call"]

    async def answered(record_id):
        return (await get(api, "order", record_id))["status"] != "new"

    await run_jobs(api, settings, lambda: _retried(api, server))
    await run_jobs(api, settings, lambda: answered(synced))
    done = await get(api, "order", synced)
    assert done["status"] == "synced" and json.loads(done["reply"]) == {"erp_id": "K-1"}
    assert [s[1] for s in server.seen] == [{"no": "E1", "amount": 66}] * 2
    assert server.seen[0][2] == server.seen[1][2]  # one idempotency key for both attempts

    await trigger(api, "order", refused, "push")
    await run_jobs(api, settings, lambda: answered(refused))
    failed = await get(api, "order", refused)
    assert failed["status"] == "failed" and json.loads(failed["reply"]) == {"error": "duplicate"}


async def _retried(api, server) -> bool:
    """After the first (503) attempt, bring the retry forward."""
    if len(server.seen) < 1:
        return False
    async with api.platform.engine.begin() as conn:
        await conn.execute(update(jobs).where(jobs.c.kind == "flow_http", jobs.c.status == "queued")
                           .values(run_at=datetime.now(timezone.utc).replace(tzinfo=None)))
    return True


async def test_a_printed_document_is_attached_to_the_record(api, settings):
    from tests.runtime.test_printing import _need_chromium

    _need_chromium()
    printing = chain_flow("receipt", {"type": "manual", "form": "order"}, [
        {"id": "print", "type": "print_document", "template": "default", "attach_to": "receipt"}])
    await api.import_app(shop(printing))
    order = await create(api, "order", {"no": "P1", "amount": 5})
    started = await trigger(api, "order", order, "receipt")
    assert started["current"] == ["print"]

    async def attached():
        return (await get(api, "order", order))["receipt"]

    await run_jobs(api, settings, attached)
    [receipt] = (await get(api, "order", order))["receipt"]
    assert receipt["mime"] == "application/pdf" and receipt["size"] > 1000
    assert (await instance(api, started["id"]))["status"] == "completed"
    pdf = await api.client.get(receipt["url"])
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


BIRTHDAY = chain_flow("birthday", {"type": "date_field", "form": "customer", "field": "birthday", "yearly": True,
                                   "at": "09:00", "condition": "level != 'new'"}, [
    {"id": "greet", "type": "update_record", "set": {"greeted": "greeted + 1"}}])


async def test_birthday_flows_start_at_nine_for_the_customers_born_that_day(api):
    await api.import_app(shop(BIRTHDAY))
    tz = api.platform.settings.tz
    today = await create(api, "customer", {"name": "Ann", "birthday": "1990-11-26", "level": "vip"})
    leap = await create(api, "customer", {"name": "Lea", "birthday": "1992-02-29", "level": "normal"})
    await create(api, "customer", {"name": "Nia", "birthday": "1991-11-26"})  # level new: the condition says no
    await create(api, "customer", {"name": "Tom", "birthday": "1990-11-27", "level": "vip"})
    await create(api, "customer", {"name": "Ned", "level": "vip"})
    app_id = await app_id_of(api)
    async with api.platform.engine.connect() as conn:
        [slot] = (await conn.execute(select(jobs).where(jobs.c.kind == SCHEDULE_JOB))).all()
    assert (slot.run_at.hour, slot.run_at.minute) == (1, 0)  # 09:00 in Shanghai is 01:00 UTC

    nine = datetime(2026, 11, 26, 9, 0, tzinfo=tz)
    async with api.platform.engine.begin() as conn:
        started = await run_schedule(conn, app_id, "birthday", tz, at=nine)
    assert len(started) == 1
    assert (await get(api, "customer", today))["greeted"] == 1
    async with api.platform.engine.begin() as conn:  # 2027 has no Feb 29: greeted on the 28th
        assert len(await run_schedule(conn, app_id, "birthday", tz, at=datetime(2027, 2, 28, 9, tzinfo=tz))) == 1
        assert await run_schedule(conn, app_id, "birthday", tz, at=datetime(2028, 2, 28, 9, tzinfo=tz)) == []
        assert len(await run_schedule(conn, app_id, "birthday", tz, at=datetime(2028, 2, 29, 9, tzinfo=tz))) == 1
        await arm_schedules(conn, app_id, 1, tz)  # publishing again keeps one waiting look-up
        assert len((await conn.execute(select(jobs).where(jobs.c.kind == SCHEDULE_JOB))).all()) == 1
    assert (await get(api, "customer", leap))["greeted"] == 2


async def test_a_due_date_reminder_fires_the_day_before(api):
    due = chain_flow("due_soon", {"type": "date_field", "form": "customer", "field": "birthday", "offset": "-P1D",
                                  "at": "10:00"}, [{"id": "mark", "type": "update_record", "set": {"greeted": "9"}}])
    await api.import_app(shop(due))
    tz = api.platform.settings.tz
    tomorrow = await create(api, "customer", {"name": "Ann", "birthday": "2026-11-27"})
    other = await create(api, "customer", {"name": "Bo", "birthday": "2025-11-27"})
    app_id = await app_id_of(api)
    async with api.platform.engine.begin() as conn:
        await run_schedule(conn, app_id, "due_soon", tz, at=datetime(2026, 11, 26, 10, tzinfo=tz))
    assert (await get(api, "customer", tomorrow))["greeted"] == 9
    assert (await get(api, "customer", other))["greeted"] == 0


ROUND_ROBIN = chain_flow("hand_out", {"type": "record_created", "form": "lead"}, [
    {"id": "assign", "type": "assign", "to": {"role": "sales"}, "strategy": "round_robin"}])


async def test_round_robin_hands_leads_out_in_turn_however_many_they_already_hold(api):
    await api.import_app(shop(ROUND_ROBIN))
    amy, _ = await give_role(api, "amy", "sales")
    ben, _ = await give_role(api, "ben", "sales")
    owners = [(await get(api, "lead", await create(api, "lead", {"name": f"L{i}"})))["owner"] for i in range(5)]
    assert owners == [amy, ben, amy, ben, amy]


OVERFLOW = chain_flow("double", {"type": "record_updated", "form": "order", "fields": ["status"]}, [
    {"id": "grow", "type": "update_record", "set": {"amount": "amount * 100"}}])


async def test_a_write_the_form_refuses_fails_the_instance_and_keeps_the_callers_change(api):
    await api.import_app(shop(OVERFLOW))
    order = await create(api, "order", {"no": "X1", "amount": 500})
    url = f"{records_url('order')}/{order}"
    response = await api.client.patch(url, json={"status": "approved", "version": 1})
    assert response.status_code == 200, response.text  # the person's edit stands
    saved = await get(api, "order", order)
    assert (saved["status"], saved["amount"]) == ("approved", 500)
    async with api.platform.engine.connect() as conn:
        row = (await conn.execute(select(flow_instances))).one()
        failure = (await conn.execute(select(flow_history).where(flow_history.c.action == "effect_failed"))).one()
        told = (await conn.execute(select(notifications.c.reason, notifications.c.user_id))).all()
    assert row.status == "failed"
    assert failure.detail["what"] == f"update order {order}" and "/amount" in failure.detail["error"]
    assert told == [("failed", 1)]


async def test_new_tasks_notify_their_assignee(api):
    await api.import_app(shop(CHILD))
    manager, headers = await give_role(api, "mia", "manager")
    order = await create(api, "order", {"no": "N1", "amount": 1})
    await trigger(api, "order", order, "child_review")
    async with api.platform.engine.connect() as conn:
        rows = (await conn.execute(select(notifications.c.user_id, notifications.c.reason))).all()
    assert rows == [(manager, "task")]


async def test_demo_data_starts_no_flows_and_later_records_do(api):
    await api.import_app({**shop(ROUND_ROBIN), "data": {"lead": [{"name": "示例线索"}]}}, demo_data=True)
    async with api.platform.engine.connect() as conn:
        assert (await conn.execute(select(flow_instances))).all() == []
    await create(api, "lead", {"name": "新线索"})
    async with api.platform.engine.connect() as conn:
        assert len((await conn.execute(select(flow_instances))).all()) == 1


async def test_an_instance_shows_its_record_as_each_viewer_may_see_it(api):
    checked = {**CHILD, "nodes": [{**n, "hidden": ["reply"]} if n["id"] == "check" else n for n in CHILD["nodes"]]}
    doc = shop(checked)
    doc["roles"] = [{"key": "sales", "name": "销售", "permissions": [
        {"form": "order", "ops": ["read", "create", "update"], "fields": {"amount": "hidden"}}]},
        {"key": "manager", "name": "主管"}]
    await api.import_app(doc)
    manager, manager_headers = await give_role(api, "mia", "manager")
    seller, seller_headers = await give_role(api, "sam", "sales")
    _, stranger_headers = await give_role(api, "sue", "sales")
    created = await api.client.post(records_url("order"), json={"no": "V1", "reply": "内部备注"},
                                    headers=seller_headers)
    order = created.json()["id"]
    await api.client.patch(f"{records_url('order')}/{order}", json={"amount": 88, "version": 1})
    started = await api.client.post(f"{records_url('order')}/{order}/trigger/child_review", headers=seller_headers)
    assert started.status_code == 201, started.text
    url = f"/api/flow-instances/{started.json()['id']}"

    as_initiator = (await api.client.get(url, headers=seller_headers)).json()["record"]
    assert as_initiator["no"] == "V1" and "amount" not in as_initiator and as_initiator["reply"] == "内部备注"
    as_approver = (await api.client.get(url, headers=manager_headers)).json()["record"]
    assert as_approver["amount"] == 88 and "reply" not in as_approver  # no role on orders, still sees what to approve
    as_admin = (await api.client.get(url)).json()["record"]
    assert as_admin["amount"] == 88 and as_admin["reply"] == "内部备注"
    assert (await api.client.get(url, headers=stranger_headers)).status_code == 404


async def test_a_new_role_holder_gets_the_next_tasks_at_once(api):
    """The org chart is kept per process until the database says roles, managers or departments changed."""
    await api.import_app(shop(CHILD))
    mia, _ = await give_role(api, "mia", "manager")

    async def assignees() -> set[int]:
        started = await trigger(api, "order", await create(api, "order", {"no": "R"}), "child_review")
        return {t["assignee"] for t in started["tasks"] if t["status"] == "pending"}

    assert await assignees() == {mia}
    max_, _ = await give_role(api, "max", "manager")
    assert await assignees() == {mia, max_}
    async with api.platform.engine.begin() as conn:
        await conn.execute(user_roles.delete().where(user_roles.c.user_id == mia))
    assert await assignees() == {max_}


async def test_a_records_flow_instances_are_listed_for_whoever_may_read_it(api):
    doc = shop(CHILD, QUICK)
    doc["roles"] = [{"key": "sales", "name": "销售", "permissions": [
        {"form": "order", "ops": ["read"], "rows": "own"}]}, {"key": "manager", "name": "主管"}]
    await api.import_app(doc)
    await give_role(api, "mia", "manager")
    order = await create(api, "order", {"no": "F1"})
    other = await create(api, "order", {"no": "F2"})
    first = await trigger(api, "order", order, "quick_mark")
    second = await trigger(api, "order", order, "child_review")
    await trigger(api, "order", other, "quick_mark")
    listed = (await api.client.get(f"{records_url('order')}/{order}/flow-instances")).json()["items"]
    assert [(i["id"], i["flow"], i["status"]) for i in listed] == [
        (second["id"], "child_review", "running"), (first["id"], "quick_mark", "completed")]
    assert listed[0]["name"] == "child_review"
    _, seller = await give_role(api, "sam", "sales")  # may read only orders they own
    assert (await api.client.get(f"{records_url('order')}/{order}/flow-instances", headers=seller)).status_code == 404


async def test_everyone_signed_in_finds_people_to_pick(api):
    await api.import_app(shop())
    mia, headers = await give_role(api, "mia", "sales")
    found = (await api.client.get("/api/people", params={"q": "mia"}, headers=headers)).json()
    assert [(p["id"], p["username"]) for p in found["items"]] == [(mia, "mia")] and found["total"] == 1
    assert set(found["items"][0]) == {"id", "name", "username", "departments"}
    everyone = (await api.client.get("/api/people", headers=headers)).json()
    assert {p["username"] for p in everyone["items"]} == {"admin", "mia"}
    assert (await api.client.get("/api/people", params={"q": "%"}, headers=headers)).json()["total"] == 0
    assert (await api.client.get("/api/people")).status_code == 200
