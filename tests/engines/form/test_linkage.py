"""Linkage semantics, pure: which fields a record's values show, hide, require and what options they allow."""
from __future__ import annotations

from engines.form.fields import FIELD_MODELS
from engines.form.linkage import LinkageRule, enforce, state

FIELDS = [FIELD_MODELS[raw["type"]].model_validate(raw) for raw in [
    {"key": "status", "type": "select", "options": ["paid", "refunded"]},
    {"key": "reason", "type": "text"},
    {"key": "express_no", "type": "text"},
    {"key": "channel", "type": "select", "options": ["online", "offline", "live"]},
    {"key": "city", "type": "select", "options": ["sz", "gz", "bj", "sh"]},
    {"key": "note", "type": "text", "required": True},
]]
RULES = [
    LinkageRule(when="status = 'refunded'", show=["reason"], require=["reason"]),
    LinkageRule(when="channel = 'offline'", hide=["express_no", "note"]),
    LinkageRule(when="channel = 'offline'", options={"city": ["sz", "gz"]}),
    LinkageRule(when="channel = 'live'", options={"city": ["bj", "sz"]}),
]


def holds_for(values: dict):
    conditions = {
        0: values.get("status") == "refunded",
        1: values.get("channel") == "offline",
        2: values.get("channel") == "offline",
        3: values.get("channel") == "live",
    }
    return lambda i: conditions[i]


def test_a_field_named_in_show_is_hidden_until_its_rule_holds():
    assert "reason" in state(RULES, FIELDS, holds_for({"status": "paid"})).hidden
    shown = state(RULES, FIELDS, holds_for({"status": "refunded"}))
    assert "reason" not in shown.hidden and "reason" in shown.required


def test_hidden_fields_are_never_required_and_options_are_the_union_in_option_order():
    offline = state(RULES, FIELDS, holds_for({"channel": "offline"}))
    assert {"express_no", "note"} <= offline.hidden and "note" not in offline.required
    assert offline.options == {"city": ["sz", "gz"]}
    assert state(RULES, FIELDS, holds_for({"channel": "online"})).options == {}
    assert state(RULES, FIELDS, holds_for({"channel": "live"})).options == {"city": ["sz", "bj"]}


def test_enforce_refuses_hidden_values_missing_requirements_and_ruled_out_options():
    values = {"status": "paid", "reason": "坏了", "channel": "offline", "city": "bj"}
    problems, _ = enforce(RULES, FIELDS, holds_for(values), dict(values), dict(values))
    assert {(p.path, p.code) for p in problems} == {("/reason", "hidden_by_linkage"), ("/city", "option_ruled_out")}
    values = {"status": "refunded", "channel": "online"}
    problems, _ = enforce(RULES, FIELDS, holds_for(values), dict(values), dict(values))
    assert [(p.path, p.code) for p in problems] == [("/reason", "required")]


def test_hidden_values_are_cleared_on_update_when_the_rule_hides_them():
    current = {"status": "refunded", "reason": "坏了"}
    values = {"status": "paid"}
    problems, _ = enforce(RULES, FIELDS, holds_for({**current, **values}), {"status": "paid"}, values, current)
    assert problems == [] and values == {"status": "paid", "reason": None}
