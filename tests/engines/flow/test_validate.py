"""Validation at publish: each problem with its JSON pointer and message code."""
from __future__ import annotations

import pytest

from engines.flow import validate_flows
from tests.engines.flow.conftest import FORMS, ROLES, chain, flow_doc, problems_of

S, E = {"id": "start", "type": "start"}, {"id": "end", "type": "end"}


def approval(id="a", **props):
    return {"id": id, "type": "approval", "assignees": {"role": "manager"}, **props}


def found(doc, **facts):
    return {(p.path, p.code) for p in problems_of(doc, **facts)}


def test_a_good_flow_has_no_problems():
    assert problems_of(chain(approval())) == []


@pytest.mark.parametrize("doc, expected", [
    (flow_doc([S, E, {"id": "end", "type": "end"}], [("start", "end")]), ("/nodes/2/id", "flow_duplicate_node")),
    (flow_doc([S, E], [("start", "nowhere")]), ("/edges/0/to", "flow_unknown_node")),
    (flow_doc([E], []), ("/nodes", "flow_start_count")),
    (flow_doc([S, {"id": "s2", "type": "start"}, E], [("start", "end"), ("s2", "end")]), ("/nodes", "flow_start_count")),
    (flow_doc([S, approval()], [("start", "a")]), ("/nodes", "flow_no_end")),
    (flow_doc([S, approval(), E], [("start", "end"), ("a", "end")]), ("/nodes/1", "flow_unreachable")),
    (flow_doc([S, approval(), approval("b"), E], [("start", "a"), ("a", "end"), ("start", "b")]),
     ("/nodes/2", "flow_no_outgoing")),
    (flow_doc([S, approval(), approval("b"), E], [("start", "a"), ("a", "b"), ("b", "a"), ("a", "end")]),
     ("/nodes/1", "flow_too_many_outgoing")),
    (flow_doc([S, E], [("start", "end"), ("end", "start")]), ("/edges/1/from", "flow_end_outgoing")),
    (flow_doc([S, {"id": "c", "type": "condition"}, E], [("start", "c"), {"from": "c", "to": "end",
                                                                         "condition": "amount > 1"}]),
     ("/nodes/1", "flow_default_count")),
    (flow_doc([S, {"id": "c", "type": "condition"}, E], [("start", "c"), ("c", "end")]),
     ("/edges/1/condition", "flow_branch_needs_condition")),
    (flow_doc([S, E], [{"from": "start", "to": "end", "condition": "amount > 1"}]),
     ("/edges/0/condition", "flow_condition_on_plain_edge")),
    (flow_doc([S, approval(), E], [("start", "a"), {"from": "a", "to": "end", "outcome": "maybe"}]),
     ("/edges/1/outcome", "flow_bad_outcome")),
    (flow_doc([S, {"id": "p", "type": "parallel"}, E], [("start", "p"), ("p", "end")]), ("/nodes/1", "flow_fork_width")),
])
def test_structure_problems(doc, expected):
    assert expected in found(doc)


def test_cycles_are_refused_outside_loops():
    doc = flow_doc([S, approval(), approval("b"), {"id": "c", "type": "condition"}, E],
                   [("start", "a"), ("a", "b"), ("b", "c"), {"from": "c", "to": "a", "condition": "amount > 1"},
                    {"from": "c", "to": "end", "default": True}])
    assert any(code == "flow_cycle" for _, code in found(doc))


def test_dead_end_when_no_path_reaches_an_end():
    doc = flow_doc([S, approval(), approval("b"), {"id": "c", "type": "condition"}, E],
                   [("start", "c"), {"from": "c", "to": "a", "condition": "amount > 1"},
                    {"from": "c", "to": "end", "default": True}, ("a", "b"), ("b", "a")])
    problems = found(doc)
    assert ("/nodes/1", "flow_dead_end") in problems and ("/nodes/2", "flow_dead_end") in problems


def fork(*edges, extra=()):
    nodes = [S, {"id": "p", "type": "parallel"}, approval("a"), approval("b"), {"id": "j", "type": "join"}, E, *extra]
    return flow_doc(nodes, list(edges))


