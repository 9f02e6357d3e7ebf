"""Validation of flows at publish: every problem at once, each with a JSON pointer under /flows/i.

Structure (unique ids, edges to existing nodes, one start, reachable nodes, no dead ends, one default edge per
condition, forks closed by their joins with no edge jumping into a region, no cycles except loop bodies),
properties (each node type's own checks), people (roles exist, member fields are member fields, levels ≥ 1),
triggers (form, changed fields, cron) and expressions (type-checked against the form's scope)."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, Iterable, Mapping

from pydantic import ValidationError

from engines.expr import ExprError
from engines.expr.types import type_args
from engines.flow.assignees import MEMBER_FIELD_TYPES
from engines.flow.compiler import compile_spec, expression_specs, flow_scope, result_fits
from engines.flow.definition import FlowDef, type_of
from engines.flow.nodes import ALIASES, NODE_TYPES
from engines.flow.triggers import TRIGGER_TYPES
from engines.form.fields import FIELD_TYPES
from engines.problems import Problem, pointer

SYSTEM_FIELD_TYPES = {"id": "number", "version": "number", "created_at": "created_at", "updated_at": "updated_at",
                      "created_by": "created_by", "updated_by": "updated_by", "owner": "member"}
_KIND_NAMES = {"records": ("多条记录", "records"), "record": ("一条记录", "a record"), "number": ("数字", "a number"),
               "text": ("文本", "text")}


@dataclass
class FlowFacts:
    """What a flow is checked against: the app's forms (parsed FormDefs), role keys, flow keys, print templates."""
    forms: Mapping[str, Any]
    roles: set[str] = field(default_factory=set)
    flows: set[str] = field(default_factory=set)
    print_templates: set[str] = field(default_factory=set)
    flow: FlowDef | None = None

    @property
    def flow_form(self):
        return self.forms.get(self.flow.form) if self.flow and self.flow.form else None

    @property
    def variables(self) -> dict:
        return {v.key: v for v in self.flow.variables} if self.flow else {}

    def form(self, key: str | None):
        return self.forms.get(key) if key else None

    def field(self, form: str | None, key: str):
        found = self.form(form)
        if found is None:
            return None
        f = next((f for f in found.fields if f.key == key), None)
        if f is None and key in SYSTEM_FIELD_TYPES:
            return SimpleNamespace(key=key, type=SYSTEM_FIELD_TYPES[key], system=True)
        return f

    def generated(self, f) -> bool:
        if getattr(f, "system", False):
            return f.key != "owner"
        return f.type in FIELD_TYPES and FIELD_TYPES.get(f.type).is_generated

    def variable_problems(self, key: str, path: str, kinds: Iterable[str] | None = None,
                          scalar: bool = False) -> list[Problem]:
        variable = self.variables.get(key)
        if variable is None:
            return [Problem(path, "flow_unknown_variable", {"key": key})]
        kinds = tuple(kinds or ())
        if (kinds and variable.type not in kinds) or (scalar and variable.type in ("record", "records")):
            zh, en = _KIND_NAMES.get(kinds[0] if kinds else "number", (kinds[0], kinds[0])) if kinds else \
                ("单个值", "a single value")
            return [Problem(path, "flow_variable_kind", {"key": key, "expected": en, "expected_zh": zh})]
        return []

    def assignee_problems(self, specs, path: str) -> list[Problem]:
        problems = []
        for i, spec in enumerate(specs or []):
            where = pointer(i)
            if spec.role is not None and spec.role not in self.roles:
                problems.append(Problem(path + where + "/role", "flow_unknown_role", {"key": spec.role}))
            if spec.field is not None:
                problems += self.member_path_problems(spec.field, path + where + "/field")
        return problems

    def member_path_problems(self, text: str, path: str) -> list[Problem]:
        """`field` of an assignee spec: a member field (or owner / created_by…), a member (or number) variable, or a
        path through single or many relations ending at one (`customer.sales`, `item.owner`)."""
        head, *rest = text.split(".")
        variable = self.variables.get(head)
        if variable is not None:
            if not rest:
                return [] if variable.type in ("member", "number") else \
                    [Problem(path, "flow_not_member_field", {"key": text})]
            form = variable.form if variable.type in ("record", "records") else None
            keys = rest
        elif self.flow_form is None:
            return [Problem(path, "flow_assignee_needs_form")]
        else:
            form, keys = self.flow_form.key, [head, *rest]
        for i, key in enumerate(keys):
            f = self.field(form, key)
            if i < len(keys) - 1:
                if f is None or f.type != "relation":
                    return [Problem(path, "flow_not_relation", {"key": ".".join(keys[:i + 1])})]
                form = f.target
            elif f is None or (f.type not in MEMBER_FIELD_TYPES and f.key != "owner"):
                return [Problem(path, "flow_not_member_field", {"key": text})]
        return []


