"""Forms, roles and an org chart for the flow-engine tests, and a small driver that keeps an instance's rows and
history the way the runtime would (applying each step's change set)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from engines.flow import (FlowContext, FlowFacts, OrgChart, Start, TaskAction, compile_flow, step, validate_flow)
from engines.flow.effects import CreateTask
from engines.flow.state import FlowState
from engines.form.definition import FormDef

SHANGHAI = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=timezone.utc)  # Monday 09:00 in Shanghai

FORMS = {form["key"]: FormDef.model_validate(form) for form in [
    {"key": "customer", "name": "客户", "fields": [
        {"key": "name", "type": "text"}, {"key": "level", "type": "select", "options": ["gold", "silver"]},
        {"key": "sales", "type": "member"}]},
    {"key": "refund", "name": "退款", "fields": [
        {"key": "no", "type": "text"},
        {"key": "amount", "type": "money"},
        {"key": "status", "type": "select", "options": ["new", "approved", "rejected", "paid"]},
        {"key": "reason", "type": "text"},
        {"key": "handler", "type": "member"},
        {"key": "customer", "type": "relation", "target": "customer"},
        {"key": "due_on", "type": "date"},
        {"key": "paid", "type": "checkbox"},
        {"key": "file", "type": "attachment"},
        {"key": "total", "type": "formula", "expr": "amount * 2", "result": "money"}]},
    {"key": "order", "name": "订单", "fields": [
        {"key": "customer", "type": "relation", "target": "customer"},
        {"key": "amount", "type": "money"}, {"key": "status", "type": "text"}]},
]}
ROLES = {"manager", "finance", "supervisor", "admin"}

INITIATOR, MANAGER, FIN_A, FIN_B, BOSS, SUPER, OTHER = 1, 2, 3, 4, 5, 6, 7
ORG = OrgChart(
    roles={"manager": [MANAGER], "finance": [FIN_A, FIN_B], "supervisor": [SUPER], "admin": [BOSS]},
    managers={INITIATOR: MANAGER, MANAGER: BOSS, FIN_A: BOSS, FIN_B: BOSS, OTHER: SUPER},
    departments={INITIATOR: 10, MANAGER: 10, BOSS: 1}, heads={10: MANAGER, 1: BOSS}, parents={10: 1})
CTX = FlowContext(directory=ORG, tz=SHANGHAI)


def flow_doc(nodes, edges, trigger=None, **extra):
    return {"key": "f", "name": "流程", "trigger": trigger or {"type": "record_created", "form": "refund"},
            "nodes": nodes, "edges": [dict(zip(("from", "to"), e)) if isinstance(e, tuple) else e for e in edges],
            **extra}


def chain(*nodes, **extra):
    """start → nodes… → end in a line."""
    ids = ["start"] + [n["id"] for n in nodes] + ["end"]
    return flow_doc([{"id": "start", "type": "start"}, *nodes, {"id": "end", "type": "end"}],
                    list(zip(ids, ids[1:])), **extra)


def problems_of(doc, **facts):
    facts = FlowFacts(FORMS, facts.get("roles", ROLES), facts.get("flows", {"f", "child"}),
                      facts.get("print_templates", {"slip"}))
    return validate_flow(doc, facts)


def compiled(doc, version=1):
    problems = problems_of(doc)
    assert not problems, [(p.path, p.code, p.message("en")) for p in problems]
    return compile_flow(doc, FORMS, version)


@dataclass
class Driver:
    """One instance driven by events; keeps all history and effects, checks the change set matches the state."""
    flow: object
    ctx: FlowContext = CTX
    state: FlowState | None = None
    effects: list = field(default_factory=list)
    history: list = field(default_factory=list)
    now: datetime = T0

    def send(self, event):
        before = self.state
        result = step(self.flow, before, event, self.ctx)
        for task_id, row in result.changes.tasks.items():
            assert result.state.tasks[task_id] is row
        if before is not None:  # the change set is exactly what differs
            changed = {k for k, v in result.state.tasks.items() if before.tasks.get(k) is not v}
            assert changed == set(result.changes.tasks)
        self.state = result.state
        self.effects += result.effects
        self.history += result.changes.history
        self.last = result
        return result

    def start(self, record=None, initiator=INITIATOR, **kw):
        record = {"id": 100, "no": "R1", "amount": 300, "status": "new", **(record or {})}
        return self.send(Start(self.now, 1, initiator, record, **kw))

    def later(self, **delta):
        self.now += timedelta(**delta)
        return self.now

    def task_for(self, user, status="pending"):
        found = [t for t in self.state.tasks.values() if t.assignee == user and t.status == status]
        assert len(found) == 1, (user, status, self.state.tasks)
        return found[0]

    def act(self, user, action="approve", **kw):
        return self.send(TaskAction(self.now, self.task_for(user).id, action, user, **kw))

    def pending(self):
        return sorted(t.assignee for t in self.state.tasks.values() if t.status == "pending")

    def created(self, result=None):
        return [e.assignee for e in (result or self.last).effects if isinstance(e, CreateTask)]

    @property
    def status(self):
        return self.state.instance.status

    def of(self, kind, result=None):
        return [e for e in (result.effects if result else self.effects) if type(e).__name__ == kind]


@pytest.fixture
def drive():
    return lambda doc, **kw: Driver(compiled(doc), **kw)
