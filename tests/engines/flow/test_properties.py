"""Random event sequences never crash the interpreter (only ActionRefused, which changes nothing), and a finished
instance never has open tasks, live tokens or armed timers, nor gets new tasks."""
from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings, strategies as st

from engines.flow import ActionRefused, RecordChanged, TaskAction, TimerFired, Withdraw, step
from engines.flow.effects import CreateTask, ScheduleTimer
from engines.flow.state import CLOSED
from tests.engines.flow.conftest import CTX, INITIATOR, T0, Driver, compiled, flow_doc

USERS = [1, 2, 3, 4, 5, 6, 7]
ACTIONS = ["approve", "reject", "submit", "return", "transfer", "add_signer", "urge", "comment", "read", "fly"]

FLOW = compiled(flow_doc(
    [{"id": "start", "type": "start"},
     {"id": "first", "type": "approval", "assignees": {"role": "finance"}, "mode": "sequential",
      "timeout": [{"after": "P1D", "action": "remind"}, {"after": "P2D", "action": "escalate"}]},
     {"id": "fork", "type": "parallel"},
     {"id": "a", "type": "approval", "assignees": {"role": "finance"}, "mode": "countersign", "cc": {"user": 7},
      "timeout": {"after": "P3D", "action": "auto_approve"}},
     {"id": "b", "type": "fill_in", "assignees": {"manager": {}}, "fields": [{"field": "reason", "required": False}]},
     {"id": "join", "type": "join"},
     {"id": "c", "type": "approval", "assignees": [{"role": "admin"}, {"user": 1}], "mode": "or_sign",
      "timeout": {"after": "PT1H", "action": "auto_reject"}},
     {"id": "w", "type": "wait_until", "condition": "paid", "timeout": "P1D"},
     {"id": "end", "type": "end"}],
    [("start", "first"), ("first", "fork"), ("fork", "a"), ("fork", "b"), ("a", "join"), ("b", "join"),
     ("join", "c"), ("c", "w"), ("w", "end")]))

event_choice = st.tuples(st.integers(0, 5), st.integers(0, 50), st.sampled_from(USERS), st.sampled_from(ACTIONS),
                         st.sampled_from(USERS), st.sampled_from(["before", "after"]),
                         st.sampled_from(["start", "first", "a", "b", "c", "nowhere"]), st.integers(0, 200))


def make_event(state, choice, now):
    kind, pick, by, action, other, where, node, minutes = choice
    tasks = sorted(state.tasks.values(), key=lambda t: t.id)
    timers = sorted(state.timers.values(), key=lambda t: t.id)
    pending = [t for t in tasks if t.status == "pending"]
    if kind <= 2 and tasks:
        task = (pending or tasks)[pick % len(pending or tasks)] if pick % 5 else tasks[pick % len(tasks)]
        if pick % 4:
            by = task.assignee
        if pick % 3 == 0:
            action = "approve" if task.kind == "approval" else "submit"
        to = node if action == "return" else other
        return TaskAction(now, task.id, action, by, to=to, users=(other,), where=where)
    if kind == 3 and timers:
        return TimerFired(now, timers[pick % len(timers)].id)
    if kind == 4 and pick % 5 == 0:
        return Withdraw(now, INITIATOR if pick % 2 else by)
    return RecordChanged(now, {"paid": pick % 4 == 0})


@settings(max_examples=150, deadline=None)
@given(st.lists(event_choice, min_size=1, max_size=40))
def test_random_event_sequences(choices):
    d = Driver(FLOW)
    d.start({"paid": False})
    now = T0
    for choice in choices:
        now += timedelta(minutes=choice[-1] * 30)
        event = make_event(d.state, choice, now)
        before = d.state
        try:
            result = step(FLOW, before, event, CTX)
        except ActionRefused:
            continue
        if before.instance.status in CLOSED:
            assert not [e for e in result.effects if isinstance(e, (CreateTask, ScheduleTimer))]
        d.state = result.state
        state = d.state
        if state.instance.status in CLOSED:
            assert not state.open_tasks()
            assert not [t for t in state.tokens.values() if t.status in ("active", "waiting")]
            assert not [t for t in state.timers.values() if t.status == "scheduled"]
        else:
            assert [t for t in state.tokens.values() if t.status in ("active", "waiting")]
        for task in state.tasks.values():
            if task.status == "pending":
                assert state.tokens[task.token].status == "waiting"