def validate_flows(flows: Any, forms: Mapping[str, Any], roles: Iterable[str] = (),
                   print_templates: Iterable[str] = ()) -> list[Problem]:
    """Problems of an app's `flows` list, with pointers from the document root (/flows/i/…)."""
    flows = flows if isinstance(flows, list) else []
    keys = [f.get("key") for f in flows if isinstance(f, dict)]
    facts = FlowFacts(forms, set(roles), {k for k in keys if isinstance(k, str)}, set(print_templates))
    problems, seen = [], {}
    for i, doc in enumerate(flows):
        key = doc.get("key") if isinstance(doc, dict) else None
        if isinstance(key, str) and key in seen:
            problems.append(Problem(pointer("flows", i, "key"), "flow_duplicate_flow", {"key": key}))
        seen.setdefault(key, i)
        problems += [p.under(pointer("flows", i)) for p in validate_flow(doc, facts)]
    return problems


def validate_flow(doc: Any, facts: FlowFacts) -> list[Problem]:
    """Every problem of one flow, with paths relative to the flow (/nodes/2/assignees/0/role)."""
    if not isinstance(doc, dict):
        return [Problem("", "not_object")]
    problems = _structure(doc)
    try:
        flow = FlowDef.model_validate(doc)
    except ValidationError as e:
        return problems + [_from_pydantic(err, doc) for err in e.errors()]
    facts = FlowFacts(facts.forms, facts.roles, facts.flows, facts.print_templates, flow)
    problems += _properties(flow, facts)
    if not any(p.code == "unknown_form" and p.path.startswith("/trigger") for p in problems):
        problems += _expressions(flow, facts)
    unique: dict[tuple[str, str], Problem] = {}
    for p in problems:
        unique.setdefault((p.path, p.code), p)
    return list(unique.values())


# ---- the graph (read from the raw document, so it is checked even when some node's properties are wrong) ----------
@dataclass
class _Graph:
    ids: dict[str, int]  # node id → index
    types: dict[str, str]
    edges: list[tuple[int, str, str, dict]]  # (index, from, to, edge)
    out: dict[str, list[tuple[int, str, dict]]]
    into: dict[str, list[tuple[int, str]]]


def _structure(doc: dict) -> list[Problem]:
    problems: list[Problem] = []
    nodes = doc.get("nodes") if isinstance(doc.get("nodes"), list) else []
    ids: dict[str, int] = {}
    types: dict[str, str] = {}
    for j, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("id"), str):
            continue
        if node["id"] in ids:
            problems.append(Problem(pointer("nodes", j, "id"), "flow_duplicate_node", {"id": node["id"]}))
            continue
        kind = ALIASES.get(node.get("type"), node.get("type"))
        ids[node["id"]] = j
        types[node["id"]] = kind if kind in NODE_TYPES else "?"
    g = _Graph(ids, types, [], {n: [] for n in ids}, {n: [] for n in ids})
    raw_edges = doc.get("edges") if isinstance(doc.get("edges"), list) else []
    for i, edge in enumerate(raw_edges):
        if not isinstance(edge, dict):
            continue
        ok = True
        for end in ("from", "to"):
            if isinstance(edge.get(end), str) and edge[end] not in ids:
                problems.append(Problem(pointer("edges", i, end), "flow_unknown_node", {"id": edge[end]}))
                ok = False
            elif not isinstance(edge.get(end), str):
                ok = False
        if ok:
            g.edges.append((i, edge["from"], edge["to"], edge))
            g.out[edge["from"]].append((i, edge["to"], edge))
            g.into[edge["to"]].append((i, edge["from"]))
    starts = [n for n, t in types.items() if t == "start"]
    if len(starts) != 1:
        problems.append(Problem("/nodes", "flow_start_count", {"count": len(starts)}))
    if not any(NODE_TYPES.get(t).terminal for t in types.values() if t != "?"):
        problems.append(Problem("/nodes", "flow_no_end"))
    for start in starts:
        for i, _ in g.into[start]:
            problems.append(Problem(pointer("edges", i, "to"), "flow_start_incoming"))
    problems += _edge_rules(g)
    if len(starts) == 1:
        problems += _paths(g, starts[0])
        problems += _regions(g)
    return problems


