"""Linkage rules (显隐/联动): fields shown, hidden, required or given fewer options by the record's own values.

The browser evaluates the same rules for the user (frontend/src/expr/linkage.ts); the server enforces them,
so no client can store a value in a hidden field, skip a field the rules require, or pick an option they
rule out. Semantics, for the current values:
- a condition that is empty (NULL) or fails counts as false;
- a field is hidden when it is named in some rule's `show` and no such rule holds, or in the `hide` of a rule
  that holds;
- a field is required when the definition says so or it is named in the `require` of a rule that holds —
  but a hidden field is never required;
- a field's allowed options, when some rule that holds lists options for it, are the union of those lists.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel, ConfigDict, Field

from engines.problems import Problem, pointer

class LinkageRule(BaseModel):
    model_config = ConfigDict(extra="forbid")
    when: str = Field(min_length=1, max_length=4000, description="an expression over this form's own fields")
    show: list[str] = Field(default_factory=list, description="fields shown only while a rule showing them holds")
    hide: list[str] = Field(default_factory=list, description="fields hidden while this rule holds")
    require: list[str] = Field(default_factory=list, description="fields required while this rule holds")
    options: dict[str, list[str]] = Field(default_factory=dict,
                                          description="choice field → the option values allowed while this holds")


@dataclass
class State:
    hidden: set[str] = field(default_factory=set)
    required: set[str] = field(default_factory=set)
    options: dict[str, list[str]] = field(default_factory=dict)


def state(rules: list[LinkageRule], fields: list, holds: Callable[[int], bool]) -> State:
    """What the rules make of a record; `holds(i)` tells whether rule i's condition is true for it."""
    truth = [holds(i) for i in range(len(rules))]
    shown_by_rule = {key for rule in rules for key in rule.show}
    shown = {key for rule, true in zip(rules, truth) if true for key in rule.show}
    hidden = (shown_by_rule - shown) | {key for rule, true in zip(rules, truth) if true for key in rule.hide}
    required = {f.key for f in fields if f.required}
    required |= {key for rule, true in zip(rules, truth) if true for key in rule.require}
    allowed: dict[str, set[str]] = {}
    for rule, true in zip(rules, truth):
        if true:
            for key, values in rule.options.items():
                allowed.setdefault(key, set()).update(values)
    options = {}
    for f in fields:
        if f.key in allowed:
            options[f.key] = [o.value for o in f.options if o.value in allowed[f.key]]
    return State(hidden, required - hidden, options)


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def enforce(rules: list[LinkageRule], fields: list, holds: Callable[[int], bool], given: dict, values: dict,
            current: dict | None = None, path: str = "") -> tuple[list[Problem], State]:
    """Check one record's write against its rules. `given` is what the client sent, `values` the clean values
    to be stored (hidden fields are emptied in it), `current` the stored record when updating."""
    record = {**(current or {}), **values}
    result = state(rules, fields, holds)
    shown_by_rules = {key for rule in rules for key in rule.show}
    problems = []
    for f in fields:
        key = f.key
        if key in result.hidden:
            if not _empty(given.get(key)):
                problems.append(Problem(path + pointer(key), "hidden_by_linkage"))
            elif current is None or not _empty(current.get(key)):
                values[key] = None  # what the user cannot see is not kept
            continue
        # a field the definition requires is checked by the form engine, except on an update that brings a
        # required field into view: the stored record must then have it too
        judged = not f.required or (current is not None and key in shown_by_rules)
        if key in result.required and judged and _empty(record.get(key)):
            problems.append(Problem(path + pointer(key), "required"))
        if key in result.options and key in values and not _empty(values[key]):
            chosen = values[key] if isinstance(values[key], list) else [values[key]]
            for value in chosen:
                if value not in result.options[key]:
                    problems.append(Problem(path + pointer(key), "option_ruled_out",
                                            {"value": value, "options": ", ".join(result.options[key])}))
    return problems, result
