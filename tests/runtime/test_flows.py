"""Flows at run time, end to end through the API on SQLite and PostgreSQL: a refund approval started by creating a
record, decided by a manager and then by two finance people (countersign), the record updated by the flow and the
initiator notified; a rejection; a return to the earlier step; refused actions; timers through the job queue."""
from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

from runtime.flows import fire_timer
from runtime.models import apps, flow_instances, flow_timers, jobs, notifications, user_roles
from tests.runtime.apps import records_url
from tests.runtime.people import add_user, bearer, token_of

REFUND_FLOW = {
    "key": "refund_approval", "name": "退款审批",
    "trigger": {"type": "record_created", "form": "refund", "condition": "amount > 0"},
    "nodes": [
        {"id": "start", "type": "start"},
        {"id": "mgr", "type": "approval", "name": "主管审批", "assignees": {"role": "manager"}, "mode": "or_sign"},
        {"id": "fin", "type": "approval", "name": "财务会签", "assignees": {"role": "finance"}, "mode": "countersign"},
        {"id": "ok", "type": "update_record", "set": {"status": "'approved'"}},
        {"id": "no", "type": "update_record", "set": {"status": "'rejected'"}},
        {"id": "tell", "type": "notify", "to": {"field": "created_by"}, "template": "退款 {{ record.no }} 已处理"},
        {"id": "end", "type": "end"}],
    "edges": [
        {"from": "start", "to": "mgr"},
        {"from": "mgr", "to": "fin", "outcome": "approved"}, {"from": "mgr", "to": "no", "outcome": "rejected"},
        {"from": "fin", "to": "ok", "outcome": "approved"}, {"from": "fin", "to": "no", "outcome": "rejected"},
        {"from": "ok", "to": "tell"}, {"from": "no", "to": "tell"}, {"from": "tell", "to": "end"}],
}

REFUND_APP = {
    "format": "nocode.app/v1", "key": "refunds", "name": "退款",
    "forms": [{"key": "refund", "name": "退款单", "title_field": "no", "fields": [
        {"key": "no", "type": "text", "required": True},
        {"key": "amount", "type": "money"},
        {"key": "status", "type": "select", "default": "new", "options": ["new", "approved", "rejected"]},
        {"key": "wait_done", "type": "checkbox"}]}],
    "roles": [{"key": "manager", "name": "主管"}, {"key": "finance", "name": "财务"}],
    "flows": [REFUND_FLOW],
}


def refund_app(*flows) -> dict:
    doc = copy.deepcopy(REFUND_APP)
    if flows:
        doc["flows"] = list(flows)
    return doc


async def setup(api, doc=None) -> dict:
    """The app published, and a manager and two finance people signed in: {name: (user id, headers)}."""
    await api.import_app(doc or refund_app())
    people = {}
    async with api.platform.engine.begin() as conn:
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "refunds"))).scalar_one()
    for name, role in (("mia", "manager"), ("fay", "finance"), ("fred", "finance")):
        user_id = await add_user(api, name)
        async with api.platform.engine.begin() as conn:
            await conn.execute(insert(user_roles).values(user_id=user_id, app_id=app_id, role=role))
        people[name] = (user_id, bearer(await token_of(api, name)))
    return people


