"""Waiting: a fixed delay (optionally in working days), or until a moment (an expression or a date field, with a
time of day) or until a condition on the record holds (re-checked whenever the record changes), with a timeout."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from typing import Literal

from pydantic import Field, model_validator

from engines.flow.durations import add_duration, parse_duration, parse_time
from engines.flow.nodes.base import ExprSpec, NodeBase, NodeType
from engines.problems import Problem


class DelayDef(NodeBase):
    type: Literal["delay"]
    duration: str = Field(description="ISO 8601, e.g. PT2H, P3D")
    working_days: bool = False


class WaitUntilDef(NodeBase):
    type: Literal["wait_until"]
    until: str | None = Field(default=None, description="an expression giving a date or date-time, e.g. due_on - 1")
    at: str | None = Field(default=None, description="HH:MM for a date result (in the deployment's zone)")
    condition: str | None = Field(default=None, description="wait until this holds for the record")
    timeout: str | None = Field(default=None, description="with condition: give up after this duration")

    @model_validator(mode="after")
    def _one_kind(self) -> "WaitUntilDef":
        if (self.until is None) == (self.condition is None):
            raise ValueError("a wait node needs either until (a moment) or condition")
        return self


def duration_problems(text: str | None, path: str) -> list[Problem]:
    if text is not None and parse_duration(text) is None:
        return [Problem(path, "flow_bad_duration", {"value": text})]
    return []


class Delay(NodeType):
    key, label, category, props = "delay", ("延时", "Delay"), "timer", DelayDef

    def check(self, node, facts):
        return duration_problems(node.duration, "/duration")

    def enter(self, run, token, node):
        at = add_duration(run.now, parse_duration(node.duration), run.ctx.tz, node.working_days, run.ctx.calendar)
        run.schedule(token, node.id, "delay", at)

    def resume(self, run, token, node, event):
        run.log(node.id, "waited")
        run.advance(token)


class WaitUntil(NodeType):
    key, label, category, props = "wait_until", ("等待", "Wait until"), "timer", WaitUntilDef
    outcomes, default_outcome = ("reached", "timeout"), "reached"

    def expressions(self, node):
        if node.until is not None:
            return [ExprSpec("until", node.until, ("until",), expect="moment")]
        return [ExprSpec("condition", node.condition, ("condition",), expect="bool")]

    def check(self, node, facts):
        problems = duration_problems(node.timeout, "/timeout")
        if node.at is not None and parse_time(node.at) is None:
            problems.append(Problem("/at", "flow_bad_time", {"value": node.at}))
        return problems

    def enter(self, run, token, node):
        if node.condition is not None:
            if run.value(node.id, "condition"):
                run.advance(token, "reached")
                return
            run.wait(token, "condition")
            if node.timeout:
                run.schedule(token, node.id, "wait_timeout", run.now + parse_duration(node.timeout).total, wait=False)
            return
        moment = _moment(run.value(node.id, "until"), node.at, run.ctx.tz)
        if moment is None or moment <= run.now:
            run.log(node.id, "passed" if moment else "no_moment")
            run.advance(token, "reached")
        else:
            run.schedule(token, node.id, "wait", moment)

    def resume(self, run, token, node, event):
        timer = run.timers.get(getattr(event, "timer", None) or "")
        if timer is not None and timer.purpose == "wait_timeout":
            run.log(node.id, "timeout")
            run.advance(token, "timeout")
        elif timer is not None or node.condition is None or run.value(node.id, "condition"):
            run.cancel_timers(token.id, node.id)
            run.log(node.id, "reached")
            run.advance(token, "reached")


def _moment(value, at: str | None, tz) -> datetime | None:
    """A date becomes that day at `at` (or 00:00) in the zone; a stored date-time is naive UTC."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if isinstance(value, date):
        clock = parse_time(at) if at else time(0, 0)
        return datetime.combine(value, clock).replace(tzinfo=tz)
    return None
