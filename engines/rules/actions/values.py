"""Actions that compute a field's value: set_field (an expression), score (weighted conditions added up, e.g. a
lead score) and stage (the first stage whose condition holds, e.g. a lifecycle stage). Each is one expression over
the record as the rule found it — evaluated in Python for one record, compiled to SQL for all of them."""
from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Float, Text, case, literal

from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem
from engines.rules.actions.base import ActionBase, ActionType, ExprSpec

# Field types an action may set, by the kind of value they take (a value any other way would need checks the
# database cannot make the way the form does: patterns, files, people who must exist…).
SETTABLE = {"text": "text", "long_text": "text", "select": "text", "radio": "text", "number": "number",
            "money": "number", "percent": "number", "checkbox": "bool", "switch": "bool",
            "date": "date", "datetime": "datetime"}
CHOICE_TYPES = {"select", "radio"}


def settable_problems(facts, key: str, path: str, kinds: tuple[str, ...] | None = None) -> list[Problem]:
    f = facts.field(key)
    if f is None:
        return [Problem(path, "unknown_field", {"form": facts.form, "key": key})]
    kind = SETTABLE.get(f.type)
    if kind is None or getattr(f, "pattern", None) or (kinds and kind not in kinds):
        return [Problem(path, "rule_field_not_settable", {"key": key, "type": f.type})]
    return []


def option_problems(facts, key: str, value, path: str) -> list[Problem]:
    f = facts.field(key)
    if f is None or f.type not in CHOICE_TYPES or value is None:
        return []
    options = [o.value for o in f.options]
    if value not in options:
        return [Problem(path, "not_option", {"value": value, "options": ", ".join(options[:20])})]
    return []


class SetFieldDef(ActionBase):
    action: Literal["set_field"]
    field: str = Field(pattern=KEY_PATTERN)
    value: str = Field(max_length=4000, description="an expression over the record, e.g. 'vip' or amount * 0.1")


class Term(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: str = Field(max_length=4000)
    points: float = Field(ge=-1e9, le=1e9)


class ScoreDef(ActionBase):
    action: Literal["score"]
    into: str = Field(pattern=KEY_PATTERN, description="a number field")
    base: float = Field(default=0, ge=-1e9, le=1e9)
    terms: list[Term] = Field(min_length=1, max_length=100)


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: str = Field(max_length=4000)
    value: str = Field(min_length=1, max_length=200)


class StageDef(ActionBase):
    action: Literal["stage"]
    into: str = Field(pattern=KEY_PATTERN, description="a select (or text) field")
    stages: list[Stage] = Field(min_length=1, max_length=100)
    default: str | None = Field(default=None, max_length=200, description="when no stage holds; none: unchanged")


class SetField(ActionType):
    key, label, props = "set_field", ("设置字段", "Set field"), SetFieldDef

    def expressions(self, action):
        return [ExprSpec("value", action.value, ("value",), into=(None, action.field))]

    def check(self, action, facts):
        return settable_problems(facts, action.field, "/field")

    def writes(self, action):
        return [action.field]

    def values(self, action, run):
        run.set(action.field, run.value("value"))

    def values_sql(self, action, build):
        build.set(action.field, build.sql("value"))


class Score(ActionType):
    key, label, props = "score", ("打分", "Score"), ScoreDef

    def expressions(self, action):
        return [ExprSpec(f"terms.{i}", t.when, ("terms", i, "when"), "bool") for i, t in enumerate(action.terms)]

    def check(self, action, facts):
        return settable_problems(facts, action.into, "/into", ("number",))

    def writes(self, action):
        return [action.into]

    def values(self, action, run):
        run.set(action.into, action.base + sum(t.points for i, t in enumerate(action.terms)
                                               if run.holds(f"terms.{i}")))

    def values_sql(self, action, build):
        total = literal(action.base, Float())
        for i, t in enumerate(action.terms):
            total = total + case((build.condition(f"terms.{i}"), literal(t.points, Float())), else_=0.0)
        build.set(action.into, total)


class StageAction(ActionType):
    key, label, props = "stage", ("阶段", "Stage"), StageDef

    def expressions(self, action):
        return [ExprSpec(f"stages.{i}", s.when, ("stages", i, "when"), "bool") for i, s in enumerate(action.stages)]

    def check(self, action, facts):
        problems = settable_problems(facts, action.into, "/into", ("text",))
        if problems:
            return problems
        for i, s in enumerate(action.stages):
            problems += option_problems(facts, action.into, s.value, f"/stages/{i}/value")
        return problems + option_problems(facts, action.into, action.default, "/default")

    def writes(self, action):
        return [action.into]

    def values(self, action, run):
        chosen = next((s.value for i, s in enumerate(action.stages) if run.holds(f"stages.{i}")), action.default)
        if chosen is not None:
            run.set(action.into, chosen)

    def values_sql(self, action, build):
        otherwise = literal(action.default, Text()) if action.default is not None else build.current(action.into)
        build.set(action.into, case(*[(build.condition(f"stages.{i}"), literal(s.value, Text()))
                                      for i, s in enumerate(action.stages)], else_=otherwise))
