"""Keeping computed fields true: formulas, lookups and rollups recomputed in SQL when anything they read changes.

One plan per app version lists every computed field in dependency order (engines.form.computed). A write
marks what it changed — (form, field) → record ids — and `Recompute.run` walks the plan once: for each
computed field it maps the changed ids back along the hops it reads through (a changed order → its
customer; a changed leader → the orders whose customer it leads), recomputes those records in one
UPDATE, and marks only the records whose value really changed, so a cascade stops where values settle.
Relations about to change or vanish are followed before the write (`before`), so their old ends are
recomputed too.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from sqlalchemy import Numeric, cast, func, select, update

from engines.form import computed
from runtime.expressions import SchemaTables, compiled, eval_context
from runtime.tables import AppSchema

ALL = "*"  # every field of the records (created or deleted)
CHUNK = 5000  # ids per statement: well under every driver's parameter limit


def plan(schema: AppSchema) -> list[computed.Node]:
    """Every computed field of the version in dependency order; cycles were refused at publish."""
    cached = schema.__dict__.get("_computed_plan")
    if cached is None:
        nodes = computed.nodes(schema.definition.forms, lambda form, text: compiled(schema, form, text))
        cached, _ = computed.order(nodes)
        schema.__dict__["_computed_plan"] = cached
    return cached


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ids = sorted(ids)
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


class Recompute:
    def __init__(self, conn, schema: AppSchema, eval_ctx):
        self.conn, self.schema, self.eval_ctx = conn, schema, eval_ctx
        self.dialect = conn.dialect.name
        self.changed: dict[tuple[str, str], set[int]] = defaultdict(set)
        self.forced: dict[str, set[int]] = defaultdict(set)

    def mark(self, form: str, ids: Iterable[int], fields: Iterable[str] = (ALL,)) -> None:
        ids = set(ids)
        for key in fields:
            self.changed[(form, key)] |= ids

    async def mark_rows(self, form: str, parent_ids: list[int]) -> None:
        """Every sub-table row of these records, as if each was written."""
        for store in self.schema.forms[form].fields.values():
            if store.child is not None and any(node.form == store.child.key or any(d.form == store.child.key
                                               for d in node.deps) for node in plan(self.schema)):
                table = store.child.table
                for chunk in _chunks(parent_ids):
                    rows = (await self.conn.execute(select(table.c.id).where(table.c.parent_id.in_(chunk)))).scalars()
                    self.mark(store.child.key, rows)

    async def before(self, form: str, ids: list[int], fields: Iterable[str] | None) -> None:
        """Called before records of `form` are changed (`fields`) or deleted (None): the records that read
        them through a relation about to change or vanish are found now, while the old links still exist."""
        fields = None if fields is None else set(fields)
        for node in plan(self.schema):
            for dep in node.deps:
                if not dep.hops or dep.form != form:
                    continue
                if fields is None or any(h.form == form and h.field in fields for h in dep.hops):
                    self.forced[node.name] |= await self._reverse(dep.hops, ids)

    async def run(self) -> None:
        for node in plan(self.schema):
            ids = self.forced.pop(node.name, set())
            for dep in node.deps:
                dirty = self.changed.get((dep.form, dep.field), set()) | self.changed.get((dep.form, ALL), set())
                if dirty:
                    ids |= dirty if not dep.hops else await self._reverse(dep.hops, dirty)
            if ids:
                self.changed[(node.form, node.field.key)] |= await self._update(node, ids)

    async def _reverse(self, hops, ids: Iterable[int]) -> set[int]:
        """The ids of the computed field's records that reach these records along `hops`."""
        found: set[int] = set()
        for chunk in _chunks(ids):
            query = chunk
            for hop in reversed(hops):
                query = self._reverse_hop(hop, query)
            found |= {i for i in (await self.conn.execute(query)).scalars() if i is not None}
        return found

    def _reverse_hop(self, hop: computed.Hop, ids):
        forms = self.schema.forms
        if hop.kind == "subtable":
            child = forms[hop.target].table
            return select(child.c.parent_id).where(child.c.id.in_(ids))
        store = forms[hop.form].fields[hop.field]
        if hop.kind == "relation":
            return select(forms[hop.form].table.c.id).where(store.column.in_(ids))
        if hop.kind == "many":
            return select(store.link.c.source_id).where(store.link.c.target_id.in_(ids))
        if store.link is not None:  # back along a many-relation: the records its rows link to
            return select(store.link.c.target_id).where(store.link.c.source_id.in_(ids))
        return select(store.column).where(forms[hop.form].table.c.id.in_(ids))

    async def _update(self, node: computed.Node, ids: set[int]) -> set[int]:
        """Recompute one field for these records; the ids whose stored value changed."""
        form = self.schema.forms[node.form]
        table = form.table
        column = table.c[form.fields[node.field.key].column.name]
        changed: set[int] = set()
        for chunk in _chunks(ids):
            current = table.alias("cur")
            new = (select(current.c.id.label("rid"), value_sql(self.schema, node, self.eval_ctx, self.dialect,
                                                               current).label("v"))
                   .where(current.c.id.in_(chunk)).subquery("new"))
            statement = (update(table).where(table.c.id == new.c.rid, column.is_distinct_from(new.c.v))
                         .values({column.name: new.c.v}).returning(table.c.id))
            changed |= set((await self.conn.execute(statement)).scalars())
        return changed


