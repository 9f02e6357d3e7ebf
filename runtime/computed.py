"""Keeping computed fields true: formulas, lookups and rollups recomputed in SQL when anything they read changes.

One plan per app version lists every computed field in dependency order (engines.form.computed). A write
marks what it changed — (form, field) → record ids — and `Recompute.run` walks the plan once: for each
computed field it maps the changed ids back along the hops it reads through (a changed order → its
customer; a changed leader → the orders whose customer it leads), recomputes those records in one
UPDATE, and marks only the records whose value really changed, so a cascade stops where values settle.
Relations about to change or vanish are followed before the write (`before`), so their old ends are
recomputed too.

Concurrency. On PostgreSQL (READ COMMITTED) each statement reads a snapshot taken when it starts, so two
orders of one customer, recomputing its total at the same time, would each miss the other's order: the one
that commits last would write a total one order short (a lost update). Two kinds of lock, taken just before
a recompute statement, make the statement's snapshot include every write that could change its value:

- Records whose value reads other records back along a relation (a rollup over another form's records or
  rows: customer.total, product.sold, leader.gmv) are locked, SELECT … FOR NO KEY UPDATE in id order. Every
  writer of those other records recomputes them too, so writers of one customer queue there, and each one's
  recompute, a new statement, sees the orders committed before it.
- Records read forwards through a relation (a lookup of product.price, customer.leader.name, a rollup over a
  many-relation) are locked too, level by level, FOR SHARE — or FOR NO KEY UPDATE when the run may lock
  records of that form for a recompute anyway, so two writers never both hold a share and then wait for
  each other to give it up. A change to the product waits for the order being written, whose lines then
  read the new price, or the order waits for the change and its reverse lookup finds the new lines.
  Records read through a relation from rolled-up rows (SUM over orders of product.cost) are not locked:
  that would lock every order of a customer.

Writers of unrelated records do not wait for each other. Deadlocks stay possible when writes lock records
of several forms in different orders (a write answers 409 "try again", runtime/app.py). SQLite serialises
writers, so no lock is taken there, except to read guarded values.

Guarded fields (a formula or rollup with min/max, such as a product's stock) make a write fail as a whole
when it would move some record's value out of bounds. Their records, and those of every computed field they
read, are locked the first way (on SQLite merely read), and their values then are what the guard compares to.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from sqlalchemy import Numeric, bindparam, cast, func, or_, select, update

from engines.form import computed
from engines.form.fields.number import plain
from engines.problems import Problem, pointer
from runtime.errors import ApiError
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


def locked(schema: AppSchema) -> set[str]:
    """The computed fields whose records are locked before a recompute: the guarded ones and what they read."""
    cached = schema.__dict__.get("_computed_locked")
    if cached is None:
        cached = schema.__dict__["_computed_locked"] = computed.guarded(plan(schema))
    return cached


FORWARD = ("relation", "many", "subtable")  # hops from a record to records it reads, not back to readers


def _locked_pg(schema: AppSchema) -> set[str]:
    """On PostgreSQL: the guarded fields and what they read, and every computed field reading other records
    back along a relation, whose writers would otherwise overwrite each other's recompute."""
    cached = schema.__dict__.get("_computed_locked_pg")
    if cached is None:
        back = {n.name for n in plan(schema) if any(h.kind == "back" for d in n.deps for h in d.hops)}
        cached = schema.__dict__["_computed_locked_pg"] = locked(schema) | back
    return cached


def _locked_forms_pg(schema: AppSchema) -> set[str]:
    """Forms some of whose records a run may lock FOR NO KEY UPDATE: read through a relation, they are locked
    the same way, not shared first (two writers sharing a lock both wait to strengthen it: a deadlock)."""
    cached = schema.__dict__.get("_computed_locked_forms_pg")
    if cached is None:
        names = _locked_pg(schema)
        cached = schema.__dict__["_computed_locked_forms_pg"] = {n.form for n in plan(schema) if n.name in names}
    return cached


def _read_forward(schema: AppSchema) -> dict[str, list[tuple[str, tuple]]]:
    """Computed field → the (form, hops) of the records it reads through relations from its records, nearest
    first. Sub-table rows are their record's own (locked with it) and rolled-up rows are another matter."""
    cached = schema.__dict__.get("_computed_read_forward")
    if cached is None:
        cached = {}
        for node in plan(schema):
            paths = {(d.form, d.hops) for d in node.deps
                     if d.hops and all(h.kind in FORWARD for h in d.hops) and d.hops[-1].kind != "subtable"}
            if paths:
                cached[node.name] = sorted(paths, key=lambda p: (len(p[1]), p[0]))
        schema.__dict__["_computed_read_forward"] = cached
    return cached


