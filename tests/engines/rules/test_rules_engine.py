"""The rules engine in memory: validation with pointers, event-time evaluation of every action, RFM tiles."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from engines.expr import EvalContext
from engines.flow.assignees import OrgChart
from engines.form.definition import FormDef
from engines.rules import ACTIONS, RuleDef, act, compile_rule, evaluate, validate_rules
from engines.rules import effects as fx
from engines.rules.actions.scoring import segment, tile

CUSTOMER = FormDef.model_validate({"key": "customer", "name": "客户", "fields": [
    {"key": "name", "type": "text"}, {"key": "spent", "type": "money"}, {"key": "tags", "type": "tags"},
    {"key": "level", "type": "select", "options": ["new", "vip"]}, {"key": "score", "type": "number"},
    {"key": "sales", "type": "member"}, {"key": "region", "type": "text"}, {"key": "seen", "type": "date"},
    {"key": "code", "type": "text", "pattern": "^[A-Z]+$"}]})
ORDER = FormDef.model_validate({"key": "order", "name": "订单", "fields": [
    {"key": "customer", "type": "relation", "target": "customer"}, {"key": "amount", "type": "money"},
    {"key": "paid_at", "type": "datetime"}, {"key": "note", "type": "text"}]})
FORMS = {"customer": CUSTOMER, "order": ORDER}
FLOWS = {"recall": "customer", "order_flow": "order"}
CTX = EvalContext(now=datetime(2024, 6, 30, 12, tzinfo=timezone.utc), tz=timezone.utc, user_id=1)


def rule(then, **extra) -> RuleDef:
    return RuleDef.model_validate({"key": "r", "name": "规则", "form": "customer", "then": then, **extra})


def problems(*rules) -> list[tuple[str, str]]:
    return [(p.path, p.code) for p in validate_rules(list(rules), FORMS, FLOWS, ["sales"])]


@pytest.mark.parametrize("then, extra, expected", [
    ([{"action": "add_tag", "field": "name", "tag": "x"}], {}, [("/rules/0/then/0/field", "rule_not_tags_field")]),
    ([{"action": "add_tag", "field": "nope", "tag": "x"}], {}, [("/rules/0/then/0/field", "unknown_field")]),
    ([{"action": "set_field", "field": "level", "value": "spent"}], {},
     [("/rules/0/then/0/value", "expr_wrong_result")]),
    ([{"action": "set_field", "field": "code", "value": "'A'"}], {},
     [("/rules/0/then/0/field", "rule_field_not_settable")]),
    ([{"action": "set_field", "field": "score", "value": "spent +"}], {}, [("/rules/0/then/0/value", "expr_syntax")]),
    ([{"action": "add_tag", "tag": "x"}], {"when": "spent > 'a'"}, [("/rules/0/when", "expr_compare_types")]),
    ([{"action": "add_tag", "tag": "x"}], {"schedule": "61 * * * *"}, [("/rules/0/schedule", "rule_bad_cron")]),
    ([{"action": "add_tag", "tag": "x"}], {"fields": ["spent"]}, [("/rules/0/fields", "rule_fields_need_updated")]),
    ([{"action": "add_tag", "tag": "x"}, {"action": "remove_tag", "tag": "x"}], {},
     [("/rules/0/then/1/tag", "rule_tag_conflict")]),
    ([{"action": "stage", "into": "level", "stages": [{"when": "spent > 1", "value": "gold"}]}], {},
     [("/rules/0/then/0/stages/0/value", "not_option")]),
    ([{"action": "start_flow", "flow": "order_flow"}], {}, [("/rules/0/then/0/flow", "rule_flow_form")]),
    ([{"action": "start_flow", "flow": "ghost"}], {}, [("/rules/0/then/0/flow", "rule_unknown_flow")]),
    ([{"action": "notify", "to": {"role": "boss"}, "template": "{{ record.name"}], {},
     [("/rules/0/then/0/template", "flow_bad_template"), ("/rules/0/then/0/to/0/role", "flow_unknown_role")]),
    ([{"action": "assign_owner", "field": "region", "strategy": "round_robin", "to": {"users": [1]}}], {},
     [("/rules/0/then/0/field", "rule_not_member_field")]),
    ([{"action": "create_task", "form": "order", "values": {"amount": "name"}}], {},
     [("/rules/0/then/0/values/amount", "expr_wrong_result")]),
    ([{"action": "rfm", "source": "order", "via": "note", "date": "amount", "amount": "paid_at",
       "into": {"r": "level"}}], {},
     [("/rules/0/then/0/amount", "rule_field_kind"), ("/rules/0/then/0/date", "rule_field_kind"),
      ("/rules/0/then/0/into/r", "rule_field_not_settable"), ("/rules/0/then/0/via", "rule_not_relation")]),
    ([{"action": "churn", "date": "spent", "days": 30, "tag": "流失"}], {},
     [("/rules/0/then/0/date", "rule_field_kind")]),
    ([], {}, [("/rules/0/then", "rule_no_actions")]),
])
def test_problems_are_named_with_their_place(then, extra, expected):
    assert sorted(problems(rule(then, **extra))) == sorted(expected)


def test_a_good_rule_and_duplicate_keys():
    good = rule([{"action": "add_tag", "tag": "VIP"}], when="spent > 5000", on=["created", "updated"],
                schedule="0 2 * * *")
    assert problems(good) == []
    assert problems(good, good) == [("/rules/1/key", "duplicate_key")]


def run(then, record, else_=(), when=None, sources=None, facts=None):
    compiled = compile_rule(rule(list(then), **({"else": list(else_)} if else_ else {}),
                                 **({"when": when} if when else {})), FORMS)
    return compiled, evaluate(compiled, record, CTX, sources or {}, facts or {})


def test_tags_are_added_once_and_removed_only_where_a_rule_put_them():
    _, out = run([{"action": "add_tag", "tag": "VIP"}, {"action": "add_tag", "tag": "VIP"}], {"tags": ["a"]})
    assert out.values == {"tags": ["a", "VIP"]}
    _, out = run([{"action": "remove_tag", "tag": "VIP"}], {"tags": ["VIP"]})
    assert out.values == {}  # a person put it
    _, out = run([{"action": "remove_tag", "tag": "VIP"}], {"tags": ["VIP"]}, sources={("tags", "VIP"): "r"})
    assert out.values == {"tags": None}  # emptied: empty
    _, out = run([{"action": "remove_tag", "tag": "VIP", "keep_manual": False}], {"tags": ["VIP", "b"]})
    assert out.values == {"tags": ["b"]}


def test_condition_picks_the_branch_and_values_read_the_record_as_found():
    then = [{"action": "set_field", "field": "score", "value": "spent / 100"},
            {"action": "set_field", "field": "level", "value": "IF(score > 10, 'vip', 'new')"}]
    _, out = run(then, {"spent": 5000, "score": 1}, else_=[{"action": "set_field", "field": "level",
                                                            "value": "'new'"}], when="spent > 100")
    assert out.matched and out.values == {"score": 50.0, "level": "new"}  # level read the old score
    _, out = run(then, {"spent": 5}, else_=[{"action": "set_field", "field": "level", "value": "'new'"}],
                 when="spent > 100")
    assert not out.matched and out.values == {"level": "new"}


def test_score_and_stage():
    score = {"action": "score", "into": "score", "base": 5, "terms": [
        {"when": "spent > 100", "points": 20}, {"when": "HAS_TAG(tags, 'x')", "points": -3}]}
    stage = {"action": "stage", "into": "level", "stages": [{"when": "spent > 1000", "value": "vip"}]}
    assert run([score, stage], {"spent": 200, "tags": ["x"]})[1].values == {"score": 22}
    assert run([score, stage], {"spent": 2000})[1].values == {"score": 25, "level": "vip"}
    stage["default"] = "new"
    assert run([stage], {})[1].values == {"level": "new"}


def test_per_record_actions_emit_effects_read_on_the_record_left():
    then = [{"action": "assign_owner", "strategy": "round_robin", "to": [{"role": "sales"}, {"user": 9}]},
            {"action": "assign_owner", "field": "sales", "strategy": "by_field", "by": "region",
             "map": {"华东": 7}, "default": 8},
            {"action": "notify", "to": {"field": "sales"}, "template": "{{ record.name }} 是 {{ rule.name }}"},
            {"action": "create_task", "form": "order", "values": {"customer": "id", "amount": "spent * 2"}},
            {"action": "start_flow", "flow": "recall"},
            {"action": "http_request", "url": "http://x/{{ record.id }}", "headers": {"X-Name": "{{ record.name }}"}}]
    compiled, out = run(then, {"id": 3, "name": "甲", "spent": 10, "region": "华东", "sales": 4})
    assert [i for i, _, _ in out.acting] == [0, 1, 2, 3, 4, 5]
    effects = [e for _, e in act(compiled, "then", out.acting, {"id": 3, "name": "甲", "spent": 10, "region": "华南",
                                                                 "sales": 4}, CTX, OrgChart(roles={"sales": [5, 6]}))]
    assert effects == [fx.AssignOwner("owner", "round_robin", (5, 6, 9)), fx.AssignOwner("sales", "by_field", chosen=8),
                       fx.Notify((4,), "甲 是 规则"), fx.CreateRecord("order", {"customer": 3, "amount": 20.0}),
                       fx.StartFlow("recall"), fx.HttpRequest("POST", "http://x/3", {"X-Name": "甲"})]


def test_churn_tags_when_silent_and_starts_the_recall_only_for_a_new_warning():
    churn = {"action": "churn", "date": "seen", "days": 30, "tag": "流失", "flow": "recall"}
    _, out = run([churn], {"seen": date(2024, 5, 1)})
    assert out.values == {"tags": ["流失"]} and len(out.acting) == 1
    _, out = run([churn], {"seen": date(2024, 5, 1), "tags": ["流失"]})
    assert out.values == {"tags": ["流失"]} and out.acting == []  # warned already: no second recall
    _, out = run([churn], {"seen": date(2024, 6, 29), "tags": ["流失"]}, sources={("tags", "流失"): "r"})
    assert out.values == {"tags": None} and out.acting == []


def test_rfm_scores_by_tile_boundaries():
    bounds = {"r": [date(2024, 1, d) for d in (2, 4, 6, 8, 10)], "f": [1, 2, 3, 5, 9], "m": [10, 20, 30, 40, 50]}
    assert [tile(v, bounds["f"]) for v in (1, 2, 4, 9, 100, None)] == [1, 2, 4, 5, 5, None]
    assert tile(3, []) is None
    assert segment(5, 1, 4) == "重要发展客户" and segment(2, 2, 2) == "一般挽留客户" and segment(None, 1, 1) is None
    rfm = {"action": "rfm", "source": "order", "via": "customer", "date": "paid_at", "amount": "amount",
           "into": {"r": "score", "segment": "region"}}
    _, out = run([rfm], {"id": 1}, facts={("then", 0): {"bounds": bounds, "row": (date(2024, 1, 5), 3, 25.0)}})
    assert out.values == {"score": 3.0, "region": "重要价值客户"}
    _, out = run([rfm], {"id": 1}, facts={("then", 0): {"bounds": bounds, "row": None}})
    assert out.values == {"score": None, "region": None}


def test_every_action_is_registered_and_describes_itself():
    described = {d["action"]: d for d in (kind.describe() for kind in ACTIONS)}
    assert set(described) == {"add_tag", "remove_tag", "set_field", "score", "stage", "rfm", "churn",
                              "assign_owner", "notify", "create_task", "start_flow", "http_request"}
    assert described["notify"]["acts"] and not described["add_tag"]["acts"]
    assert described["add_tag"]["label"] == {"zh-CN": "添加标签", "en": "Add tag"}
