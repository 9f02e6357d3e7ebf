"""Each node type in the registry does its job; a contract test keeps the list of covered types complete."""
from __future__ import annotations

from datetime import date, datetime

from engines.expr import EvalContext
from engines.flow import (NODE_TYPES, TRIGGER_TYPES, HttpResponse, Reply, Start, SubflowFinished,
                          date_field_cron, date_field_filter, starts_on_write)
from engines.flow.effects import AssignOwner, Cc, Finish, WebhookResponse, WriteRecord
from tests.engines.flow.conftest import (BOSS, FIN_B, MANAGER, OTHER, SHANGHAI, SUPER, T0, Driver, chain, compiled,
                                         flow_doc, problems_of)

COVERED = {"start", "end", "terminate", "approval", "fill_in", "cc", "condition", "parallel", "inclusive", "join",
           "merge", "delay", "wait_until", "create_record", "update_record", "delete_record", "query_records",
           "aggregate", "loop", "set_variable", "notify", "http_request", "webhook_response", "assign",
           "print_document", "subflow"}


def test_every_registered_node_type_is_tested_and_described():
    assert set(NODE_TYPES.keys()) == COVERED
    assert len(COVERED) >= 24
    for t in NODE_TYPES:
        described = t.describe()
        assert described["label"]["zh-CN"] and described["label"]["en"] and described["category"]


def test_update_record_sets_fields_and_the_snapshot(drive):
    d = drive(chain({"id": "u", "type": "update_record", "set": {"status": "'paid'", "reason": "no & '已付'"}},
                    {"id": "n", "type": "notify", "to": {"user": BOSS}, "template": "{{ record.status }}"}))
    d.start()
    assert WriteRecord("update", "refund", 100, {"status": "paid", "reason": "R1已付"}) in d.effects
    assert d.of("Notify")[0].text == "paid"


def test_update_a_linked_record(drive):
    d = drive(chain({"id": "u", "type": "update_record", "target": "customer", "set": {"level": "'gold'"}}))
    d.start({"customer": 42})
    assert WriteRecord("update", "customer", 42, {"level": "gold"}) in d.effects


def test_create_record_with_its_new_id_in_a_variable(drive):
    d = drive(chain({"id": "c", "type": "create_record", "form": "order", "values": {"amount": "amount"},
                     "into": "order_id"},
                    {"id": "n", "type": "notify", "to": {"user": BOSS}, "template": "order {{ vars.order_id }}"},
                    variables=[{"key": "order_id", "type": "number"}]))
    d.start()
    (write,) = d.of("WriteRecord")
    assert (write.op, write.form, write.values) == ("create", "order", {"amount": 300})
    d.send(Reply(d.now, write.request, 77))
    assert d.of("Notify")[0].text == "order 77" and d.status == "completed"


def test_delete_record(drive):
    d = drive(chain({"id": "x", "type": "delete_record"}))
    d.start()
    assert WriteRecord("delete", "refund", 100) in d.effects


def test_aggregate_into_a_variable_then_branch_on_it(drive):
    doc = flow_doc([{"id": "start", "type": "start"},
                    {"id": "sum", "type": "aggregate", "form": "order", "agg": "sum", "field": "amount",
                     "match": {"customer": "customer"}, "into": "spent"},
                    {"id": "route", "type": "condition"},
                    {"id": "vip", "type": "update_record", "set": {"status": "'approved'"}},
                    {"id": "end", "type": "end"}],
                   [("start", "sum"), ("sum", "route"), {"from": "route", "to": "vip", "condition": "spent > 1000"},
                    {"from": "route", "to": "end", "default": True}, ("vip", "end")],
                   variables=[{"key": "spent", "type": "number"}])
    d = Driver(compiled(doc))
    d.start({"customer": 5})
    (query,) = d.of("Query")
    assert (query.aggregate, query.field, query.match) == ("sum", "amount", {"customer": 5})
    d.send(Reply(d.now, query.request, 1500))
    assert d.state.variables["spent"] == 1500
    assert WriteRecord("update", "refund", 100, {"status": "approved"}) in d.effects