async def recompute_all(conn, schema: AppSchema, tz, user_id: int | None, forms: set[str] | None = None) -> None:
    """Whole-table recompute after a publish: the computed fields of `forms` (all when None) and every
    computed field downstream of them, each in one UPDATE, in dependency order."""
    eval_ctx = eval_context(tz, user_id)
    dialect = conn.dialect.name
    affected: set[str] = set()
    for node in plan(schema):
        reads = {(d.form, d.field) for d in node.deps}
        if forms is None or node.form.split(".")[0] in forms or any(f"{f}.{k}" in affected for f, k in reads):
            affected.add(node.name)
            form = schema.forms[node.form]
            value = value_sql(schema, node, eval_ctx, dialect, None)
            await conn.execute(update(form.table).values({form.fields[node.field.key].column.name: value}))


# ---- the value of one computed field, as SQL over its record ----------------------------------------------------
def value_sql(schema: AppSchema, node: computed.Node, eval_ctx, dialect: str, base):
    """`base` is the record's table (or an alias of it) the value is computed for."""
    f = node.field
    tables = SchemaTables(schema)
    if f.type == "rollup":
        return _rollup_sql(schema, node, eval_ctx, dialect, base)
    value = node.expressions["value"].sql(tables, eval_ctx, dialect, node.form, base)
    if f.type == "formula":
        digits = 2 if f.result == "money" else f.decimals
        if digits is not None:
            value = func.round(value if dialect == "sqlite" else cast(value, Numeric), digits)
    return value


_AGGREGATES = {
    "count": lambda value: func.count(value),
    "sum": lambda value: func.coalesce(func.sum(value), 0),  # nothing to add up is 0, as users expect
    "avg": func.avg,
    "min": func.min,
    "max": func.max,
}


def _rollup_sql(schema: AppSchema, node: computed.Node, eval_ctx, dialect: str, base):
    f = node.field
    forms = schema.forms
    outer = base if base is not None else forms[node.form].table
    hop = node.hop
    source_key = hop.form if hop.kind == "back" else hop.target
    rows = forms[source_key].table.alias("src")
    own = [rows]
    if hop.kind == "subtable":
        frm, where = rows, rows.c.parent_id == outer.c.id
    elif hop.kind == "many":
        link = forms[hop.form].fields[hop.field].link.alias("lnk")
        frm, where, own = link.join(rows, rows.c.id == link.c.target_id), link.c.source_id == outer.c.id, [link, rows]
    else:
        via = forms[hop.form].fields[hop.field]
        if via.link is not None:
            link = via.link.alias("lnk")
            frm, where, own = rows.join(link, link.c.source_id == rows.c.id), link.c.target_id == outer.c.id, [link, rows]
        else:
            frm, where = rows, rows.c[via.column.name] == outer.c.id
    tables = SchemaTables(schema)
    conditions = [where]
    if "filter" in node.expressions:
        conditions.append(node.expressions["filter"].sql(tables, eval_ctx, dialect, source_key, rows, condition=True))
    value = node.expressions["field"].sql(tables, eval_ctx, dialect, source_key, rows) if "field" in node.expressions \
        else rows.c.id
    aggregate = _AGGREGATES[f.agg](value)
    if f.decimals is not None and f.agg in ("sum", "avg"):
        aggregate = func.round(aggregate if dialect == "sqlite" else cast(aggregate, Numeric), f.decimals)
    return select(aggregate).select_from(frm).where(*conditions).correlate_except(*own).scalar_subquery()