def _read_back(schema: AppSchema) -> set[str]:
    """Forms whose records some computed field reads back along their relation (order.lines, for a product's
    sold). Rows read only by their own record (SUM(lines.subtotal)) are not here: the record is recomputed
    whenever its rows change."""
    cached = schema.__dict__.get("_computed_read_back")
    if cached is None:
        cached = {d.form for n in plan(schema) for d in n.deps if d.hops and d.hops[-1].kind == "back"}
        schema.__dict__["_computed_read_back"] = cached
    return cached


class GuardError(ApiError):
    """A write would move guarded values out of bounds (sold out): 409, nothing of it is kept. An ApiError,
    not a ProblemsError, because it is found after the rows are written: callers that catch ProblemsError
    to carry on with the rest (imports of good rows only) must not keep half of this write."""

    def __init__(self, problems: list[Problem]):
        super().__init__(409, "guard_failed", problems, count=len(problems))

    def body(self, lang: str) -> dict:
        body = super().body(lang)  # the first reason up front, so a toast says 已售罄, not "a conflict"
        reasons = dict.fromkeys(p.message(lang) for p in self.details)  # two products sold out: 已售罄 once
        body["error"]["message"] = ("; " if lang.lower().startswith("en") else "；").join(list(reasons)[:3])
        return body