async def todo(api, headers) -> list[dict]:
    response = await api.client.get("/api/tasks", params={"box": "todo"}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def act(api, headers, task_id, action, **body):
    return await api.client.post(f"/api/tasks/{task_id}/actions", json={"action": action, **body}, headers=headers)


async def create_refund(api, no="R1", amount=120) -> int:
    response = await api.client.post(records_url("refund", "refunds"), json={"no": no, "amount": amount})
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def record(api, record_id) -> dict:
    return (await api.client.get(f"{records_url('refund', 'refunds')}/{record_id}")).json()


async def notes_of(api, user_id) -> list:
    async with api.platform.engine.connect() as conn:
        return (await conn.execute(select(notifications).where(notifications.c.user_id == user_id))).all()


async def test_refund_approved_by_manager_then_both_finance(api):
    people = await setup(api)
    (mia, mia_h), (fay, fay_h), (fred, fred_h) = people["mia"], people["fay"], people["fred"]
    record_id = await create_refund(api)

    [task] = await todo(api, mia_h)
    assert (task["node"], task["kind"], task["record_id"], task["initiator"]) == ("mgr", "approval", record_id,
                                                                                  api.user_id)
    assert await todo(api, fay_h) == []
    response = await act(api, mia_h, task["id"], "approve", comment="同意")
    assert response.status_code == 200, response.text

    [fay_task], [fred_task] = await todo(api, fay_h), await todo(api, fred_h)
    assert fay_task["node"] == fred_task["node"] == "fin"
    assert (await act(api, fay_h, fay_task["id"], "approve")).status_code == 200
    assert (await record(api, record_id))["status"] == "new"  # countersign: Fred has not signed yet
    response = await act(api, fred_h, fred_task["id"], "approve")
    assert response.status_code == 200, response.text
    instance = response.json()
    assert instance["status"] == "completed"
    assert (await record(api, record_id))["status"] == "approved"
    [note] = await notes_of(api, api.user_id)
    assert note.text == "退款 R1 已处理"

    done = (await api.client.get("/api/tasks", params={"box": "done"}, headers=mia_h)).json()
    assert [t["id"] for t in done["items"]] == [task["id"]] and done["counts"] == {"todo": 0, "done": 1, "cc": 0}
    seen = await api.client.get(f"/api/flow-instances/{instance['id']}", headers=mia_h)
    assert seen.status_code == 200, seen.text
    seen = seen.json()
    actions = [(h["action"], h["by"]) for h in seen["history"]]
    assert ("approved", mia) in actions and ("approved", fay) in actions and ("approved", fred) in actions
    assert seen["history"][-1]["action"] == "finish"
    listed = (await api.client.get("/api/apps/refunds/flows/refund_approval/instances")).json()
    assert [(i["id"], i["status"]) for i in listed["items"]] == [(instance["id"], "completed")]


async def test_rejection_updates_the_record_and_ends_the_tasks(api):
    people = await setup(api)
    mia_h = people["mia"][1]
    record_id = await create_refund(api)
    [task] = await todo(api, mia_h)
    response = await act(api, mia_h, task["id"], "reject", comment="金额不符")
    assert response.status_code == 200, response.text
    assert (await record(api, record_id))["status"] == "rejected"
    assert await todo(api, people["fay"][1]) == []  # finance never asked
    again = await act(api, mia_h, task["id"], "approve")
    assert again.status_code == 409 and again.json()["error"]["code"] == "flow_instance_closed"


async def test_return_to_the_earlier_step_asks_the_manager_again(api):
    people = await setup(api)
    mia_h, fay_h, fred_h = people["mia"][1], people["fay"][1], people["fred"][1]
    record_id = await create_refund(api)
    [task] = await todo(api, mia_h)
    await act(api, mia_h, task["id"], "approve")
    [fay_task] = await todo(api, fay_h)
    response = await act(api, fay_h, fay_task["id"], "return", to="mgr", comment="请主管再确认")
    assert response.status_code == 200, response.text
    assert await todo(api, fred_h) == []  # the countersign round was called off
    [again] = await todo(api, mia_h)
    assert again["id"] != task["id"] and again["node"] == "mgr"
    await act(api, mia_h, again["id"], "approve")
    for headers in (fay_h, fred_h):
        [t] = await todo(api, headers)
        assert (await act(api, headers, t["id"], "approve")).status_code == 200
    assert (await record(api, record_id))["status"] == "approved"


async def test_refused_actions_answer_with_the_engines_problem(api):
    people = await setup(api)
    mia_h, fay_h = people["mia"][1], people["fay"][1]
    await create_refund(api)
    [task] = await todo(api, mia_h)
    response = await act(api, mia_h, task["id"], "return", to="fin")
    assert response.status_code == 409
    assert response.json()["error"]["details"][0]["path"] == "/to"
    # someone with no part in the instance does not learn it exists
    assert (await act(api, fay_h, task["id"], "approve")).status_code == 404
    assert (await api.client.get(f"/api/flow-instances/{task['instance']}", headers=fay_h)).status_code == 404
    # the initiator sees it and may withdraw before anyone acted
    response = await act(api, {}, task["id"], "withdraw")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert await todo(api, mia_h) == []


async def test_condition_and_record_updated_trigger(api):
    on_update = {**REFUND_FLOW, "key": "on_update", "trigger": {"type": "record_updated", "form": "refund",
                                                                   "fields": ["amount"], "condition": "amount > 0"}}
    people = await setup(api, refund_app(on_update))
    mia_h = people["mia"][1]
    record_id = await create_refund(api, amount=0)
    assert await todo(api, mia_h) == []  # created: this flow starts on updates only
    url = f"{records_url('refund', 'refunds')}/{record_id}"
    assert (await api.client.patch(url, json={"no": "R1b", "version": 1})).status_code == 200
    assert await todo(api, mia_h) == []  # amount did not change
    assert (await api.client.patch(url, json={"amount": 50, "version": 2})).status_code == 200
    [task] = await todo(api, mia_h)
    assert task["record_id"] == record_id


async def test_manual_trigger_with_roles(api):
    manual = {**REFUND_FLOW, "key": "by_hand", "trigger": {"type": "manual", "form": "refund", "roles": ["finance"]}}
    people = await setup(api, refund_app(manual))
    record_id = await create_refund(api)
    assert await todo(api, people["mia"][1]) == []
    url = f"/api/apps/refunds/forms/refund/records/{record_id}/trigger/by_hand"
    assert (await api.client.post(url, headers=people["mia"][1])).status_code == 403
    response = await api.client.post(url, headers=people["fay"][1])
    assert response.status_code == 201, response.text
    assert response.json()["initiator"] == people["fay"][0]
    [task] = await todo(api, people["mia"][1])
    assert task["instance"] == response.json()["id"]


async def test_flows_are_validated_at_publish(api):
    broken = {**REFUND_FLOW, "nodes": [*REFUND_FLOW["nodes"][:1],
                                        {**REFUND_FLOW["nodes"][1], "assignees": {"role": "boss"}},
                                        *REFUND_FLOW["nodes"][2:]]}
    response = await api.client.post("/api/apps/import", json=refund_app(broken))
    assert response.status_code == 422
    assert [(d["path"], d["code"]) for d in response.json()["error"]["details"]] == [
        ("/flows/0/nodes/1/assignees/0/role", "flow_unknown_role")]


DELAY_FLOW = {
    "key": "cool_off", "name": "冷静期",
    "trigger": {"type": "record_created", "form": "refund"},
    "nodes": [{"id": "start", "type": "start"}, {"id": "wait", "type": "delay", "duration": "PT1H"},
              {"id": "mark", "type": "update_record", "set": {"wait_done": "TRUE"}}, {"id": "end", "type": "end"}],
    "edges": [{"from": "start", "to": "wait"}, {"from": "wait", "to": "mark"}, {"from": "mark", "to": "end"}],
}


async def test_delay_node_fires_through_the_job_queue(api):
    await setup(api, refund_app(DELAY_FLOW))
    record_id = await create_refund(api)
    async with api.platform.engine.connect() as conn:
        timer = (await conn.execute(select(flow_timers))).one()
        job = (await conn.execute(select(jobs).where(jobs.c.kind == "flow_timer"))).one()
    assert job.payload == {"instance": timer.instance_id, "timer": timer.key}
    assert abs(job.run_at - timer.at) < timedelta(seconds=1)
    assert timer.at - datetime.now(timezone.utc).replace(tzinfo=None) > timedelta(minutes=59)
    assert (await record(api, record_id))["wait_done"] in (False, None)

    later = datetime.now(timezone.utc) + timedelta(hours=1, seconds=1)
    async with api.platform.engine.begin() as conn:
        await fire_timer(conn, timer.instance_id, timer.key, at=later)
    assert (await record(api, record_id))["wait_done"] is True
    async with api.platform.engine.begin() as conn:  # a repeated delivery changes nothing
        result = await fire_timer(conn, timer.instance_id, timer.key, at=later)
        assert result.changes.history == []
        status = (await conn.execute(select(flow_instances.c.status))).scalar_one()
    assert status == "completed"


WAIT_FLOW = {
    "key": "wait_for_amount", "name": "等金额",
    "trigger": {"type": "record_created", "form": "refund"},
    "nodes": [{"id": "start", "type": "start"}, {"id": "wait", "type": "wait_until", "condition": "amount > 100"},
              {"id": "mark", "type": "update_record", "set": {"wait_done": "TRUE"}}, {"id": "end", "type": "end"}],
    "edges": [{"from": "start", "to": "wait"}, {"from": "wait", "to": "mark"}, {"from": "mark", "to": "end"}],
}


async def test_a_waiting_condition_is_checked_again_when_the_record_changes(api):
    await setup(api, refund_app(WAIT_FLOW))
    record_id = await create_refund(api, amount=10)
    url = f"{records_url('refund', 'refunds')}/{record_id}"
    assert (await api.client.patch(url, json={"amount": 50, "version": 1})).status_code == 200
    assert (await record(api, record_id))["wait_done"] in (False, None)
    assert (await api.client.patch(url, json={"amount": 150, "version": 2})).status_code == 200
    assert (await record(api, record_id))["wait_done"] is True


LATE_FLOW = {**REFUND_FLOW, "nodes": [
    REFUND_FLOW["nodes"][0],
    {**REFUND_FLOW["nodes"][1], "timeout": [{"after": "PT2H", "action": "remind", "to": {"role": "finance"}}]},
    *REFUND_FLOW["nodes"][2:]]}


async def test_sla_reminder_fires_at_its_deadline(api):
    people = await setup(api, refund_app(LATE_FLOW))
    await create_refund(api)
    [task] = await todo(api, people["mia"][1])
    async with api.platform.engine.connect() as conn:
        timer = (await conn.execute(select(flow_timers))).one()
    assert timer.purpose == "sla"
    async with api.platform.engine.begin() as conn:  # early: a timer is its own moment, the clock is injected
        await fire_timer(conn, timer.instance_id, timer.key, at=datetime.now(timezone.utc) + timedelta(hours=2))
    reminded = {note.user_id for user in ("mia", "fay") for note in await notes_of(api, people[user][0])
                if note.reason == "remind"}
    assert reminded == {people["mia"][0], people["fay"][0]}
    assert [t["id"] for t in await todo(api, people["mia"][1])] == [task["id"]]  # a reminder leaves the task


async def test_an_administrator_cancels_an_instance(api):
    people = await setup(api, refund_app(LATE_FLOW))
    await create_refund(api)
    [task] = await todo(api, people["mia"][1])
    async with api.platform.engine.connect() as conn:
        assert len((await conn.execute(select(jobs).where(jobs.c.kind == "flow_timer"))).all()) == 1
    url = f"/api/flow-instances/{task['instance']}/cancel"
    assert (await api.client.post(url, json={"reason": "重复"}, headers=people["mia"][1])).status_code == 403
    response = await api.client.post(url, json={"reason": "重复"})
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert await todo(api, people["mia"][1]) == []
    async with api.platform.engine.connect() as conn:
        assert (await conn.execute(select(jobs).where(jobs.c.kind == "flow_timer"))).all() == []


async def test_the_runner_fires_a_due_flow_timer(api, settings):
    from dataclasses import replace

    from sqlalchemy import update

    from runtime.jobs import Runner, utcnow
    from tests.runtime.test_jobs import wait_until

    await setup(api, refund_app(DELAY_FLOW))
    record_id = await create_refund(api)
    async with api.platform.engine.begin() as conn:  # the hour has passed
        await conn.execute(update(jobs).where(jobs.c.kind == "flow_timer").values(run_at=utcnow()))
    runner = Runner(api.platform.engine, replace(settings, jobs_poll_seconds=0.05))
    await runner.start()
    try:
        await wait_until(lambda: _wait_done(api, record_id))
    finally:
        await runner.stop()
    async with api.platform.engine.connect() as conn:
        assert (await conn.execute(select(jobs.c.status).where(jobs.c.kind == "flow_timer"))).scalar() == "done"


async def _wait_done(api, record_id) -> bool:
    return (await record(api, record_id))["wait_done"] is True


async def test_two_signers_at_once_are_applied_one_after_the_other(api):
    """The instance row is locked per event: both countersign approvals count, whatever their timing."""
    import asyncio

    people = await setup(api)
    record_id = await create_refund(api)
    [task] = await todo(api, people["mia"][1])
    await act(api, people["mia"][1], task["id"], "approve")
    [fay_task], [fred_task] = await todo(api, people["fay"][1]), await todo(api, people["fred"][1])
    answers = await asyncio.gather(act(api, people["fay"][1], fay_task["id"], "approve"),
                                   act(api, people["fred"][1], fred_task["id"], "approve"))
    assert [a.status_code for a in answers] == [200, 200], [a.text for a in answers]
    assert (await record(api, record_id))["status"] == "approved"


SCHEDULED_FLOW = {
    "key": "daily_check", "name": "每日复核",
    "trigger": {"type": "schedule", "cron": "0 9 * * *", "form": "refund", "condition": "amount > 100"},
    "nodes": [{"id": "start", "type": "start"},
              {"id": "mgr", "type": "approval", "assignees": {"role": "manager"}},
              {"id": "end", "type": "end"}],
    "edges": [{"from": "start", "to": "mgr"}, {"from": "mgr", "to": "end"}],
}


async def test_a_scheduled_flow_runs_once_per_matching_record_and_stops_when_gone(api):
    """Publishing queues the next slot of each scheduled flow (arm_schedules); publishing again keeps one."""
    from runtime.flows import SCHEDULE_JOB, arm_schedules, run_schedule, schedule_series

    people = await setup(api, refund_app(SCHEDULED_FLOW))
    big = await create_refund(api, "R1", 500)
    await create_refund(api, "R2", 50)
    tz = api.platform.settings.tz
    async with api.platform.engine.begin() as conn:
        app_id = (await conn.execute(select(apps.c.id))).scalar_one()
        armed = (await conn.execute(select(jobs).where(jobs.c.kind == SCHEDULE_JOB))).all()
        assert len(armed) == 1  # by the import's publish
        await arm_schedules(conn, app_id, 1, tz)  # publishing again keeps one waiting slot
        slots = (await conn.execute(select(jobs).where(jobs.c.kind == SCHEDULE_JOB))).all()
    assert len(slots) == 1 and slots[0].series == schedule_series(app_id, "daily_check")
    assert slots[0].run_at.hour == 1 and slots[0].run_at.minute == 0  # 09:00 in Shanghai

    async with api.platform.engine.begin() as conn:
        assert len(await run_schedule(conn, app_id, "daily_check", tz)) == 1
    [task] = await todo(api, people["mia"][1])
    assert task["record_id"] == big and task["initiator"] is None

    from runtime.jobs import schedule

    async with api.platform.engine.begin() as conn:  # a flow no longer in the app: its slots stop
        await schedule(conn, schedule_series(app_id, "gone"), SCHEDULE_JOB, "0 9 * * *", {}, tz=tz)
        assert await run_schedule(conn, app_id, "gone", tz) == []
        assert (await conn.execute(select(jobs.c.id).where(
            jobs.c.series == schedule_series(app_id, "gone")))).all() == []


async def test_an_inbound_webhook_creates_the_record_and_starts_the_flow(api):
    hook = {**REFUND_FLOW, "key": "from_shop", "trigger": {"type": "webhook", "form": "refund"},
            "variables": [{"key": "source", "type": "text"}]}
    people = await setup(api, refund_app(hook))
    response = await api.client.post("/api/hooks/refunds/from_shop", json={"no": "W1", "amount": 80,
                                                                           "source": "taobao"})
    assert response.status_code == 201, response.text
    record_id = response.json()["record_id"]
    assert (await record(api, record_id))["no"] == "W1"
    [task] = await todo(api, people["mia"][1])
    assert task["instance"] == response.json()["id"] and response.json()["variables"] == {"source": "taobao"}
    bad = await api.client.post("/api/hooks/refunds/from_shop", json={"amount": "lots"})
    assert bad.status_code == 422 and {d["path"] for d in bad.json()["error"]["details"]} >= {"/amount", "/no"}
    assert (await api.client.post("/api/hooks/refunds/refund_approval", json={})).status_code == 404


async def test_an_http_request_node_goes_out_through_the_job_queue(api):
    call = {"key": "tell_erp", "name": "通知 ERP", "trigger": {"type": "record_created", "form": "refund"},
            "nodes": [{"id": "start", "type": "start"},
                      {"id": "call", "type": "http_request", "url": "https://erp.example/refunds",
                       "body": '{"no": "{{ record.no }}"}'},
                      {"id": "end", "type": "end"}],
            "edges": [{"from": "start", "to": "call"}, {"from": "call", "to": "end"}]}
    await setup(api, refund_app(call))
    await create_refund(api, "R9")
    async with api.platform.engine.connect() as conn:
        [job] = (await conn.execute(select(jobs).where(jobs.c.kind == "http_request"))).all()
    assert (job.payload["url"], job.payload["method"], job.payload["json"]) == (
        "https://erp.example/refunds", "POST", {"no": "R9"})