def test_fork_must_be_closed_by_one_join():
    good = fork(("start", "p"), ("p", "a"), ("p", "b"), ("a", "j"), ("b", "j"), ("j", "end"))
    assert found(good) == set()
    leaky = fork(("start", "p"), ("p", "a"), ("p", "b"), ("a", "j"), ("b", "end"), ("j", "end"))
    assert ("/nodes/1", "flow_fork_unjoined") in found(leaky)


def test_edge_jumping_into_a_fork_region():
    doc = fork(("start", "c"), {"from": "c", "to": "p", "default": True},
               {"from": "c", "to": "b", "condition": "amount > 1"}, ("p", "a"), ("p", "b"), ("a", "j"), ("b", "j"),
               ("j", "end"), extra=[{"id": "c", "type": "condition"}])
    assert ("/edges/2", "flow_region_entered") in found(doc)


def test_join_without_a_fork():
    doc = flow_doc([S, {"id": "c", "type": "condition"}, approval("a"), approval("b"), {"id": "j", "type": "join"}, E],
                   [("start", "c"), {"from": "c", "to": "a", "condition": "amount > 1"},
                    {"from": "c", "to": "b", "default": True}, ("a", "j"), ("b", "j"), ("j", "end")])
    assert ("/nodes/4", "flow_join_without_fork") in found(doc)


def test_loop_needs_a_closed_body():
    doc = flow_doc([S, {"id": "l", "type": "loop", "over": "rows", "item": "row"}, approval("a"), E],
                   [("start", "l"), {"from": "l", "to": "a", "outcome": "each"}, ("a", "end"),
                    {"from": "l", "to": "end", "outcome": "done"}],
                   variables=[{"key": "rows", "type": "records", "form": "order"},
                              {"key": "row", "type": "record", "form": "order"}])
    assert ("/nodes/1", "flow_loop_not_closed") in found(doc)


@pytest.mark.parametrize("node, expected", [
    (approval(assignees={"role": "ghost"}), ("/nodes/1/assignees/0/role", "flow_unknown_role")),
    (approval(assignees=[{"user": 1}, {"field": "amount"}]), ("/nodes/1/assignees/1/field", "flow_not_member_field")),
    (approval(assignees={"manager": {"levels": 0}}), ("/nodes/1/assignees/0/manager/levels", "schema")),
    (approval(assignees={"user": 1, "role": "manager"}), ("/nodes/1/assignees/0", "schema")),
    (approval(timeout={"after": "3 days"}), ("/nodes/1/timeout/0/after", "flow_bad_duration")),
    (approval(timeout={"after": "P1D", "action": "escalate", "to": {"role": "nobody"}}),
     ("/nodes/1/timeout/0/to/0/role", "flow_unknown_role")),
    (approval(mode="everyone"), ("/nodes/1/mode", "schema")),
    (approval(colour="red"), ("/nodes/1/colour", "unknown_key")),
    ({"id": "x", "type": "teleport"}, ("/nodes/1/type", "flow_unknown_node_type")),
    ({"id": "u", "type": "update_record", "set": {"nope": "1"}}, ("/nodes/1/set/nope", "flow_field_wrong_form")),
    ({"id": "u", "type": "update_record", "set": {"total": "1"}}, ("/nodes/1/set/total", "flow_field_not_writable")),
    ({"id": "u", "type": "update_record", "set": {"amount": "'x'"}}, ("/nodes/1/set/amount", "expr_wrong_result")),
    ({"id": "u", "type": "update_record", "set": {"amount": "amount +"}}, ("/nodes/1/set/amount", "expr_syntax")),
    ({"id": "u", "type": "update_record", "target": "no", "set": {"x": "1"}}, ("/nodes/1/target", "flow_not_relation")),
    ({"id": "c", "type": "create_record", "form": "ghost"}, ("/nodes/1/form", "unknown_form")),
    ({"id": "q", "type": "query_records", "form": "order", "filter": "nope > 1", "into": "v"},
     ("/nodes/1/filter", "expr_unknown_field")),
    ({"id": "q", "type": "query_records", "form": "order", "into": "undeclared"},
     ("/nodes/1/into", "flow_unknown_variable")),
    ({"id": "n", "type": "notify", "to": {"user": 1}, "template": "{% if %}"}, ("/nodes/1/template", "flow_bad_template")),
    ({"id": "d", "type": "delay", "duration": "soon"}, ("/nodes/1/duration", "flow_bad_duration")),
    ({"id": "w", "type": "wait_until", "until": "no"}, ("/nodes/1/until", "expr_wrong_result")),
    ({"id": "s", "type": "subflow", "flow": "ghost"}, ("/nodes/1/flow", "flow_unknown_flow")),
    ({"id": "s", "type": "subflow", "flow": "f"}, ("/nodes/1/flow", "flow_subflow_self")),
    ({"id": "p", "type": "print_document", "template": "ghost"}, ("/nodes/1/template", "flow_unknown_print_template")),
    ({"id": "r", "type": "webhook_response"}, ("/nodes/1", "flow_webhook_response_trigger")),
    ({"id": "f", "type": "fill_in", "assignees": {"user": 1}, "fields": [{"field": "ghost"}]},
     ("/nodes/1/fields/0/field", "flow_field_wrong_form")),
    ({"id": "h", "type": "http_request", "url": "ftp://x"}, ("/nodes/1/url", "bad_url")),
])
def test_node_problems(node, expected):
    assert expected in found(chain(node, variables=[{"key": "v", "type": "records", "form": "order"}]))