def _guarded_keys(form) -> list[str]:
    """The keys of a form's guarded fields, in field order."""
    return [key for key, store in form.fields.items() if getattr(store.field, "guarded", False)]


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
        self.held: dict[str, dict[int, tuple]] = defaultdict(dict)  # locked records → their guarded values then
        self.read_locked: set[tuple] = set()  # (form, hops, ids) whose records this run locked as read

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
        them through a relation about to change or vanish are found now, while the old links still exist.
        Sub-table rows about to be replaced or deleted count as deleted (a product's sold over order lines)."""
        fields = None if fields is None else set(fields)
        for node in plan(self.schema):
            for dep in node.deps:
                if not dep.hops or dep.form != form:
                    continue
                if fields is None or any(h.form == form and h.field in fields for h in dep.hops):
                    self.forced[node.name] |= await self._reverse(dep.hops, ids)
        for store in self.schema.forms[form].fields.values():
            child = store.child
            if child is None or (fields is not None and store.key not in fields) or child.key not in _read_back(self.schema):
                continue
            for chunk in _chunks(ids):
                rows = list((await self.conn.execute(
                    select(child.table.c.id).where(child.table.c.parent_id.in_(chunk)))).scalars())
                if rows:
                    await self.before(child.key, rows, None)

    async def run(self) -> None:
        self.held.clear()  # a run judges guarded values against what they were when it began
        self.read_locked.clear()
        group: list[tuple[computed.Node, set[int]]] = []  # fields of one form recomputed for the same records
        for node in plan(self.schema):
            if group and _reads_any(node, group):
                await self._update_group(group)
                group = []
            ids = self.forced.pop(node.name, set())
            for dep in node.deps:
                dirty = self.changed.get((dep.form, dep.field), set()) | self.changed.get((dep.form, ALL), set())
                if dirty:
                    ids |= dirty if not dep.hops else await self._reverse(dep.hops, dirty)
            if not ids:
                continue
            if group and not self._joins(group, node, ids):
                await self._update_group(group)
                group = []
            group.append((node, ids))
        if group:
            await self._update_group(group)

    def _joins(self, group, node: computed.Node, ids: set[int]) -> bool:
        """Can `node` be recomputed in the group's one UPDATE: same form, same records, nothing guarded
        (PostgreSQL: the statement returns which fields changed; SQLite's RETURNING cannot, and its statements
        cost no round trip, so each field keeps its own there)."""
        first, first_ids = group[0]
        return (self.dialect == "postgresql" and node.form == first.form and ids == first_ids
                and not getattr(node.field, "guarded", False) and not getattr(first.field, "guarded", False))

    async def _update_group(self, group: list[tuple[computed.Node, set[int]]]) -> None:
        if len(group) == 1:
            node, ids = group[0]
            self.changed[(node.form, node.field.key)] |= await self._update(node, ids)
            return
        nodes = [node for node, _ in group]
        form = self.schema.forms[nodes[0].form]
        for chunk in _chunks(group[0][1]):
            await self._lock_for(nodes, form, chunk)
            statement = _group_statement(self.schema, nodes, self.eval_ctx, self.dialect)
            for record_id, *flags in (await self.conn.execute(statement, {"ids": chunk})).all():
                for node, flag in zip(nodes, flags):
                    if flag:
                        self.changed[(node.form, node.field.key)].add(record_id)

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
        if hop.kind == "parent":  # records → their sub-table rows
            child = forms[hop.form].table
            return select(child.c.id).where(child.c.parent_id.in_(ids))
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
        guarded = getattr(node.field, "guarded", False)
        changed: set[int] = set()
        breaches: list[Problem] = []
        for chunk in _chunks(ids):
            await self._lock_for([node], form, chunk)
            statement = _recompute_statement(self.schema, node, self.eval_ctx, self.dialect)
            rows = (await self.conn.execute(statement, {"ids": chunk})).all()
            changed |= {row[0] for row in rows}
            if guarded:
                at = _guarded_keys(form).index(node.field.key)
                held = self.held[form.key]
                breaches += [self._breach(node, record_id, value, held[record_id][at] if record_id in held else None)
                             for record_id, value in rows]
        breaches = [b for b in breaches if b is not None]
        if breaches:
            raise GuardError(breaches)
        return changed

    async def _lock_for(self, nodes: list[computed.Node], form, ids: list[int]) -> None:
        """What recomputing these fields of these records needs locked first (see the module's notes): the
        records themselves, then on PostgreSQL the records they read through relations, nearest first."""
        postgresql = self.dialect == "postgresql"
        own = _locked_pg(self.schema) if postgresql else locked(self.schema)
        if any(node.name in own for node in nodes):
            await self._lock(form, ids)
        if postgresql:
            paths = {path for node in nodes for path in _read_forward(self.schema).get(node.name, ())}
            for path in sorted(paths, key=lambda p: (len(p[1]), p[0])):
                await self._lock_read(path, ids)

    async def _lock(self, form, ids: list[int]) -> None:
        """Lock these records (PostgreSQL; SQLite writers are serialised already) in id order, so two writers
        never wait for each other crosswise, once per run; keep their guarded values as they stand then."""
        held = self.held[form.key]
        ids = [i for i in ids if i not in held]
        if not ids:
            return
        table = form.table
        columns = [form.fields[key].column for key in _guarded_keys(form)]
        query = select(table.c.id, *columns).where(table.c.id.in_(ids)).order_by(table.c.id)
        if self.dialect == "postgresql":  # NO KEY UPDATE: writers queue, rows that merely point here do not
            query = query.with_for_update(key_share=True)
        for record_id, *values in (await self.conn.execute(query)).all():
            held[record_id] = tuple(values)

    async def _lock_read(self, path: tuple[str, tuple], ids: list[int]) -> None:
        """Lock the records of `path` (form, hops) that these records read, in id order (PostgreSQL). Nearer
        levels are locked first, so the relations followed further are read as they stand once locked."""
        form_key, hops = path
        done = (form_key, hops, tuple(ids))
        if done in self.read_locked:  # another field read the same records the same way (price and name)
            return
        self.read_locked.add(done)
        reached = ids
        for hop in hops:
            reached = self._forward_hop(hop, reached)
        form = self.schema.forms[form_key]
        table = form.table
        if form_key not in _locked_forms_pg(self.schema):
            await self.conn.execute(select(table.c.id).where(table.c.id.in_(reached)).order_by(table.c.id)
                                    .with_for_update(read=True))
            return
        # locked as for a recompute, and held as such: the recompute of these records need not lock them again
        columns = [form.fields[key].column for key in _guarded_keys(form)]
        query = (select(table.c.id, *columns).where(table.c.id.in_(reached)).order_by(table.c.id)
                 .with_for_update(key_share=True))
        held = self.held[form_key]
        for record_id, *values in (await self.conn.execute(query)).all():
            held.setdefault(record_id, tuple(values))

    def _forward_hop(self, hop: computed.Hop, ids):
        forms = self.schema.forms
        if hop.kind == "subtable":
            child = forms[hop.target].table
            return select(child.c.id).where(child.c.parent_id.in_(ids))
        store = forms[hop.form].fields[hop.field]
        if hop.kind == "many":
            return select(store.link.c.target_id).where(store.link.c.source_id.in_(ids))
        return select(store.column).where(forms[hop.form].table.c.id.in_(ids))

    def _breach(self, node: computed.Node, record_id: int, value, old) -> Problem | None:
        """A value moved out of bounds, or further out (a value already below the minimum, from before the
        guard existed, may still rise: a refund must never be refused)."""
        f = node.field
        if value is None:
            return None
        value, old = float(value), None if old is None else float(old)
        if f.min is not None and value < f.min and (old is None or value < old):
            code, limit = "guard_below_min", f.min
        elif f.max is not None and value > f.max and (old is None or value > old):
            code, limit = "guard_above_max", f.max
        else:
            return None
        definition = self.schema.forms[node.form].definition
        params = {"form": getattr(definition, "name", None) or getattr(definition, "label", None) or node.form,
                  "record": record_id, "label": f.label or f.key, "value": plain(value), "limit": plain(limit)}
        if f.message:
            code, params = "guard_message", {**params, "message": f.message}
        return Problem(pointer(node.form, record_id, f.key), code, params)


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


class _Watched:
    """An evaluation context that notes which parts of it (the time, the user) building a statement read."""

    def __init__(self, ctx):
        self._ctx, self.read = ctx, set()

    def __getattr__(self, name):
        if name != "tz":  # one zone per deployment, part of every key anyway
            self.read.add(name)
        return getattr(self._ctx, name)


def _cached(schema: AppSchema, key: tuple, eval_ctx, build):
    """A recompute statement, built once per version and kept while the parts of the evaluation context it read
    stay the same (a formula with TODAY() reads the time, most read nothing): building it costs far more than
    running it. `build(ctx)` makes it from a context that notes what it reads."""
    cache = schema.__dict__.setdefault("_recompute_statements", {})
    known = cache.get(key)
    if known is not None:
        read, context, statement = known
        if context == (eval_ctx.tz, *(getattr(eval_ctx, name) for name in read)):
            return statement
    watched = _Watched(eval_ctx)
    statement = build(watched)
    read = tuple(sorted(watched.read))
    cache[key] = (read, (eval_ctx.tz, *(getattr(eval_ctx, name) for name in read)), statement)
    return statement


def _recompute_statement(schema: AppSchema, node: computed.Node, eval_ctx, dialect: str):
    """The UPDATE that recomputes one field for the records in the expanding parameter `ids`, returning the ids and
    values that changed."""
    def build(ctx):
        form = schema.forms[node.form]
        table = form.table
        column = table.c[form.fields[node.field.key].column.name]
        current = table.alias("cur")
        new = (select(current.c.id.label("rid"), value_sql(schema, node, ctx, dialect, current).label("v"))
               .where(current.c.id.in_(bindparam("ids", expanding=True))).subquery("new"))
        return (update(table).where(table.c.id == new.c.rid, column.is_distinct_from(new.c.v))
                .values({column.name: new.c.v}).returning(table.c.id, column))
    return _cached(schema, (node.name, dialect), eval_ctx, build)


def _reads_any(node: computed.Node, group) -> bool:
    """Does `node` read a field of the group (then the group's values must be written first)?"""
    return any(dep.form == member.form and dep.field in (member.field.key, ALL) for dep in node.deps
               for member, _ in group)


def _group_statement(schema: AppSchema, nodes: list[computed.Node], eval_ctx, dialect: str):
    """One UPDATE recomputing several fields of a form for the records in `ids` (PostgreSQL), returning each
    changed record's id and, per field, whether its value changed (old and new are both in the FROM row)."""
    def build(ctx):
        form = schema.forms[nodes[0].form]
        table = form.table
        columns = [table.c[form.fields[node.field.key].column.name] for node in nodes]
        current = table.alias("cur")
        parts = [current.c.id.label("rid")]
        for n, (node, column) in enumerate(zip(nodes, columns)):
            parts += [current.c[column.name].label(f"o{n}"),
                      value_sql(schema, node, ctx, dialect, current).label(f"v{n}")]
        new = select(*parts).where(current.c.id.in_(bindparam("ids", expanding=True))).subquery("new")
        differs = [new.c[f"o{n}"].is_distinct_from(new.c[f"v{n}"]) for n in range(len(nodes))]
        return (update(table).where(table.c.id == new.c.rid, or_(*differs))
                .values({column.name: new.c[f"v{n}"] for n, column in enumerate(columns)})
                .returning(table.c.id, *differs))
    return _cached(schema, ("group", tuple(node.name for node in nodes), dialect), eval_ctx, build)


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
    if "parent_filter" in node.expressions:  # rows of another form's sub-table: read the record they belong to
        parent_key = source_key.rpartition(".")[0]
        parent = forms[parent_key].table.alias("par")
        frm, own = frm.join(parent, parent.c.id == rows.c.parent_id), [*own, parent]
        conditions.append(node.expressions["parent_filter"].sql(tables, eval_ctx, dialect, parent_key, parent,
                                                                condition=True))
    value = node.expressions["field"].sql(tables, eval_ctx, dialect, source_key, rows) if "field" in node.expressions \
        else rows.c.id
    aggregate = _AGGREGATES[f.agg](value)
    if f.decimals is not None and f.agg in ("sum", "avg"):
        aggregate = func.round(aggregate if dialect == "sqlite" else cast(aggregate, Numeric), f.decimals)
    return select(aggregate).select_from(frm).where(*conditions).correlate_except(*own).scalar_subquery()

