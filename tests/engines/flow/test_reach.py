"""What a flow reaches beyond its record's own columns: paths through relations (loaded by the runtime with the
record), people named by variables and by paths as recipients and assignees, and writes to a record an
expression names (one the flow created)."""
from __future__ import annotations

from engines.flow import Reply
from tests.engines.flow.conftest import FIN_A, MANAGER, chain, compiled, problems_of

SALES = 7
CUSTOMER = {"id": 5, "name": "张阿姨", "sales": SALES}


def codes(doc):
    return [(p.path, p.code) for p in problems_of(doc)]


def test_the_paths_a_flow_reads_through_relations_are_named_once_at_compile():
    flow = compiled(chain(
        {"id": "tell", "type": "notify", "to": {"field": "customer.sales"},
         "template": "{{ record.customer.name }} {{ record.no }}"},
        {"id": "pick", "type": "set_variable", "set": {"gold": "customer.level = 'gold' AND amount > 0"}},
        variables=[{"key": "gold", "type": "bool"}],
        trigger={"type": "record_created", "form": "refund", "condition": "NOT ISBLANK(customer.sales)"}))
    assert flow.record_paths == {("customer", "sales"), ("customer", "name"), ("customer", "level")}
    queried = chain({"id": "q", "type": "query_records", "form": "order", "filter": "customer.level = 'gold'",
                     "into": "orders"}, variables=[{"key": "orders", "type": "records", "form": "order"}])
    assert compiled(queried).record_paths == set()  # the filter reads the queried form, in SQL
    guarded = chain({"id": "s", "type": "update_record", "set": {"status": "'paid'"}},
                    trigger={"type": "record_created", "form": "refund", "condition": "customer.level = 'gold'"})
    assert compiled(guarded).record_paths == {("customer", "level")}  # the trigger's condition, checked at the write
    assert compiled(chain({"id": "s", "type": "update_record", "set": {"status": "'paid'"}})).record_paths == set()


def test_a_member_variable_and_a_path_through_a_relation_reach_people(drive):
    d = drive(chain(
        {"id": "who", "type": "set_variable", "set": {"boss": "handler"}},
        {"id": "tell", "type": "notify", "to": [{"field": "boss"}, {"field": "customer.sales"}], "template": "hi"},
        {"id": "copy", "type": "cc", "to": {"field": "customer.sales"}},
        {"id": "ok", "type": "approval", "assignees": {"field": "boss"}, "cc": {"field": "customer.sales"}},
        {"id": "own", "type": "assign", "to": {"field": "customer.sales"}},
        variables=[{"key": "boss", "type": "member"}]))
    d.start({"handler": FIN_A, "customer": CUSTOMER})
    assert [n.to for n in d.of("Notify")] == [(FIN_A, SALES)]
    assert [c.to for c in d.of("Cc")] == [(SALES,)]
    assert d.pending() == [FIN_A]
    d.act(FIN_A)
    assert [c.to for c in d.of("Cc")] == [(SALES,), (SALES,)]
    assert d.of("AssignOwner")[0].candidates == (SALES,) and d.status == "completed"


def test_a_number_variable_from_an_aggregate_names_a_person(drive):
    d = drive(chain(
        {"id": "find", "type": "aggregate", "form": "customer", "agg": "max", "field": "sales", "into": "sales_id"},
        {"id": "ok", "type": "approval", "assignees": {"field": "sales_id"}},
        variables=[{"key": "sales_id", "type": "number"}]))
    d.start()
    (query,) = d.of("Query")
    d.send(Reply(d.now, query.request, float(MANAGER)))
    assert d.pending() == [MANAGER]


def test_assignee_paths_are_checked_at_publish():
    def flow(field, **extra):
        return chain({"id": "tell", "type": "notify", "to": {"field": field}, "template": "x"}, **extra)

    assert codes(flow("customer.sales")) == []
    assert codes(flow("customer.name")) == [("/nodes/1/to/0/field", "flow_not_member_field")]
    assert [c for _, c in codes(flow("amount.sales"))] == ["flow_not_relation"]
    assert [c for _, c in codes(flow("note", variables=[{"key": "note", "type": "text"}]))] == ["flow_not_member_field"]
    assert codes(flow("boss", variables=[{"key": "boss", "type": "member"}])) == []
    assert codes(flow("item.sales", variables=[{"key": "item", "type": "record", "form": "customer"}])) == []


def test_update_record_writes_the_record_an_expression_names(drive):
    d = drive(chain(
        {"id": "make", "type": "create_record", "form": "order", "values": {"amount": "amount"}, "into": "made"},
        {"id": "ok", "type": "approval", "assignees": {"role": "manager"}},
        {"id": "mark", "type": "update_record", "record": "made", "form": "order", "set": {"status": "'approved'"}},
        {"id": "drop", "type": "delete_record", "record": "made", "form": "order"},
        variables=[{"key": "made", "type": "number"}]))
    d.start()
    (create,) = d.of("WriteRecord")
    d.send(Reply(d.now, create.request, 42))
    d.act(MANAGER)
    update, delete = d.of("WriteRecord")[1:]
    assert (update.op, update.form, update.record_id, update.values) == ("update", "order", 42, {"status": "approved"})
    assert (delete.op, delete.form, delete.record_id) == ("delete", "order", 42)
    assert d.state.instance.record["status"] == "new"  # another record: this one's snapshot stays


def test_an_id_computed_as_a_float_names_the_record(drive):
    d = drive(chain({"id": "mark", "type": "update_record", "record": "found", "form": "order",
                     "set": {"status": "'x'"}}, variables=[{"key": "found", "type": "number", "default": 9.0}]))
    d.start()
    assert d.of("WriteRecord")[0].record_id == 9 and type(d.of("WriteRecord")[0].record_id) is int


def test_a_write_target_is_checked_at_publish():
    def flow(**node):
        return chain({"id": "mark", "type": "update_record", "set": {"status": "'x'"}, **node},
                     variables=[{"key": "made", "type": "number"}, {"key": "note", "type": "text"}])

    assert codes(flow(record="made", form="order")) == []
    assert [c for _, c in codes(flow(record="made"))] == ["required"]
    assert [c for _, c in codes(flow(form="order"))] == ["required"]
    assert codes(flow(record="made", form="order", target="customer")) == [("/nodes/1/target",
                                                                            "flow_target_and_record")]
    assert [c for _, c in codes(flow(record="made", form="nope"))] == ["unknown_form"]
    assert [c for _, c in codes(flow(record="note", form="order"))] == ["expr_wrong_result"]
    assert [c for _, c in codes(chain({"id": "mark", "type": "update_record", "record": "1", "form": "order",
                                       "set": {"nope": "1"}}))] == ["flow_field_wrong_form"]


def test_a_path_whose_link_was_not_loaded_reaches_nobody(drive):
    d = drive(chain({"id": "tell", "type": "notify", "to": {"field": "customer.sales"}, "template": "x"}))
    d.start({"customer": 5})  # a bare id: nobody, rather than a wrong person
    assert d.of("Notify") == []
