"""A rule definition → CompiledRule: its condition and every action's expressions compiled against the rule's form
(or the form an action names), its message templates compiled — once per published app version."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping

from engines.expr import Compiled, ExprError, Scope, compile_expression
from engines.problems import ProblemsError, pointer
from engines.rules.actions import ACTIONS, ExprSpec, TemplateSpec
from engines.rules.definition import BRANCHES, RuleDef


@dataclass
class CompiledRule:
    definition: RuleDef
    condition: Compiled | None = None
    exprs: dict[tuple[str, int, str], Compiled] = field(default_factory=dict)
    templates: dict[tuple[str, int, str], Any] = field(default_factory=dict)
    paths: set[tuple[str, ...]] = field(default_factory=set)  # what the record must carry (linked values) to evaluate

    @property
    def key(self) -> str:
        return self.definition.key

    @property
    def form(self) -> str:
        return self.definition.form

    def actions(self, branch: str):
        """(index, action, its type) of a branch, in order."""
        return [(i, a, ACTIONS.get(a.action)) for i, a in enumerate(self.definition.branch(branch))]

    def fires(self, event: str, changed: set[str] | None) -> bool:
        """Does this write (created, or updated with these fields changed) run the rule?"""
        rule = self.definition
        if not rule.enabled or event not in rule.on:
            return False
        return event == "created" or not rule.fields or bool(changed and changed & set(rule.fields))

    @property
    def acting(self) -> bool:
        return any(t.acting(a) for branch in BRANCHES for _, a, t in self.actions(branch))


def expression_specs(rule: RuleDef) -> Iterator[tuple[tuple, ExprSpec]]:
    """(lookup key, spec with its path under the rule) for every expression of the rule's actions."""
    for branch in BRANCHES:
        for i, action in enumerate(rule.branch(branch)):
            for spec in ACTIONS.get(action.action).expressions(action):
                yield (branch, i, spec.name), ExprSpec(spec.name, spec.text, (branch, i, *spec.path), spec.expect,
                                                       spec.form, spec.into)


def template_specs(rule: RuleDef) -> Iterator[tuple[tuple, TemplateSpec]]:
    for branch in BRANCHES:
        for i, action in enumerate(rule.branch(branch)):
            for spec in ACTIONS.get(action.action).templates(action):
                yield (branch, i, spec.name), TemplateSpec(spec.name, spec.text, (branch, i, *spec.path))


def compile_spec(spec: ExprSpec, forms: Mapping[str, Any], form: str) -> Compiled:
    return compile_expression(spec.text, Scope(forms, spec.form or form), "bool" if spec.expect == "bool" else None)


def compile_rule(doc: Any, forms: Mapping[str, Any]) -> CompiledRule:
    """The runnable rule, or ProblemsError (paths under the rule). `validate_rules` gives the full list first."""
    from engines.flow.templates import compile_template

    rule = doc if isinstance(doc, RuleDef) else RuleDef.model_validate(doc)
    compiled = CompiledRule(rule)
    problems = []
    if rule.when:
        try:
            compiled.condition = compile_expression(rule.when, Scope(forms, rule.form), "bool")
            compiled.paths |= compiled.condition.paths
        except ExprError as e:
            problems.append(e.problem("/when"))
    for key, spec in expression_specs(rule):
        try:
            compiled.exprs[key] = compile_spec(spec, forms, rule.form)
            if spec.form is None:
                compiled.paths |= compiled.exprs[key].paths
        except ExprError as e:
            problems.append(e.problem(pointer(*spec.path)))
    for key, spec in template_specs(rule):
        compiled.templates[key] = compile_template(spec.text)
    if problems:
        raise ProblemsError(problems)
    return compiled


def compile_rules(rules: list, forms: Mapping[str, Any]) -> dict[str, CompiledRule]:
    out = {}
    for i, rule in enumerate(rules):
        try:
            compiled = compile_rule(rule, forms)
        except ProblemsError as e:
            raise ProblemsError([p.under(f"/rules/{i}") for p in e.problems]) from None
        out[compiled.key] = compiled
    return out
