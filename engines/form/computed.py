"""Computed fields across an app: formulas, lookups and rollups, what each reads, and one order for them all.

Every computed value reads fields, possibly through relations, sub-tables or back along a relation
(a rollup of orders on a customer). What it reads is a list of `Dep`s: a field of some form, and the `hops`
leading there from the computed field's form. The runtime walks the hops backwards to find which records
must be recomputed when a field changes; the builder orders all computed fields of the app so each comes
after those it reads, and refuses a cycle with its path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

COMPUTED_TYPES = ("formula", "lookup", "rollup")


@dataclass(frozen=True)
class Hop:
    """One step from a form to records it reads.
    relation: form.field holds the id of one `target` record; many: a link table; subtable: child rows;
    back: the records of `form` whose relation `field` points at `target` (the computed field's side);
    parent: from a sub-table row (`form` is order.lines) to the record it belongs to (`target`)."""
    kind: str
    form: str
    field: str
    target: str
    many: bool = False  # back along a many-relation


@dataclass(frozen=True)
class Dep:
    form: str
    field: str
    hops: tuple[Hop, ...] = ()


@dataclass
class Node:
    """One computed field and everything it reads; `expressions` keeps the compiled parts for the runtime."""
    form: str
    field: Any
    deps: list[Dep] = field(default_factory=list)
    expressions: dict[str, Any] = field(default_factory=dict)
    hop: Hop | None = None  # a rollup's way to the records it aggregates

    @property
    def name(self) -> str:
        return f"{self.form}.{self.field.key}"


def field_lists(forms) -> Iterator[tuple[str, list, int, int | None]]:
    """(form key as expressions see it, fields, form index, sub-table field index) for forms and sub-tables."""
    for i, form in enumerate(forms):
        yield form.key, form.fields, i, None
        for j, f in enumerate(form.fields):
            if f.type == "subtable":
                yield f"{form.key}.{f.key}", f.fields, i, j


def _index(forms) -> dict[str, dict[str, Any]]:
    return {key: {f.key: f for f in fields} for key, fields, _, _ in field_lists(forms)}


# ---- resolving what lookups and rollups read ----------------------------------------------------------------
def resolve(forms) -> None:
    """Point every lookup and rollup at the field it finally reads (through lookups of lookups), so its
    column type and output follow that field. What does not resolve is left empty: the builder reports it."""
    index = _index(forms)
    for form_key, fields, _, _ in field_lists(forms):
        for f in fields:
            if f.type in ("lookup", "rollup"):
                f._source_form, f._source = _terminal(index, form_key, f, set())


def _terminal(index, form_key: str, f, seen: set) -> tuple[str | None, Any]:
    if (form_key, f.key) in seen:
        return None, None
    seen.add((form_key, f.key))
    start, path = read_path(index, form_key, f)
    if start is None or not path:
        return None, None
    found = walk_path(index, start, path)
    if found is None:
        return None, None
    form, source = found
    if (form, source.key) in seen:  # reads itself: the builder reports the cycle
        return None, None
    if source.type == "rollup" and _terminal(index, form, source, set(seen))[1] is None:
        return None, None
    return _terminal(index, form, source, seen) if source.type == "lookup" else (form, source)


def read_path(index, form_key: str, f) -> tuple[str | None, list[str]]:
    """Where a lookup or rollup starts reading, and the path of field keys it reads there."""
    if f.type == "lookup":
        relation = index.get(form_key, {}).get(f.relation)
        if relation is None or relation.type != "relation" or relation.many:
            return None, []
        return relation.target, f.field.split(".")
    start = rollup_form(index, form_key, f)
    return start, (f.field.split(".") if f.field else [])


def rollup_form(index, form_key: str, f) -> str | None:
    """The form whose records a rollup aggregates."""
    if f.relation:
        rel = index.get(form_key, {}).get(f.relation)
        if rel is None:
            return None
        if rel.type == "subtable":
            return f"{form_key}.{rel.key}"
        return rel.target if rel.type == "relation" and rel.many else None
    return f.source if f.source in index else None


def walk_path(index, form: str, path: list[str]) -> tuple[str, Any] | None:
    """Follow one-relations along `path`; the form and definition of the last field, or None."""
    for n, part in enumerate(path):
        f = index.get(form, {}).get(part)
        if f is None:
            return None
        if n == len(path) - 1:
            return form, f
        if f.type != "relation" or f.many:
            return None
        form = f.target
    return None


# ---- what each computed field reads ---------------------------------------------------------------------------
def deps_of_steps(steps, prefix: tuple[Hop, ...] = ()) -> list[Dep]:
    """A name such as customer.leader.level reads order.customer, customer.leader and leader.level."""
    deps, hops = [], list(prefix)
    for step in steps:
        deps.append(Dep(step.form, step.field, tuple(hops)))
        if step.kind in ("relation", "subtable", "many"):
            hops.append(Hop(step.kind, step.form, step.field, step.target))
    return deps


def deps_of_expression(compiled, prefix: tuple[Hop, ...] = ()) -> list[Dep]:
    from engines.expr.ast import Name, walk

    deps: list[Dep] = []
    for node in walk(compiled.node):
        if isinstance(node, Name) and getattr(node, "steps", None):
            deps += deps_of_steps(node.steps, prefix)
    return deps


def nodes(forms, compile: Callable[[str, str], Any]) -> list[Node]:
    """Every computed field of the app with what it reads. `compile(form key, text)` type-checks an
    expression in that form's scope (raising the expression error); definitions must be resolved."""
    index = _index(forms)
    found = []
    for form_key, fields, _, _ in field_lists(forms):
        for f in fields:
            if f.type in COMPUTED_TYPES:
                found.append(node_of(index, form_key, f, compile))
    return found


def node_of(index, form_key: str, f, compile) -> Node:
    node = Node(form_key, f, [Dep(form_key, "id")])  # a new record gets every value, whatever it reads
    if f.type == "formula":
        node.expressions["value"] = expression = compile(form_key, f.expr)
        node.deps += deps_of_expression(expression)
    elif f.type == "lookup":
        node.expressions["value"] = expression = compile(form_key, f"{f.relation}.{f.field}")
        node.deps += deps_of_expression(expression)
    else:
        source = rollup_form(index, form_key, f)
        if f.relation:
            rel = index[form_key][f.relation]
            hop = Hop("subtable" if rel.type == "subtable" else "many", form_key, f.relation, source)
        else:
            via = index[source][f.via]
            hop = Hop("back", source, f.via, form_key, many=bool(via.many))
        node.hop = hop
        node.deps.append(Dep(hop.form, hop.field, () if hop.kind != "back" else (hop,)))
        for role in ("field", "filter"):
            text = getattr(f, role)
            if text:
                node.expressions[role] = expression = compile(source, text)
                node.deps += deps_of_expression(expression, (hop,))
        if f.parent_filter:  # rows of another form's sub-table, counted by their record (the order's status)
            parent = source.rpartition(".")[0]
            node.expressions["parent_filter"] = expression = compile(parent, f.parent_filter)
            node.deps += deps_of_expression(expression, (hop, Hop("parent", source, "parent_id", parent)))
    return node


def guarded(nodes: list[Node]) -> set[str]:
    """The guarded computed fields (min/max) and every computed field they read, however indirectly: the
    records of these are locked before they are recomputed, so a guard never judges a stale value."""
    by_name = {n.name: n for n in nodes}
    found = {n.name for n in nodes if getattr(n.field, "guarded", False)}
    todo = list(found)
    while todo:
        for dep in by_name[todo.pop()].deps:
            name = f"{dep.form}.{dep.field}"
            if name in by_name and name not in found:
                found.add(name)
                todo.append(name)
    return found


def order(found: list[Node]) -> tuple[list[Node], list[str] | None]:
    """The nodes, each after the computed fields it reads; or the cycle ("customer.total → order.x → …")."""
    by_name = {n.name: n for n in found}
    reads = {n.name: {f"{d.form}.{d.field}" for d in n.deps} for n in found}
    names, cycle = topological(list(by_name), reads)
    return [by_name[name] for name in names], cycle


def topological(names: list[str], reads: dict[str, set[str]]) -> tuple[list[str], list[str] | None]:
    """`names` ordered so each comes after the names it reads (reads outside `names` are ignored), or the
    first cycle found, as a path that ends where it starts."""
    known, ordered, state = set(names), [], {}

    def visit(name: str, trail: list[str]) -> list[str] | None:
        if state.get(name) == "done":
            return None
        if state.get(name) == "busy":
            return trail[trail.index(name):] + [name]
        state[name] = "busy"
        for other in sorted(reads.get(name, set()) & known):
            cycle = visit(other, trail + [name])
            if cycle:
                return cycle
        state[name] = "done"
        ordered.append(name)
        return None

    for name in names:
        cycle = visit(name, [])
        if cycle:
            return ordered, cycle
    return ordered, None
