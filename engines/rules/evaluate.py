"""Event time: one rule over one record, in memory. `evaluate` decides the branch and computes the new field values
(every action reads the record as the rule found it; actions on the same field build on each other, in order);
`act` gives the effects of the per-record actions, read on the record as the rule left it."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from engines.expr import EvalContext
from engines.flow.assignees import Directory, OrgChart, resolve
from engines.rules.compiler import CompiledRule


@dataclass
class EventRun:
    """What a field action sees of one record (`values`, `holds`)."""
    rule: CompiledRule
    record: Mapping[str, Any]
    ctx: EvalContext
    sources: Mapping[tuple[str, str], str] = field(default_factory=dict)  # (tags field, tag) → rule that set it
    all_facts: Mapping[tuple[str, int], Any] = field(default_factory=dict)  # what the runtime loaded (rfm)
    pending: dict[str, Any] = field(default_factory=dict)
    at: tuple[str, int] = ("then", 0)

    def value(self, name: str) -> Any:
        return self.rule.exprs[(*self.at, name)].evaluate(self.record, self.ctx)

    def holds(self, name: str) -> bool:
        return self.value(name) is True

    def current(self, key: str) -> Any:
        return self.pending[key] if key in self.pending else self.record.get(key)

    def set(self, key: str, value: Any) -> None:
        self.pending[key] = value

    def tag_source(self, key: str, tag: str) -> str | None:
        return self.sources.get((key, tag))

    def facts(self) -> Any:
        return self.all_facts.get(self.at)


@dataclass
class Outcome:
    matched: bool  # the condition held (the then-branch ran)
    branch: str
    values: dict[str, Any]  # new values of the fields the branch's actions set (unchanged ones included)
    acting: list[tuple[int, Any, Any]]  # (index, action, type) of the per-record actions that hold for the record


def evaluate(rule: CompiledRule, record: Mapping[str, Any], ctx: EvalContext,
             sources: Mapping | None = None, facts: Mapping | None = None) -> Outcome:
    matched = rule.condition is None or rule.condition.evaluate(record, ctx) is True
    branch = "then" if matched else "else"
    run = EventRun(rule, record, ctx, sources or {}, facts or {})
    acting = []
    for i, action, kind in rule.actions(branch):
        run.at = (branch, i)
        kind.values(action, run)
        if kind.acting(action) and kind.holds(action, run):
            acting.append((i, action, kind))
    return Outcome(matched, branch, run.pending, acting)


@dataclass
class ActRun:
    """What a per-record action sees: the record as the rule left it, the org chart, where effects go."""
    rule: CompiledRule
    record: Mapping[str, Any]
    ctx: EvalContext
    directory: Directory = field(default_factory=OrgChart)
    at: tuple[str, int] = ("then", 0)
    effects: list = field(default_factory=list)

    def value(self, name: str) -> Any:
        return self.rule.exprs[(*self.at, name)].evaluate(self.record, self.ctx)

    def render(self, name: str) -> str:
        from engines.flow.templates import render

        context = {"record": dict(self.record), "rule": {"key": self.rule.key, "name": self.rule.definition.name},
                   "now": self.ctx.now}
        return render(self.rule.templates[(*self.at, name)], context)

    def resolve(self, specs) -> list[int]:
        return resolve(specs or [], self.directory, dict(self.record), None)

    def emit(self, effect: Any) -> None:
        self.effects.append((self.at[1], effect))


def act(rule: CompiledRule, branch: str, acting: list, record: Mapping[str, Any], ctx: EvalContext,
        directory: Directory | None = None) -> list[tuple[int, Any]]:
    """(action index, effect) of the per-record actions, in order."""
    run = ActRun(rule, record, ctx, directory or OrgChart())
    for i, action, kind in acting:
        run.at = (branch, i)
        kind.act(action, run)
    return run.effects
