"""Validation of rules at publish: every problem at once, each with a JSON pointer under /rules/i — the form and the
fields a rule names, its schedule, its condition and every action's expressions type-checked with positions (and
the result fitting the field it fills), each action's own checks, templates that compile."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping

from engines.expr import ExprError
from engines.expr.types import type_args
from engines.flow.compiler import result_fits
from engines.flow.cron import CronError, parse_cron
from engines.flow.validate import SYSTEM_FIELD_TYPES
from engines.form.fields import FIELD_TYPES
from engines.print.sandbox import PrintError
from engines.problems import Problem, pointer, schema_location, schema_problem
from engines.rules.actions import ACTIONS
from engines.rules.compiler import compile_spec, expression_specs, template_specs
from engines.rules.definition import BRANCHES, RuleDef
from engines.rules import errors  # noqa: F401  (message codes)

MEMBER_TYPES = {"member", "created_by", "updated_by"}


@dataclass
class RuleFacts:
    """What a rule is checked against: the app's forms, its flows (key → the form they run on) and role keys."""
    forms: Mapping[str, Any]
    form: str = ""
    flows: dict[str, str | None] = field(default_factory=dict)
    roles: set[str] = field(default_factory=set)

    def field(self, key: str, form: str | None = None):
        found = self.forms.get(form or self.form)
        if found is None:
            return None
        return next((f for f in found.fields if f.key == key), None)

    def member_field(self, key: str) -> bool:
        f = self.field(key)
        return key in ("owner", "created_by", "updated_by") if f is None else f.type in MEMBER_TYPES

    def writable_member(self, key: str) -> bool:
        f = self.field(key)
        return key == "owner" if f is None else f.type == "member"


def validate_rules(rules: Iterable[RuleDef], forms: Mapping[str, Any], flows: Mapping[str, str | None] | None = None,
                   roles: Iterable[str] = ()) -> list[Problem]:
    """Problems of an app's parsed `rules`, with pointers from the document root (/rules/i/…)."""
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, rule in enumerate(rules):
        here = pointer("rules", i)
        if rule.key in seen:
            problems.append(Problem(here + "/key", "duplicate_key",
                                    {"key": rule.key, "other": f"/rules/{seen[rule.key]}"}))
        seen.setdefault(rule.key, i)
        facts = RuleFacts(forms, rule.form, dict(flows or {}), set(roles))
        problems += [p.under(here) for p in validate_rule(rule, facts)]
    return problems


def validate_rule(rule: RuleDef, facts: RuleFacts) -> list[Problem]:
    if facts.forms.get(rule.form) is None:
        return [Problem("/form", "unknown_form", {"key": rule.form})]
    problems: list[Problem] = []
    if not rule.then and not rule.else_:
        problems.append(Problem("/then", "rule_no_actions"))
    if rule.fields and "updated" not in rule.on:
        problems.append(Problem("/fields", "rule_fields_need_updated"))
    for j, key in enumerate(rule.fields):
        if facts.field(key) is None and key not in SYSTEM_FIELD_TYPES:
            problems.append(Problem(f"/fields/{j}", "unknown_field", {"form": rule.form, "key": key}))
    if rule.schedule is not None:
        try:
            parse_cron(rule.schedule)
        except CronError as e:
            problems.append(Problem("/schedule", "rule_bad_cron", {"value": rule.schedule, "reason": str(e)}))
    if rule.when:
        from engines.expr import Scope, compile_expression

        try:
            compile_expression(rule.when, Scope(facts.forms, rule.form), "bool")
        except ExprError as e:
            problems.append(e.problem("/when"))
    refused: set[tuple[str, int]] = set()  # actions whose fields are wrong: their expressions would only echo it
    for branch in BRANCHES:
        tags: dict[tuple[str, str], str] = {}
        for i, action in enumerate(rule.branch(branch)):
            found = ACTIONS.get(action.action).check(action, facts)
            problems += [p.under(pointer(branch, i)) for p in found]
            if found:
                refused.add((branch, i))
            if action.action in ("add_tag", "remove_tag"):
                other = tags.setdefault((action.field, action.tag), action.action)
                if other != action.action:
                    problems.append(Problem(pointer(branch, i, "tag"), "rule_tag_conflict", {"tag": action.tag}))
    return problems + _expressions(rule, facts, refused)


def _expressions(rule: RuleDef, facts: RuleFacts, refused: set) -> list[Problem]:
    from engines.flow.templates import compile_template

    problems = []
    for key, spec in expression_specs(rule):
        if key[:2] in refused:
            continue
        try:
            compiled = compile_spec(spec, facts.forms, rule.form)
        except ExprError as e:
            problems.append(e.problem(pointer(*spec.path)))
            continue
        expect = _target_kind(spec, facts)
        if expect and not result_fits(compiled.type, expect):
            problems.append(Problem(pointer(*spec.path), "expr_wrong_result", type_args(expect, compiled.type)))
    for _, spec in template_specs(rule):
        try:
            compile_template(spec.text)
        except PrintError as e:
            problems.append(Problem(pointer(*spec.path), "flow_bad_template", {"line": e.line or 1, "error": e.error}))
    return problems


def _target_kind(spec, facts: RuleFacts) -> str | None:
    if spec.into is None:
        return None
    form, key = spec.into
    f = facts.field(key, form)
    if f is None or f.type not in FIELD_TYPES:
        return None
    kind = FIELD_TYPES.get(f.type).expr_kind_for(f)
    return kind if kind in ("number", "text", "bool", "date", "datetime") else None


def problem_from_pydantic(err: dict) -> Problem:
    """A schema error inside the rules section, named the way builders read it (an unknown action by name)."""
    # the discriminated union puts the action's name into the location (…/then/1/add_tag/tag): drop it
    loc = schema_location(err, lambda loc, n: n > 0 and isinstance(loc[n - 1], int) and loc[n] in ACTIONS)
    if err["type"] == "string_pattern_mismatch" and loc and loc[-1] in ("key", "form", "field", "into", "flow",
                                                                         "source", "via", "date", "amount"):
        return Problem(pointer(*loc), "bad_key")
    return schema_problem(err, loc, "action", "rule_unknown_action", ACTIONS.keys())