def _node_path(g: _Graph, node: str) -> str:
    return pointer("nodes", g.ids[node])


def _edge_rules(g: _Graph) -> list[Problem]:
    problems = []
    for node, kind in g.types.items():
        if kind == "?":
            continue
        t = NODE_TYPES.get(kind)
        edges = g.out[node]
        if t.terminal:
            problems += [Problem(pointer("edges", i, "from"), "flow_end_outgoing") for i, _, _ in edges]
            continue
        if not edges:
            problems.append(Problem(_node_path(g, node), "flow_no_outgoing", {"id": node}))
            continue
        if t.branching:
            defaults = [i for i, _, e in edges if e.get("default") is True]
            for i, _, e in edges:
                if not e.get("condition") and e.get("default") is not True:
                    problems.append(Problem(pointer("edges", i, "condition"), "flow_branch_needs_condition"))
            if kind == "condition" and len(defaults) != 1 or len(defaults) > 1:
                problems.append(Problem(_node_path(g, node), "flow_default_count", {"id": node, "count": len(defaults)}))
            if kind == "inclusive" and len(edges) < 2:
                problems.append(Problem(_node_path(g, node), "flow_fork_width", {"id": node}))
            continue
        for i, _, e in edges:
            if e.get("condition") or e.get("default"):
                problems.append(Problem(pointer("edges", i, "condition" if e.get("condition") else "default"),
                                        "flow_condition_on_plain_edge"))
        if kind == "parallel":
            if len(edges) < 2:
                problems.append(Problem(_node_path(g, node), "flow_fork_width", {"id": node}))
            continue
        plain, outcomes = 0, {}
        for i, _, e in edges:
            outcome = e.get("outcome")
            if outcome is None:
                plain += 1
            elif outcome not in t.outcomes:
                problems.append(Problem(pointer("edges", i, "outcome"), "flow_bad_outcome",
                                        {"id": node, "outcome": outcome, "known": ", ".join(t.outcomes) or "-"}))
            elif outcome in outcomes:
                problems.append(Problem(pointer("edges", i, "outcome"), "flow_duplicate_outcome",
                                        {"id": node, "outcome": outcome}))
            else:
                outcomes[outcome] = i
        if plain > 1:
            problems.append(Problem(_node_path(g, node), "flow_too_many_outgoing", {"id": node}))
        if kind == "loop" and ("each" not in outcomes or ("done" not in outcomes and plain == 0)):
            problems.append(Problem(_node_path(g, node), "flow_loop_body", {"id": node}))
    return problems