def test_set_variable(drive):
    d = drive(chain({"id": "s", "type": "set_variable", "set": {"double": "amount * 2", "label": "'#' & no"}},
                    variables=[{"key": "double", "type": "number"}, {"key": "label", "type": "text"}]))
    d.start()
    assert d.state.variables == {"double": 600, "label": "#R1"}


def test_notify_renders_in_a_sandbox(drive):
    d = drive(chain({"id": "n", "type": "notify", "to": [{"field": "handler"}, {"role": "supervisor"}],
                     "title": "退款 {{ record.no }}", "channel": "sms",
                     "template": "{{ record.no }}: {{ record.amount }} <b>"}))
    d.start({"handler": OTHER})
    (note,) = d.of("Notify")
    assert note.to == (OTHER, SUPER) and note.title == "退款 R1" and note.channel == "sms"
    assert note.text == "R1: 300 <b>"  # plain text: not HTML-escaped
    d = drive(chain({"id": "n", "type": "notify", "to": {"user": BOSS},
                     "template": "{{ record.__class__.__mro__ }}"}))
    d.start()
    assert d.of("Notify")[0].text.startswith("[template error")  # Python internals stay out of reach
    assert d.status == "completed"


def test_cc_node_creates_read_only_entries(drive):
    d = drive(chain({"id": "cc", "type": "cc", "to": {"users": [OTHER, SUPER]}, "template": "抄送 {{ record.no }}"}))
    d.start()
    assert d.of("Cc")[0] == Cc((OTHER, SUPER), "cc", "抄送 R1")
    assert sorted(t.assignee for t in d.state.tasks.values() if t.kind == "cc" and t.status == "unread") == \
        sorted([OTHER, SUPER])
    assert d.status == "completed"


def test_http_request_fire_and_forget(drive):
    d = drive(chain({"id": "h", "type": "http_request", "url": "https://erp.example/orders/{{ record.no }}",
                     "headers": {"X-No": "{{ record.no }}"}, "body": '{"amount": {{ record.amount }}}'}))
    d.start()
    (call,) = d.of("HttpRequest")
    assert (call.method, call.url, call.headers, call.body, call.wait) == (
        "POST", "https://erp.example/orders/R1", {"X-No": "R1"}, '{"amount": 300}', False)
    assert d.status == "completed"


def test_http_request_waits_for_the_response_and_branches_on_failure(drive):
    doc = flow_doc([{"id": "start", "type": "start"},
                    {"id": "h", "type": "http_request", "method": "GET", "url": "https://erp.example/x",
                     "wait": True, "into": "reply"},
                    {"id": "alarm", "type": "notify", "to": {"role": "admin"}, "template": "ERP: {{ vars.reply }}"},
                    {"id": "end", "type": "end"}],
                   [("start", "h"), {"from": "h", "to": "end", "outcome": "succeeded"},
                    {"from": "h", "to": "alarm", "outcome": "failed"}, ("alarm", "end")],
                   variables=[{"key": "reply", "type": "text"}])
    d = Driver(compiled(doc))
    d.start()
    (call,) = d.of("HttpRequest")
    d.send(HttpResponse(d.now, call.request, 503, {"error": "busy"}))
    assert d.of("Notify")[0].text == 'ERP: {"error": "busy"}'
    d = Driver(compiled(doc))
    d.start()
    d.send(HttpResponse(d.now, d.of("HttpRequest")[0].request, 200, "ok"))
    assert not d.of("Notify") and d.state.variables["reply"] == "ok"


