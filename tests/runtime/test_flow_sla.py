"""A 3-day SLA through the stored runtime: the approval's deadlines are flow_timer jobs, fired by the job runner
on an injected clock — a reminder on day 3, the task escalated to the approver's manager on day 4, approved
automatically on day 5 — never before their moment, each once."""
from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import insert, select

import runtime.flows
import runtime.jobs
from runtime.auth import create_user
from runtime.flows import TIMER_JOB
from runtime.jobs import Runner
from runtime.models import apps, jobs, notifications, user_roles
from tests.runtime.apps import records_url
from tests.runtime.people import PASSWORD, bearer, token_of
from tests.runtime.test_jobs import wait_until

DAY = timedelta(days=1)

LEAVE_APP = {
    "format": "nocode.app/v1", "key": "leave", "name": "请假",
    "forms": [{"key": "request", "name": "请假单", "title_field": "no", "fields": [
        {"key": "no", "type": "text", "required": True},
        {"key": "status", "type": "select", "default": "new", "options": ["new", "approved"]}]}],
    "roles": [{"key": "manager", "name": "主管"}, {"key": "supervisor", "name": "督办"}],
    "flows": [{
        "key": "leave_approval", "name": "请假审批", "trigger": {"type": "record_created", "form": "request"},
        "nodes": [{"id": "start", "type": "start"},
                  {"id": "mgr", "type": "approval", "name": "主管审批", "assignees": {"role": "manager"},
                   "timeout": [{"after": "P3D", "action": "remind", "to": {"role": "supervisor"}},
                               {"after": "P4D", "action": "escalate"},
                               {"after": "P5D", "action": "auto_approve"}]},
                  {"id": "ok", "type": "update_record", "set": {"status": "'approved'"}},
                  {"id": "end", "type": "end"}],
        "edges": [{"from": "start", "to": "mgr"}, {"from": "mgr", "to": "ok"}, {"from": "ok", "to": "end"}]}],
}


class Clock:
    """The moment the flow runtime and the job runner read, moved by the test."""

    def __init__(self) -> None:
        self.now = datetime.now(timezone.utc).replace(microsecond=0)

    def aware(self) -> datetime:
        return self.now

    def naive(self) -> datetime:
        return self.now.replace(tzinfo=None)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(runtime.flows, "utcnow", clock.aware)
    monkeypatch.setattr(runtime.jobs, "utcnow", clock.naive)
    return clock


async def people(api) -> dict:
    """Mia approves (her manager is Bob), Sam supervises: {name: (user id, headers)}."""
    async with api.platform.engine.begin() as conn:
        app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == "leave"))).scalar_one()
        bob = await create_user(conn, "bob", PASSWORD)
        mia = await create_user(conn, "mia", PASSWORD, manager_id=bob)
        sam = await create_user(conn, "sam", PASSWORD)
        await conn.execute(insert(user_roles), [dict(user_id=mia, app_id=app_id, role="manager"),
                                                dict(user_id=sam, app_id=app_id, role="supervisor")])
    return {name: (user_id, bearer(await token_of(api, name))) for name, user_id in
            (("bob", bob), ("mia", mia), ("sam", sam))}


async def todo(api, headers) -> list[dict]:
    response = await api.client.get("/api/tasks", params={"box": "todo"}, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def notes(api, after: int = 0) -> list[tuple]:
    """(user, reason) of the notifications sent, beyond the first `after`."""
    async with api.platform.engine.connect() as conn:
        return [tuple(n) for n in (await conn.execute(select(notifications.c.user_id, notifications.c.reason)
                                                      .order_by(notifications.c.id)))][after:]


async def timer_jobs(api) -> list:
    async with api.platform.engine.connect() as conn:
        return (await conn.execute(select(jobs.c.status, jobs.c.attempts, jobs.c.run_at)
                                   .where(jobs.c.kind == TIMER_JOB).order_by(jobs.c.run_at))).all()


async def run_until(api, runner, clock, moment) -> None:
    """Move the clock to `moment`, and let the runner fire every timer due by then."""
    clock.now = moment
    runner.wake()

    async def settled():
        return all(j.status == "done" or j.run_at > clock.naive() for j in await timer_jobs(api))

    await wait_until(settled)


async def test_a_three_day_sla_reminds_escalates_then_approves_on_its_own(api, settings, clock):
    await api.import_app(LEAVE_APP)
    who = await people(api)
    (bob, bob_h), (mia, mia_h), (sam, _) = who["bob"], who["mia"], who["sam"]
    started = clock.now
    response = await api.client.post(records_url("request", "leave"), json={"no": "L1"})
    assert response.status_code == 201, response.text
    record_url = f"{records_url('request', 'leave')}/{response.json()['id']}"
    [task] = await todo(api, mia_h)
    at_start = len(await notes(api))
    assert task["due_at"] == (started + 3 * DAY).replace(tzinfo=None).isoformat() + "Z"
    assert [j.run_at for j in await timer_jobs(api)] == [(started + n * DAY).replace(tzinfo=None) for n in (3, 4, 5)]

    runner = Runner(api.platform.engine, replace(settings, jobs_poll_seconds=0.05))
    await runner.start()
    try:
        await run_until(api, runner, clock, started + 3 * DAY - timedelta(minutes=1))
        await asyncio.sleep(0.3)  # several polls: a timer due in a minute stays put
        assert await notes(api, at_start) == [] and {j.status for j in await timer_jobs(api)} == {"queued"}

        await run_until(api, runner, clock, started + 3 * DAY)  # day 3: Mia and her supervisor are reminded
        assert await notes(api, at_start) == [(mia, "remind"), (sam, "remind")]
        assert [t["id"] for t in await todo(api, mia_h)] == [task["id"]]

        await run_until(api, runner, clock, started + 4 * DAY)  # day 4: her manager takes the task over
        assert await todo(api, mia_h) == []
        [escalated] = await todo(api, bob_h)
        assert escalated["node"] == "mgr" and await notes(api, at_start + 2) == [(bob, "task"), (bob, "escalated")]

        await run_until(api, runner, clock, started + 5 * DAY)  # day 5: nobody decided, so it passes
    finally:
        await runner.stop()
    assert await todo(api, bob_h) == []
    assert (await api.client.get(record_url)).json()["status"] == "approved"
    assert [(j.status, j.attempts) for j in await timer_jobs(api)] == [("done", 1)] * 3

    instance = (await api.client.get(f"/api/flow-instances/{task['instance']}")).json()
    assert instance["status"] == "completed"
    assert instance["ended_at"] == (started + 5 * DAY).replace(tzinfo=None).isoformat() + "Z"
    assert [(t["assignee"], t["status"]) for t in instance["tasks"]] == [(mia, "escalated"), (bob, "auto_approved")]
    assert {t["status"] for t in instance["timers"]} == {"fired"}
    assert [(h["action"], h["detail"].get("action")) for h in instance["history"]] == [
        ("start", None), ("timeout", "remind"), ("timeout", "escalate"), ("timeout", "auto_approve"),
        ("approved", None), ("record_updated", None), ("finish", None)]