def _reach(start: str, step) -> set[str]:
    seen, stack = {start}, [start]
    while stack:
        for nxt in step(stack.pop()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _paths(g: _Graph, start: str) -> list[Problem]:
    problems = []
    reachable = _reach(start, lambda n: [to for _, to, _ in g.out[n]])
    for node in g.ids:
        if node not in reachable:
            problems.append(Problem(_node_path(g, node), "flow_unreachable", {"id": node}))
    terminals = [n for n, t in g.types.items() if t != "?" and NODE_TYPES.get(t).terminal]
    finishing: set[str] = set()
    for end in terminals:
        finishing |= _reach(end, lambda n: [frm for _, frm in g.into[n]])
    for node in reachable:
        if node not in finishing and g.types[node] != "?" and terminals:
            problems.append(Problem(_node_path(g, node), "flow_dead_end", {"id": node}))
    # cycles are allowed only through a loop node (its body leads back to it)
    state: dict[str, int] = {}

    def visit(n: str) -> str | None:
        state[n] = 1
        for _, to, _ in g.out[n]:
            if g.types.get(to) == "loop":
                continue
            if state.get(to) == 1:
                return to
            if to not in state:
                found = visit(to)
                if found:
                    return found
        state[n] = 2
        return None

    for node in g.ids:
        if node not in state:
            found = visit(node)
            if found:
                problems.append(Problem(_node_path(g, found), "flow_cycle", {"id": found}))
                break
    for node, kind in g.types.items():
        if kind == "loop":
            body = [to for _, to, e in g.out[node] if e.get("outcome") == "each"]
            if body and node not in _reach(body[0], lambda n: [to for _, to, _ in g.out[n] if n != node]):
                problems.append(Problem(_node_path(g, node), "flow_loop_not_closed", {"id": node}))
    return problems


_END = "\0end"


def _regions(g: _Graph) -> list[Problem]:
    """Each fork's branches must meet at one join; nothing outside the region may lead into it."""
    problems: list[Problem] = []
    matched: dict[str, str | None] = {}
    regions: dict[str, set[str]] = {}

    def match(fork: str, active: frozenset) -> str | None:
        if fork in matched:
            return matched[fork]
        matched[fork] = None  # guards against a fork reached again while being matched
        joins: set[str] = set()
        inside: set[str] = set()

        def walk(n: str, seen: set[str]) -> None:
            if n in seen:
                return
            seen.add(n)
            kind = g.types.get(n, "?")
            if kind == "join":
                joins.add(n)
                return
            if kind != "?" and NODE_TYPES.get(kind).terminal:
                joins.add(_END)
                return
            inside.add(n)
            if kind != "?" and NODE_TYPES.get(kind).forks:
                inner = match(n, active | {fork})
                if inner is None:
                    joins.add(_END)
                    return
                inside.update(regions.get(n, set()))
                inside.add(inner)
                for _, to, _ in g.out[inner]:
                    walk(to, seen)
                return
            for _, to, _ in g.out[n]:
                walk(to, seen)

        seen: set[str] = set()
        for _, to, _ in g.out[fork]:
            walk(to, seen)
        real = joins - {_END}
        if len(joins) == 1 and real:
            matched[fork] = real.pop()
            regions[fork] = inside
        return matched[fork]

    forks = [n for n, t in g.types.items() if t != "?" and NODE_TYPES.get(t).forks]
    closers: dict[str, list[str]] = {}
    for fork in forks:
        join = match(fork, frozenset())
        if join is None:
            problems.append(Problem(_node_path(g, fork), "flow_fork_unjoined", {"id": fork}))
        else:
            closers.setdefault(join, []).append(fork)
    for node, kind in g.types.items():
        if kind == "join":
            if node not in closers and not any(p.code == "flow_fork_unjoined" for p in problems):
                problems.append(Problem(_node_path(g, node), "flow_join_without_fork", {"id": node}))
            elif len(closers.get(node, [])) > 1:
                problems.append(Problem(_node_path(g, node), "flow_join_shared", {"id": node}))
    for fork, inside in regions.items():
        join = matched[fork]
        for node in inside | {join}:
            for i, frm in g.into[node]:
                if frm != fork and frm not in inside:
                    problems.append(Problem(pointer("edges", i), "flow_region_entered", {"fork": fork, "join": join}))
    return problems


# ---- properties, people, triggers, expressions ----------------------------------------------------------------------
def _properties(flow: FlowDef, facts: FlowFacts) -> list[Problem]:
    problems = [p.under("/trigger") for p in TRIGGER_TYPES.get(flow.trigger.type).check(flow.trigger, facts)]
    form = facts.flow_form
    seen: set[str] = set()
    for i, variable in enumerate(flow.variables):
        where = pointer("variables", i)
        if variable.key in seen:
            problems.append(Problem(where + "/key", "duplicate_key", {"key": variable.key, "other": "variables"}))
        seen.add(variable.key)
        if form is not None and any(f.key == variable.key for f in form.fields):
            problems.append(Problem(where + "/key", "flow_variable_clash", {"key": variable.key}))
        if variable.type in ("record", "records"):
            if variable.form is None:
                problems.append(Problem(where + "/form", "required"))
            elif facts.form(variable.form) is None:
                problems.append(Problem(where + "/form", "unknown_form", {"key": variable.form}))
    for j, node in enumerate(flow.nodes):
        problems += [p.under(pointer("nodes", j)) for p in type_of(node).check(node, facts)]
    return problems


def _expressions(flow: FlowDef, facts: FlowFacts) -> list[Problem]:
    from engines.flow.templates import compile_template
    from engines.print.sandbox import PrintError

    problems = []
    scope = flow_scope(flow, facts.forms)
    for _, spec in expression_specs(flow):
        if spec.form is not None and facts.form(spec.form) is None:
            continue  # reported as an unknown form
        try:
            compiled = compile_spec(spec, scope, facts.forms)
        except ExprError as e:
            problems.append(e.problem(pointer(*spec.path)))
            continue
        expect = _target_kind(spec, facts)
        if expect and not result_fits(compiled.type, expect):
            wanted = "datetime" if expect == "moment" else expect
            problems.append(Problem(pointer(*spec.path), "expr_wrong_result", type_args(wanted, compiled.type)))
    for j, node in enumerate(flow.nodes):
        for spec in type_of(node).templates(node):
            try:
                compile_template(spec.text)
            except PrintError as e:
                problems.append(Problem(pointer("nodes", j, *spec.path), "flow_bad_template",
                                        {"line": e.line or 1, "error": e.error}))
    return problems


_VARIABLE_KINDS = {"number": "number", "text": "text", "bool": "bool", "date": "date", "datetime": "datetime",
                   "member": "number"}


def _target_kind(spec, facts: FlowFacts) -> str | None:
    if spec.expect and spec.expect != "bool":
        return spec.expect
    if not spec.into:
        return None
    if spec.into[0] == "variable":
        variable = facts.variables.get(spec.into[1])
        return _VARIABLE_KINDS.get(variable.type) if variable else None
    form = spec.into[1] or (facts.flow.form if spec.into[0] == "field" else None)
    if spec.into[0] == "via":
        link = facts.field(facts.flow.form, spec.into[1])
        form = getattr(link, "target", None)
    f = facts.field(form, spec.into[2])
    if f is None or getattr(f, "system", False) or f.type not in FIELD_TYPES or facts.generated(f):
        return None
    kind = FIELD_TYPES.get(f.type).expr_kind_for(f)
    return kind if kind in ("number", "text", "bool", "date", "datetime") else None


def _from_pydantic(err: dict, doc: dict) -> Problem:
    loc = list(err["loc"])
    # discriminated unions put the tag into the location (…/nodes/2/approval/mode): drop it
    loc = [part for i, part in enumerate(loc)
           if not (isinstance(part, str) and i > 0 and (isinstance(loc[i - 1], int) or loc[i - 1] == "trigger")
                   and (part in NODE_TYPES or part in TRIGGER_TYPES))]
    kind = err["type"]
    if kind == "extra_forbidden":
        return Problem(pointer(*loc), "unknown_key", {"key": loc[-1] if loc else ""})
    if kind == "missing":
        return Problem(pointer(*loc), "required")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = err.get("ctx", {}).get("tag")
        if kind == "union_tag_not_found":
            return Problem(pointer(*loc, "type"), "required")
        if loc and loc[0] == "trigger":
            return Problem(pointer(*loc, "type"), "flow_unknown_trigger_type",
                           {"value": tag, "known": ", ".join(TRIGGER_TYPES.keys())})
        return Problem(pointer(*loc, "type"), "flow_unknown_node_type",
                       {"value": tag, "known": ", ".join(NODE_TYPES.keys())})
    if kind == "string_pattern_mismatch" and loc and loc[-1] in ("key", "form", "role", "field", "flow", "into"):
        return Problem(pointer(*loc), "bad_key")
    return Problem(pointer(*loc), "schema", {"message": err["msg"]})
