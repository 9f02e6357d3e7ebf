"""A flow definition → CompiledFlow: graph indexes, every expression compiled against the flow's scope (the form's
fields plus the flow's variables, read by key like fields) and every message template compiled — once per version."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from pydantic import BaseModel

from engines.expr import ExprError, Scope, compile_expression
from engines.expr.types import T
from engines.flow.definition import VARIABLE_FIELD_TYPES, CompiledFlow, FlowDef, parse_flow, type_of
from engines.flow.assignees import AssigneeSpec
from engines.flow.nodes.base import ExprSpec
from engines.form.fields import FIELD_MODELS
from engines.print.sandbox import PrintError
from engines.problems import Problem, ProblemsError, pointer

FLOW_SCOPE_KEY = "$flow"  # the scope's form key for flows without a form (schedules, webhooks)


@dataclass
class ScopeForm:
    """What engines.expr.Scope reads of a form: its key and fields."""
    key: str
    fields: list


def variable_fields(flow: FlowDef) -> list:
    fields = []
    for v in flow.variables:
        if v.type in VARIABLE_FIELD_TYPES:
            kind = VARIABLE_FIELD_TYPES[v.type]
            fields.append(FIELD_MODELS[kind](key=v.key, type=kind))
        elif v.form is not None:  # a record reads like a relation (item.amount), records like a many-relation
            fields.append(FIELD_MODELS["relation"](key=v.key, type="relation", target=v.form,
                                                   many=v.type == "records"))
    return fields


def flow_scope(flow: FlowDef, forms: Mapping[str, Any]) -> Scope:
    form = forms.get(flow.form) if flow.form else None
    key = flow.form if form is not None else FLOW_SCOPE_KEY
    fields = list(form.fields) if form is not None else []
    known = {f.key for f in fields}
    fields += [f for f in variable_fields(flow) if f.key not in known]
    return Scope({**forms, key: ScopeForm(key, fields)}, key)


def expression_specs(flow: FlowDef) -> Iterator[tuple[tuple, ExprSpec]]:
    """(lookup key, spec with an absolute path under the flow) for every expression in the flow."""
    trigger_condition = getattr(flow.trigger, "condition", None)
    if trigger_condition:
        yield ("trigger",), ExprSpec("condition", trigger_condition, ("trigger", "condition"), "bool",
                                     form=flow.form)
    for j, node in enumerate(flow.nodes):
        for spec in type_of(node).expressions(node):
            yield (node.id, spec.name), ExprSpec(spec.name, spec.text, ("nodes", j, *spec.path), spec.expect,
                                                 spec.form, spec.into)
    for i, edge in enumerate(flow.edges):
        if edge.condition:
            yield ("edge", i), ExprSpec("condition", edge.condition, ("edges", i, "condition"), "bool")


_MOMENTS = {"date", "datetime", "null", "any"}


def result_fits(t: T, expect: str | None) -> bool:
    if expect is None or t.kind in ("null", "any"):
        return True
    if expect == "moment":
        return t.kind in _MOMENTS
    if expect in ("date", "datetime"):
        return t.kind in _MOMENTS
    if expect == "number":
        return t.kind in ("number", "ref")
    return t.kind == expect


def compile_spec(spec: ExprSpec, flow_scope_: Scope, forms: Mapping[str, Any]):
    """Compiled, or ExprError. A spec naming a form is checked against that form's own fields only."""
    scope = flow_scope_ if spec.form is None else Scope(forms, spec.form)
    return compile_expression(spec.text, scope, expect="bool" if spec.expect == "bool" else None)


def compile_flow(doc: Any, forms: Mapping[str, Any], version: Any = None) -> CompiledFlow:
    """The runnable flow, or ProblemsError (paths under the flow). Validate with `validate_flow` first for the
    full list of problems; this raises on the first expression or template that does not compile."""
    flow = parse_flow(doc)
    scope = flow_scope(flow, forms)
    out_edges: dict[str, list] = {node.id: [] for node in flow.nodes}
    for edge in flow.edges:
        out_edges.setdefault(edge.from_, []).append(edge)
    compiled = CompiledFlow(
        definition=flow, version=version, nodes={n.id: n for n in flow.nodes},
        types={n.id: type_of(n) for n in flow.nodes}, out_edges=out_edges,
        start=next(n.id for n in flow.nodes if n.type == "start"),
        variables={v.key: v for v in flow.variables})
    form = forms.get(flow.form) if flow.form else None
    for f in getattr(form, "fields", []):
        if f.type == "relation" and not getattr(f, "many", False):
            compiled.relation_targets[f.key] = f.target
    problems = []
    reads: set[tuple[str, ...]] = set()
    for key, spec in expression_specs(flow):
        try:
            result = compile_spec(spec, scope, forms)
        except ExprError as e:
            problems.append(e.problem(pointer(*spec.path)))
            continue
        if spec.form is None or key == ("trigger",):  # over the flow's record (not a queried form's)
            reads |= result.paths
        if key == ("trigger",):
            compiled.trigger_condition = result
        elif key[0] == "edge":
            compiled.conditions[id(flow.edges[key[1]])] = result
        else:
            compiled.exprs[key] = result
    from engines.flow.templates import compile_template

    for j, node in enumerate(flow.nodes):
        for spec in type_of(node).templates(node):
            try:
                compiled.templates[(node.id, spec.name)] = compile_template(spec.text)
            except PrintError as e:
                problems.append(Problem(pointer("nodes", j, *spec.path), "flow_bad_template",
                                        {"line": e.line or 1, "error": e.error}))
    if problems:
        raise ProblemsError(problems)
    reads |= {tuple(spec.field.split(".")) for spec in assignee_specs(flow.nodes) if spec.field}
    reads |= {path for node in flow.nodes for spec in type_of(node).templates(node) for path in record_reads(spec.text)}
    compiled.record_paths = linked_paths(reads, form)
    return compiled


def assignee_specs(value: Any) -> Iterator[AssigneeSpec]:
    """Every assignee spec in nodes (assignees, fallback, cc, to, timeouts' to…)."""
    if isinstance(value, AssigneeSpec):
        yield value
    elif isinstance(value, BaseModel):
        for item in value.__dict__.values():
            yield from assignee_specs(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from assignee_specs(item)


def record_reads(text: str) -> Iterator[tuple[str, ...]]:
    """`record.customer.name` in a message template → ("customer", "name")."""
    from jinja2 import nodes

    from engines.flow.templates import environment

    for node in environment().parse(text).find_all(nodes.Getattr):
        chain: list[str] = []
        inner = node
        while isinstance(inner, nodes.Getattr):
            chain.append(inner.attr)
            inner = inner.node
        if isinstance(inner, nodes.Name) and inner.name == "record":
            yield tuple(reversed(chain))


def linked_paths(reads: set[tuple[str, ...]], form: Any) -> frozenset[tuple[str, ...]]:
    """The paths the runtime must load with the record: those through a relation or into a sub-table (plain
    fields and a bare single relation read from the record row itself)."""
    kinds = {f.key: (f.type, getattr(f, "many", False)) for f in getattr(form, "fields", [])}
    found = set()
    for path in reads:
        kind, many = kinds.get(path[0], (None, False))
        if kind == "subtable" or (kind == "relation" and (many or len(path) > 1)):
            found.add(path)
    return frozenset(found)
