"""Data nodes: create, update and delete records (through the runtime's write path), query records and aggregate
them into variables, assign an owner, and print a document. Reads are requests the runtime answers with Reply."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from engines.flow.assignees import AssigneeSpec, spec_list
from engines.flow.effects import AssignOwner, GenerateDocument, Query, WriteRecord
from engines.flow.nodes.base import ExprSpec, NodeBase, NodeType
from engines.form.fields.base import KEY_PATTERN
from engines.problems import Problem, pointer


class CreateRecordDef(NodeBase):
    type: Literal["create_record"]
    form: str = Field(pattern=KEY_PATTERN)
    values: dict[str, str] = Field(default_factory=dict, description="field → expression over this flow's scope")
    into: str | None = Field(default=None, pattern=KEY_PATTERN, description="a number variable for the new id")


class TargetDef(NodeBase):
    """Which record a write goes to: this flow's record, the one a relation field links (`target`), or any record
    of `form` whose id an expression gives (`record`: a variable create_record filled, an aggregate's max id…)."""
    target: str | None = Field(default=None, pattern=KEY_PATTERN,
                               description="a relation field: write the linked record instead of this one")
    record: str | None = Field(default=None, max_length=4000,
                               description="an expression giving the id of the record to write (with form)")
    form: str | None = Field(default=None, pattern=KEY_PATTERN, description="the form of the record `record` names")


class UpdateRecordDef(TargetDef):
    type: Literal["update_record"]
    set: dict[str, str] = Field(min_length=1, max_length=200, description="field → expression")


class DeleteRecordDef(TargetDef):
    type: Literal["delete_record"]


class QueryDef(NodeBase):
    form: str = Field(pattern=KEY_PATTERN)
    filter: str | None = Field(default=None, description="an expression over the queried form")
    match: dict[str, str] = Field(default_factory=dict, description="queried field → expression over this flow")
    into: str = Field(pattern=KEY_PATTERN)


class QueryRecordsDef(QueryDef):
    type: Literal["query_records"]
    limit: int = Field(default=100, ge=1, le=1000)
    sort: str | None = Field(default=None, pattern=KEY_PATTERN)
    desc: bool = False


class AggregateDef(QueryDef):
    type: Literal["aggregate"]
    agg: Literal["count", "sum", "avg", "min", "max"]
    field: str | None = Field(default=None, pattern=KEY_PATTERN)


class AssignDef(NodeBase):
    type: Literal["assign"]
    to: list[AssigneeSpec] = Field(min_length=1)
    field: str = Field(default="owner", pattern=KEY_PATTERN)
    strategy: Literal["first", "round_robin", "least_loaded", "random"] = "first"

    _specs = field_validator("to", mode="before")(lambda cls, v: spec_list(v))


class PrintDocumentDef(NodeBase):
    type: Literal["print_document"]
    template: str = Field(pattern=KEY_PATTERN)
    attach_to: str | None = Field(default=None, pattern=KEY_PATTERN, description="an attachment field of the record")


WRITABLE_SYSTEM = {"owner"}


def writable_problems(facts, form: str, keys, where: str) -> list[Problem]:
    problems = []
    for key in keys:
        f = facts.field(form, key)
        if f is None and key not in WRITABLE_SYSTEM:
            problems.append(Problem(pointer(where, key), "flow_field_wrong_form", {"key": key, "form": form}))
        elif f is not None and facts.generated(f):
            problems.append(Problem(pointer(where, key), "flow_field_not_writable", {"key": key}))
    return problems


class CreateRecord(NodeType):
    key, label, category, props = "create_record", ("新增记录", "Create record"), "data", CreateRecordDef

    def expressions(self, node):
        return [ExprSpec(f"values.{k}", t, ("values", k), into=("field", node.form, k))
                for k, t in node.values.items()]

    def check(self, node, facts):
        if facts.form(node.form) is None:
            return [Problem("/form", "unknown_form", {"key": node.form})]
        problems = writable_problems(facts, node.form, node.values, "values")
        if node.into:
            problems += facts.variable_problems(node.into, "/into", kinds=("number",))
        return problems

    def enter(self, run, token, node):
        values = {k: run.value(node.id, f"values.{k}") for k in node.values}
        if node.into:
            run.request(token, lambda rid: WriteRecord("create", node.form, None, values, rid))
        else:
            run.emit(WriteRecord("create", node.form, None, values))
            run.log(node.id, "record_created", detail={"form": node.form})
            run.advance(token)

    def resume(self, run, token, node, event):
        run.set_variable(node.into, event.value)
        run.log(node.id, "record_created", detail={"form": node.form, "id": event.value})
        run.advance(token)


def record_id_of(value):
    """An id as expressions give it: a linked record, a whole number computed as a float (1.0), a digit string."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _target(run, node):
    """(form, record id) of the record a node writes: this flow's record, the one a relation field links, or the
    one the `record` expression names."""
    if node.record is not None:
        return node.form, record_id_of(run.value(node.id, "record"))
    if node.target is None:
        return run.instance.form, run.instance.record_id
    value = run.record.get(node.target)
    return run.flow.relation_targets[node.target], value.get("id") if isinstance(value, dict) else value


def _record_spec(node) -> list[ExprSpec]:
    return [ExprSpec("record", node.record, ("record",), expect="number")] if node.record is not None else []


def _target_problems(node, facts) -> tuple[str | None, list[Problem]]:
    if node.record is not None:
        problems = [Problem("/target", "flow_target_and_record")] if node.target is not None else []
        if node.form is None:
            return None, problems + [Problem("/form", "required")]
        if facts.form(node.form) is None:
            return None, problems + [Problem("/form", "unknown_form", {"key": node.form})]
        return node.form, problems
    if node.form is not None:
        return None, [Problem("/record", "required")]
    if facts.flow_form is None:
        return None, [Problem("", "flow_needs_record")]
    if node.target is None:
        return facts.flow_form.key, []
    f = facts.field(facts.flow_form.key, node.target)
    if f is None or f.type != "relation" or getattr(f, "many", False):
        return None, [Problem("/target", "flow_not_relation", {"key": node.target})]
    return f.target, []


class UpdateRecord(NodeType):
    key, label, category, props = "update_record", ("更新记录", "Update record"), "data", UpdateRecordDef

    def expressions(self, node):
        into = (lambda k: ("field", node.form, k)) if node.record is not None else \
            (lambda k: ("field", None, k)) if node.target is None else (lambda k: ("via", node.target, k))
        return _record_spec(node) + [ExprSpec(f"set.{k}", t, ("set", k), into=into(k)) for k, t in node.set.items()]

    def check(self, node, facts):
        form, problems = _target_problems(node, facts)
        return problems if form is None else problems + writable_problems(facts, form, node.set, "set")

    def enter(self, run, token, node):
        values = {k: run.value(node.id, f"set.{k}") for k in node.set}
        form, record_id = _target(run, node)
        if record_id is not None:
            run.emit(WriteRecord("update", form, record_id, values))
            run.log(node.id, "record_updated", detail={"form": form, "id": record_id, "fields": sorted(values)})
            if (form, record_id) == (run.instance.form, run.instance.record_id):
                run.update_record(values)
        else:
            run.log(node.id, "no_record")
        run.advance(token)


class DeleteRecord(NodeType):
    key, label, category, props = "delete_record", ("删除记录", "Delete record"), "data", DeleteRecordDef

    def expressions(self, node):
        return _record_spec(node)

    def check(self, node, facts):
        return _target_problems(node, facts)[1]

    def enter(self, run, token, node):
        form, record_id = _target(run, node)
        if record_id is not None:
            run.emit(WriteRecord("delete", form, record_id))
            run.log(node.id, "record_deleted", detail={"form": form, "id": record_id})
        run.advance(token)


class _Query(NodeType):
    category = "data"

    def expressions(self, node):
        specs = [ExprSpec(f"match.{k}", t, ("match", k)) for k, t in node.match.items()]
        if node.filter:
            specs.append(ExprSpec("filter", node.filter, ("filter",), expect="bool", form=node.form))
        return specs

    def check(self, node, facts):
        if facts.form(node.form) is None:
            return [Problem("/form", "unknown_form", {"key": node.form})]
        problems = [Problem(pointer("match", k), "flow_field_wrong_form", {"key": k, "form": node.form})
                    for k in node.match if facts.field(node.form, k) is None and k not in ("id", "owner", "created_by")]
        return problems + facts.variable_problems(node.into, "/into", kinds=self.into_kinds(node))

    def into_kinds(self, node) -> tuple[str, ...]:
        return ("records",)

    def resume(self, run, token, node, event):
        if not event.ok:
            run.log(node.id, "query_failed", detail={"error": event.error})
        run.set_variable(node.into, event.value if event.ok else None)
        run.advance(token)


class QueryRecords(_Query):
    key, label, props = "query_records", ("查询记录", "Query records"), QueryRecordsDef

    def check(self, node, facts):
        problems = super().check(node, facts)
        variable = facts.variables.get(node.into)
        if variable is not None and variable.form not in (None, node.form):
            problems.append(Problem("/into", "flow_variable_kind", {"key": node.into, "expected": f"records of {node.form}",
                                                                     "expected_zh": f"「{node.form}」的记录"}))
        return problems

    def enter(self, run, token, node):
        match = {k: run.value(node.id, f"match.{k}") for k in node.match}
        run.request(token, lambda rid: Query(rid, node.form, node.filter, match, None, None, node.limit, node.sort,
                                             node.desc))


class Aggregate(_Query):
    key, label, props = "aggregate", ("汇总计算", "Aggregate"), AggregateDef

    def check(self, node, facts):
        problems = super().check(node, facts)
        if node.agg != "count" and node.field is None:
            problems.append(Problem("/field", "required"))
        elif node.field and facts.form(node.form) and facts.field(node.form, node.field) is None:
            problems.append(Problem("/field", "flow_field_wrong_form", {"key": node.field, "form": node.form}))
        return problems

    def into_kinds(self, node):
        return ("number",)

    def enter(self, run, token, node):
        match = {k: run.value(node.id, f"match.{k}") for k in node.match}
        run.request(token, lambda rid: Query(rid, node.form, node.filter, match, node.agg, node.field))


class Assign(NodeType):
    key, label, category, props = "assign", ("分配负责人", "Assign owner"), "data", AssignDef

    def check(self, node, facts):
        if facts.flow_form is None:
            return [Problem("", "flow_needs_record")]
        problems = facts.assignee_problems(node.to, "/to")
        if node.field != "owner":
            f = facts.field(facts.flow_form.key, node.field)
            if f is None or f.type != "member":
                problems.append(Problem("/field", "flow_not_member_field", {"key": node.field}))
        return problems

    def enter(self, run, token, node):
        candidates = tuple(run.resolve(node.to))
        if not candidates:
            run.log(node.id, "no_assignee")
        elif node.strategy == "first":
            run.emit(AssignOwner(run.instance.form, run.instance.record_id, node.field, candidates, node.strategy))
            self.assigned(run, node, candidates[0])
        else:  # the runtime picks (counters, loads): the token waits for its answer, so the next node sees it
            run.request(token, lambda rid: AssignOwner(run.instance.form, run.instance.record_id, node.field,
                                                       candidates, node.strategy, rid))
            return
        run.advance(token)

    def resume(self, run, token, node, event):
        if event.ok and event.value is not None:
            self.assigned(run, node, event.value)
        run.advance(token)

    def assigned(self, run, node, user):
        run.update_record({node.field: user})
        run.log(node.id, "assigned", detail={"field": node.field, "to": user})


class PrintDocument(NodeType):
    key, label, category, props = "print_document", ("生成文档", "Print document"), "data", PrintDocumentDef

    def check(self, node, facts):
        problems = []
        if facts.flow_form is None:
            problems.append(Problem("", "flow_needs_record"))
        elif node.attach_to:
            f = facts.field(facts.flow_form.key, node.attach_to)
            if f is None or f.type != "attachment":
                problems.append(Problem("/attach_to", "flow_field_wrong_form",
                                        {"key": node.attach_to, "form": facts.flow_form.key}))
        if node.template not in facts.print_templates and node.template != "default":
            problems.append(Problem("/template", "flow_unknown_print_template", {"key": node.template}))
        return problems

    def enter(self, run, token, node):
        run.request(token, lambda rid: GenerateDocument(rid, node.template, run.instance.form,
                                                        run.instance.record_id, node.attach_to))

    def resume(self, run, token, node, event):
        run.log(node.id, "printed" if event.ok else "print_failed", detail={"error": event.error} if event.error else {})
        run.advance(token)
