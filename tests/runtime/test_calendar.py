"""The working calendar: administrators set a year's holidays and worked weekend days (调休); SLA deadlines in
working days skip the holidays and count the worked Saturday."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from runtime.flows import start_flow
from runtime.models import flow_timers
from tests.runtime.test_flow_nodes import chain_flow, give_role, shop

NATIONAL_DAY = {"holidays": [{"day": f"2026-10-0{d}", "note": "国庆节"} for d in range(1, 9)],
                "workdays": [{"day": "2026-09-27", "note": "调休"}, {"day": "2026-10-10", "note": "调休"}]}


async def test_administrators_set_the_year_and_everyone_reads_it(api):
    assert (await api.client.put("/api/admin/calendar/2026", json=NATIONAL_DAY)).status_code == 200
    year = (await api.client.get("/api/admin/calendar/2026")).json()
    assert [d["day"] for d in year["holidays"]][:2] == ["2026-10-01", "2026-10-02"]
    assert [d["day"] for d in year["workdays"]] == ["2026-09-27", "2026-10-10"]

    bad = await api.client.put("/api/admin/calendar/2026", json={
        "holidays": [{"day": "2027-01-01"}], "workdays": [{"day": "2026-10-12"}, {"day": "2026-10-01"}]})
    assert bad.status_code == 422
    assert [(d["path"], d["code"]) for d in bad.json()["error"]["details"]] == [
        ("/holidays/0/day", "calendar_wrong_year"), ("/workdays/0/day", "calendar_not_weekend"),
        ("/workdays/1/day", "calendar_not_weekend")]
    assert len((await api.client.get("/api/admin/calendar/2026")).json()["holidays"]) == 8  # nothing changed
    assert (await api.client.get("/api/admin/calendar/1900")).status_code == 422


async def test_a_deadline_in_working_days_skips_the_holidays(api):
    flow = chain_flow("check", {"type": "manual", "form": "order"}, [
        {"id": "check", "type": "approval", "assignees": {"role": "manager"},
         "timeout": {"after": "P1D", "working_days": True, "action": "auto_approve"}}])
    await api.import_app(shop(flow))
    await give_role(api, "mia", "manager")
    tz = api.platform.settings.tz

    async def deadline(started: datetime) -> datetime:
        async with api.platform.engine.begin() as conn:
            schema = await api.platform.schemas.get(conn, "shop")
            result = await start_flow(conn, schema, "check", initiator=1, tz=tz, at=started)
            at = (await conn.execute(select(flow_timers.c.at).where(
                flow_timers.c.instance_id == result.state.instance.id))).scalar_one()
        return at.replace(tzinfo=None)

    before_holiday = datetime(2026, 9, 30, 10, 0, tzinfo=tz)  # a Wednesday
    assert await deadline(before_holiday) == datetime(2026, 10, 1, 2, 0)  # Thursday 10:00 in Shanghai (UTC)
    await api.client.put("/api/admin/calendar/2026", json=NATIONAL_DAY)
    assert await deadline(before_holiday) == datetime(2026, 10, 9, 2, 0)  # after the holidays
    friday = datetime(2026, 10, 9, 10, 0, tzinfo=tz)
    assert await deadline(friday) == datetime(2026, 10, 10, 2, 0)  # the worked Saturday counts
