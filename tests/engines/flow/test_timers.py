"""Delays, waits, SLA timeouts with an injected clock (remind, escalate, auto-approve, auto-reject), working days,
ISO durations and cron."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from engines.flow import (BusinessCalendar, FlowContext, RecordChanged, TimerFired, add_duration, next_time,
                          parse_cron, parse_duration)
from engines.flow.cron import CronError
from engines.flow.effects import CancelTimer, ScheduleTimer
from tests.engines.flow.conftest import BOSS, ORG, OTHER, SHANGHAI, SUPER, T0, chain, flow_doc

DAY = timedelta(days=1)


def fire_due(d):
    """Fire every timer due by the driver's clock, earliest first, as the runtime's job runner would."""
    for timer in sorted(d.state.timers.values(), key=lambda t: t.at):
        if timer.status == "scheduled" and timer.at <= d.now:
            d.send(TimerFired(d.now, timer.id))


def test_delay_waits_then_goes_on(drive):
    d = drive(chain({"id": "wait", "type": "delay", "duration": "PT2H"},
                    {"id": "ping", "type": "notify", "to": {"user": BOSS}, "template": "x"}))
    result = d.start()
    (timer,) = [e for e in result.effects if isinstance(e, ScheduleTimer)]
    assert timer.at == T0 + timedelta(hours=2) and d.status == "running"
    d.later(hours=2)
    fire_due(d)
    assert d.status == "completed" and d.of("Notify")


def test_a_timer_firing_twice_acts_once(drive):
    d = drive(chain({"id": "wait", "type": "delay", "duration": "PT1M"},
                    {"id": "ping", "type": "notify", "to": {"user": BOSS}, "template": "x"}))
    d.start()
    timer = next(iter(d.state.timers))
    d.send(TimerFired(d.now, timer))
    result = d.send(TimerFired(d.now, timer))
    assert result.effects == [] and len(d.of("Notify")) == 1


def test_wait_until_a_date_field_at_a_time(drive):
    d = drive(chain({"id": "w", "type": "wait_until", "until": "due_on - 1", "at": "09:30"}))
    result = d.start({"due_on": date(2026, 3, 10)})
    (timer,) = [e for e in result.effects if isinstance(e, ScheduleTimer)]
    assert timer.at == datetime(2026, 3, 9, 9, 30, tzinfo=SHANGHAI)
    d.now = timer.at
    fire_due(d)
    assert d.status == "completed"


def test_wait_until_a_moment_already_past_goes_straight_on(drive):
    d = drive(chain({"id": "w", "type": "wait_until", "until": "due_on"}))
    d.start({"due_on": date(2020, 1, 1)})
    assert d.status == "completed"


def test_wait_for_a_condition_or_time_out(drive):
    doc = flow_doc([{"id": "start", "type": "start"},
                    {"id": "w", "type": "wait_until", "condition": "paid", "timeout": "PT15M"},
                    {"id": "late", "type": "notify", "to": {"user": SUPER}, "template": "首次联系超时"},
                    {"id": "end", "type": "end"}],
                   [("start", "w"), {"from": "w", "to": "end", "outcome": "reached"},
                    {"from": "w", "to": "late", "outcome": "timeout"}, ("late", "end")])
    d = drive(doc)
    d.start({"paid": False})
    d.send(RecordChanged(d.later(minutes=5), {"paid": False}))
    assert d.status == "running"
    result = d.send(RecordChanged(d.later(minutes=5), {"paid": True}))
    assert d.status == "completed" and any(isinstance(e, CancelTimer) for e in result.effects)
    assert not d.of("Notify")
    d = drive(doc)
    d.start({"paid": False})
    d.later(minutes=15)
    fire_due(d)
    assert d.status == "completed" and d.of("Notify")[0].text == "首次联系超时"


def sla_flow(*timeouts, **props):
    return chain({"id": "follow", "type": "approval", "name": "跟进", "assignees": {"user": OTHER},
                  "timeout": list(timeouts), **props})


def test_three_day_sla_remind_then_escalate_to_the_manager(drive):
    d = drive(sla_flow({"after": "P3D", "action": "remind", "to": {"role": "supervisor"}},
                       {"after": "P5D", "action": "escalate"}))
    d.start()
    assert d.task_for(OTHER).due_at == T0 + 3 * DAY
    d.later(days=2, hours=23)
    fire_due(d)
    assert not d.of("Notify")  # not yet
    d.later(hours=1)
    fire_due(d)
    (remind,) = d.of("Notify")
    assert remind.reason == "remind" and remind.to == (OTHER, SUPER)
    d.later(days=2)
    fire_due(d)
    assert d.pending() == [SUPER]  # OTHER's manager took it over
    assert any(t.status == "escalated" and t.assignee == OTHER for t in d.state.tasks.values())
    d.act(SUPER)
    assert d.status == "completed"


def test_escalate_to_a_role(drive):
    d = drive(sla_flow({"after": "PT15M", "action": "escalate", "to": {"role": "admin"}}))
    d.start()
    d.later(minutes=15)
    fire_due(d)
    assert d.pending() == [BOSS]


@pytest.mark.parametrize("action, status", [("auto_approve", "completed"), ("auto_reject", "rejected")])
def test_timeout_decides(drive, action, status):
    d = drive(sla_flow({"after": "P1D", "action": action}))
    d.start()
    d.later(days=1)
    fire_due(d)
    assert d.status == status and not d.state.open_tasks()


def test_sla_timers_are_cancelled_when_the_step_is_done(drive):
    d = drive(sla_flow({"after": "P3D", "action": "remind"}, {"after": "P5D", "action": "escalate"}))
    d.start()
    result = d.act(OTHER)
    assert len([e for e in result.effects if isinstance(e, CancelTimer)]) == 2
    d.later(days=6)
    fire_due(d)
    assert not d.of("Notify")


def test_sla_in_working_days_skips_the_weekend_and_holidays(drive):
    ctx = FlowContext(ORG, SHANGHAI, BusinessCalendar(holidays=frozenset({date(2026, 3, 9)})))
    d = drive(sla_flow({"after": "P3D", "working_days": True, "action": "remind"}), ctx=ctx)
    d.now = datetime(2026, 3, 5, 10, 0, tzinfo=SHANGHAI)  # Thursday
    d.start()
    (timer,) = d.state.timers.values()
    # Fri 6, (Sat, Sun, Mon 9 a holiday), Tue 10, Wed 11
    assert timer.at == datetime(2026, 3, 11, 10, 0, tzinfo=SHANGHAI)


def test_working_days_make_up_day():
    calendar = BusinessCalendar(workdays=frozenset({date(2026, 3, 7)}))
    friday = datetime(2026, 3, 6, 9, 0, tzinfo=SHANGHAI)
    assert add_duration(friday, parse_duration("P1D"), SHANGHAI, True, calendar) == \
        datetime(2026, 3, 7, 9, 0, tzinfo=SHANGHAI)
    assert add_duration(friday, parse_duration("P1DT2H"), SHANGHAI, False) == friday + timedelta(days=1, hours=2)


@pytest.mark.parametrize("text, expected", [
    ("PT15M", timedelta(minutes=15)), ("PT2H", timedelta(hours=2)), ("P3D", timedelta(days=3)),
    ("P1W", timedelta(days=7)), ("P1DT1H30M", timedelta(days=1, hours=1, minutes=30)), ("PT45S", timedelta(seconds=45)),
])
def test_durations(text, expected):
    assert parse_duration(text).total == expected


@pytest.mark.parametrize("text", ["", "P", "PT", "3D", "P1.5D", "P1M", "-P1D", "PT1D"])
def test_bad_durations(text):
    assert parse_duration(text) is None


def test_cron_next_times():
    monday_8 = datetime(2026, 3, 2, 8, 0, tzinfo=SHANGHAI)
    assert next_time("0 9 * * *", monday_8, SHANGHAI) == datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)
    assert next_time("0 9 * * *", monday_8.replace(hour=9), SHANGHAI) == datetime(2026, 3, 3, 9, 0, tzinfo=SHANGHAI)
    assert next_time("*/15 * * * *", monday_8.replace(minute=7), SHANGHAI).minute == 15
    assert next_time("30 18 * * fri", monday_8, SHANGHAI) == datetime(2026, 3, 6, 18, 30, tzinfo=SHANGHAI)
    assert next_time("0 0 1 * *", monday_8, SHANGHAI) == datetime(2026, 4, 1, 0, 0, tzinfo=SHANGHAI)
    assert next_time("@daily", monday_8, SHANGHAI) == datetime(2026, 3, 3, 0, 0, tzinfo=SHANGHAI)
    assert next_time("0 9 29 2 *", monday_8, SHANGHAI) == datetime(2028, 2, 29, 9, 0, tzinfo=SHANGHAI)


@pytest.mark.parametrize("text", ["0 9 * *", "60 * * * *", "* 24 * * *", "0 9 * * mon-", "*/0 * * * *", "0 9 5-1 * *",
                                  "a b c d e"])
def test_bad_cron(text):
    with pytest.raises(CronError):
        parse_cron(text)