def test_webhook_response(drive):
    d = drive(chain({"id": "r", "type": "webhook_response", "status": 201, "body": '{"got": "{{ vars.code }}"}'},
                    trigger={"type": "webhook"}, variables=[{"key": "code", "type": "text"}]))
    d.send(Start(T0, 1, None, None, {"code": "A7"}))
    assert d.of("WebhookResponse") == [WebhookResponse(201, '{"got": "A7"}', {"content-type": "application/json"})]


def test_assign_owner(drive):
    d = drive(chain({"id": "a", "type": "assign", "to": {"role": "finance"}, "field": "handler",
                     "strategy": "round_robin"},
                    {"id": "tell", "type": "notify", "to": {"field": "handler"}, "template": "yours"}))
    d.start()
    (assign,) = d.of("AssignOwner")
    assert assign == AssignOwner("refund", 100, "handler", (3, 4), "round_robin", assign.request)
    assert assign.request and d.of("Notify") == []  # waits for the runtime's pick…
    d.send(Reply(d.now, assign.request, FIN_B))
    assert d.state.instance.record["handler"] == FIN_B  # …and the next node sees it
    assert [n.to for n in d.of("Notify")] == [(FIN_B,)] and d.status == "completed"
    d = drive(chain({"id": "a", "type": "assign", "to": {"manager": {}}, "field": "handler"}))
    d.start()
    assert d.of("AssignOwner")[0].candidates == (MANAGER,) and d.state.instance.record["handler"] == MANAGER


def test_print_document(drive):
    d = drive(chain({"id": "p", "type": "print_document", "template": "slip", "attach_to": "file"}))
    d.start()
    (doc,) = d.of("GenerateDocument")
    assert (doc.template, doc.form, doc.record_id, doc.attach_to) == ("slip", "refund", 100, "file")
    d.send(Reply(d.now, doc.request, {"file": 9}))
    assert d.status == "completed"


def test_subflow_waits_for_the_child_and_follows_its_outcome(drive):
    doc = flow_doc([{"id": "start", "type": "start"},
                    {"id": "sub", "type": "subflow", "flow": "child", "inputs": {"total": "amount"}},
                    {"id": "no", "type": "update_record", "set": {"status": "'rejected'"}},
                    {"id": "end", "type": "end"}],
                   [("start", "sub"), {"from": "sub", "to": "end", "outcome": "completed"},
                    {"from": "sub", "to": "no", "outcome": "rejected"}, ("no", "end")])
    d = Driver(compiled(doc))
    d.start()
    (child,) = d.of("StartSubflow")
    assert (child.flow, child.record_id, child.variables, child.wait) == ("child", 100, {"total": 300}, True)
    d.send(SubflowFinished(d.now, child.request, "rejected"))
    assert WriteRecord("update", "refund", 100, {"status": "rejected"}) in d.effects and d.status == "completed"


def test_a_subflow_tells_its_parent_when_it_finishes(drive):
    d = drive(chain({"id": "a", "type": "approval", "assignees": {"user": BOSS}}))
    d.start(parent=("p9", "r4"))
    d.act(BOSS)
    assert d.of("Finish") == [Finish("completed", ("p9", "r4"), {})]


def test_start_with_no_form_and_merge(drive):
    doc = flow_doc([{"id": "start", "type": "start"}, {"id": "m", "type": "merge"},
                    {"id": "n", "type": "notify", "to": {"user": BOSS}, "template": "daily"}, {"id": "end", "type": "end"}],
                   [("start", "m"), ("m", "n"), ("n", "end")], trigger={"type": "schedule", "cron": "0 9 * * *"})
    d = drive(doc)
    d.send(Start(T0, 1))
    assert d.of("Notify")[0].text == "daily" and d.status == "completed"


# ---- triggers ------------------------------------------------------------------------------------------------------
def test_trigger_types_registered():
    assert set(TRIGGER_TYPES.keys()) == {"record_created", "record_updated", "schedule", "date_field", "manual",
                                         "webhook"}