def test_edge_condition_type_checked_against_the_form():
    doc = flow_doc([S, {"id": "c", "type": "condition"}, E],
                   [("start", "c"), {"from": "c", "to": "end", "condition": "amount + 1"},
                    {"from": "c", "to": "end", "default": True}])
    assert ("/edges/1/condition", "expr_not_condition") in found(doc)


@pytest.mark.parametrize("trigger, expected", [
    ({"type": "record_created", "form": "ghost"}, ("/trigger/form", "unknown_form")),
    ({"type": "record_updated", "form": "refund", "fields": ["amount", "ghost"]}, ("/trigger/fields/1", "unknown_field")),
    ({"type": "schedule", "cron": "0 25 * * *"}, ("/trigger/cron", "flow_bad_cron")),
    ({"type": "date_field", "form": "refund", "field": "amount"}, ("/trigger/field", "flow_not_date_field")),
    ({"type": "date_field", "form": "refund", "field": "due_on", "at": "9am"}, ("/trigger/at", "flow_bad_time")),
    ({"type": "manual", "form": "refund", "roles": ["ghost"]}, ("/trigger/roles/0", "flow_unknown_role")),
    ({"type": "record_created", "form": "refund", "condition": "amount >"}, ("/trigger/condition", "expr_syntax")),
    ({"type": "carrier_pigeon"}, ("/trigger/type", "flow_unknown_trigger_type")),
])
def test_trigger_problems(trigger, expected):
    assert expected in found(chain(trigger=trigger))


def test_field_assignee_needs_a_form():
    doc = chain(approval(assignees={"field": "handler"}), trigger={"type": "schedule", "cron": "0 9 * * *"})
    assert ("/nodes/1/assignees/0/field", "flow_assignee_needs_form") in found(doc)


def test_variables_may_not_shadow_fields():
    assert ("/variables/0/key", "flow_variable_clash") in found(chain(variables=[{"key": "amount", "type": "number"}]))


def test_validate_flows_prefixes_pointers_and_finds_duplicate_keys():
    problems = validate_flows([chain(), chain(approval(assignees={"role": "ghost"}))], FORMS, ROLES)
    paths = {(p.path, p.code) for p in problems}
    assert ("/flows/1/key", "flow_duplicate_flow") in paths
    assert ("/flows/1/nodes/1/assignees/0/role", "flow_unknown_role") in paths
    assert all(p.message("zh-CN") and p.message("en") != p.code for p in problems)


def test_aliases_from_the_issue_wording():
    assert found(chain({"id": "o", "type": "assign_owner", "to": {"role": "manager"}})) == set()


def test_every_flow_message_code_has_both_languages():
    from engines.problems import MESSAGES
    for code, (zh, en) in MESSAGES.items():
        if code.startswith("flow_"):
            assert zh and en and zh != en