def test_starts_on_write_with_changed_fields_and_condition():
    flow = compiled(chain(trigger={"type": "record_updated", "form": "refund", "fields": ["status"],
                                   "condition": "status = 'paid'"}))
    ctx = EvalContext(T0, SHANGHAI)
    assert starts_on_write(flow, "updated", {"status": "paid"}, {"status"}, ctx)
    assert not starts_on_write(flow, "updated", {"status": "paid"}, {"amount"}, ctx)
    assert not starts_on_write(flow, "updated", {"status": "new"}, {"status"}, ctx)
    assert not starts_on_write(flow, "created", {"status": "paid"}, None, ctx)


def test_date_triggers_look_daily_at_their_time_for_the_records_whose_date_falls_on_the_day():
    flow = compiled(chain(trigger={"type": "date_field", "form": "refund", "field": "due_on", "offset": "-P1D",
                                   "at": "10:30"}))
    trigger = flow.definition.trigger
    assert date_field_cron(trigger) == "30 10 * * *"
    # the day before the date: on May 1 the records due on May 2
    assert date_field_filter(trigger, "date", date(2026, 5, 1)) == "due_on = DATEVALUE('2026-05-02')"
    assert date_field_filter(trigger, "datetime", date(2026, 5, 1)) == \
        "YEAR(due_on) = 2026 AND MONTH(due_on) = 5 AND DAY(due_on) = 2"
    after = compiled(chain(trigger={"type": "date_field", "form": "refund", "field": "due_on", "offset": "P2W"}))
    assert date_field_filter(after.definition.trigger, "date", date(2026, 5, 15)) == \
        "due_on = DATEVALUE('2026-05-01')"


def test_birthdays_come_every_year_and_feb_29_is_greeted_on_feb_28_in_other_years():
    birthday = compiled(chain(trigger={"type": "date_field", "form": "refund", "field": "due_on", "yearly": True}))
    trigger = birthday.definition.trigger
    assert date_field_cron(trigger) == "0 9 * * *"
    assert date_field_filter(trigger, "date", date(2026, 2, 10)) == "(MONTH(due_on) = 2 AND DAY(due_on) = 10)"
    assert date_field_filter(trigger, "date", date(2026, 2, 28)) == \
        "(MONTH(due_on) = 2 AND DAY(due_on) = 28) OR (MONTH(due_on) = 2 AND DAY(due_on) = 29)"
    assert date_field_filter(trigger, "date", date(2028, 2, 28)) == "(MONTH(due_on) = 2 AND DAY(due_on) = 28)"


def test_a_date_trigger_offset_is_whole_days():
    flow = chain(trigger={"type": "date_field", "form": "refund", "field": "due_on", "offset": "PT2H"})
    assert [p.code for p in problems_of(flow)] == ["flow_offset_whole_days"]


def test_the_flow_designer_offers_every_registered_node_type_with_its_outcomes():
    """frontend/src/builder/flow/nodeTypes.ts mirrors the registry: the same keys, and the outcomes edges may name;
    nodeText.ts names each of them in both languages."""
    import re
    from pathlib import Path

    from engines.flow.nodes import NODE_TYPES

    designer = Path(__file__).parents[3] / "frontend/src/builder/flow"
    block = (designer / "nodeTypes.ts").read_text(encoding="utf-8").split("export const NODE_TYPES", 1)[1]
    entries = dict(re.findall(r"\{ key: '([a-z_]+)',\s*category: '[a-z]+',\s*outcomes: \[([^\]]*)\]", block))
    assert sorted(entries) == sorted(NODE_TYPES.keys())
    for node_type in NODE_TYPES:
        assert sorted(re.findall(r"'([a-z_]+)'", entries[node_type.key])) == sorted(node_type.describe()["outcomes"]), \
            node_type.key
    names = (designer / "nodeText.ts").read_text(encoding="utf-8")
    assert all(names.count(f"    {key}: '") == 2 for key in NODE_TYPES.keys())
