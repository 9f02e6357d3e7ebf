"""Loading an app's demo recipe (the `demo` section, engines.demo) into its tables through the bulk write path.

Records go in as the bulk API's do — validated and coerced by the form engine, links and unique values checked
against the database, auto-numbers drawn — a chunk at a time, with three differences that make a million rows
feasible: no rules or flows fire (demo data describes a state, not events), sub-table and link rows of a chunk go
in as one executemany each, and computed fields (formulas, lookups, rollups) are recomputed once per field in SQL
after the load instead of after every chunk. A guarded formula or rollup (stock = received - sold, min 0) is checked then.
"""
from __future__ import annotations

import time
from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import Decimal
from itertools import islice
from typing import Callable

from sqlalchemy import func, insert, select, update

from engines.demo import DemoDef, DemoPlan, UniqueExhausted
from engines.demo.plan import UNIQUE_TRIES
from engines.form.fields.base import Context
from engines.problems import Problem, ProblemsError, pointer
from runtime.computed import plan, value_sql
from runtime.expressions import eval_context
from runtime.tables import AppSchema, FormStore
from runtime.write import RecordWriter

CHUNK = 1000


class DemoWriter(RecordWriter):
    """RecordWriter.create_many with the per-record side effects a bulk load defers or skips."""
    starts_flows = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._pending: dict = defaultdict(list)  # table → rows of sub-tables and many-relations, one executemany each

    async def _run_rules(self, form_key, ids, changed, recompute) -> None:
        return None  # rules react to events; loading demo data is none

    async def refresh(self, form_key: str, ids: list[int]):
        return None  # computed fields are recomputed once for the whole load (load_demo)

    async def _write_children(self, form: FormStore, record_id: int, values: dict, replace: bool) -> None:
        if replace:
            return await super()._write_children(form, record_id, values, replace)
        for key, store in form.fields.items():
            if not values.get(key):
                continue
            if store.link is not None:
                self._pending[store.link] += [{"source_id": record_id, "target_id": t, "position": n}
                                              for n, t in enumerate(values[key])]
            elif store.child is not None:
                child = store.child
                if any(s.link is not None or s.child is not None for s in child.fields.values()):
                    await self._write_rows(child, record_id, values[key], replace=False)  # row ids needed
                    continue
                self._pending[child.table] += [{"parent_id": record_id, "position": n,
                                                **{name: row.get(k) for k, name in child.columns}}
                                               for n, row in enumerate(values[key])]

    async def flush(self) -> None:
        for table, rows in self._pending.items():
            if rows:
                await self.conn.execute(insert(table), rows)
        self._pending.clear()


def _plain(value, tz):
    """Stored values as the generator makes them, so expressions can mix the two: floats, not Decimals, and
    date-times as wall-clock time in the deployment's zone, not UTC."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=timezone.utc).astimezone(tz).replace(tzinfo=None)
    return value


async def _existing(conn, schema: AppSchema, plan: DemoPlan, tz) -> None:
    """Records already there (seed `data`) join the pools relations pick from, with the fields expressions read;
    sums a tally counts start from what is already stored; unique values in use are not generated again."""
    demo = plan.demo
    wanted = {k for k in plan.keep} | {r.each.form for r in demo.forms.values() if r.each is not None}
    for key, recipe in demo.forms.items():
        wanted |= _ref_targets(plan, key, recipe.fields)
    for key in sorted(wanted):
        form = schema.forms[key]
        keep = sorted(k for k in plan.keep.get(key, set()) if form.fields[k].column is not None)
        columns = [form.fields[k].column for k in keep]
        rows = (await conn.execute(select(form.table.c.id, *columns).order_by(form.table.c.id))).all()
        plan.pool(key).add([r[0] for r in rows], [dict(zip(keep, (_plain(v, tz) for v in r[1:]))) for r in rows], set(keep))
    for (source, field, by), sums in plan.tallies.items():
        form = schema.forms[source]
        value, group = form.fields[field].column, form.fields[by].column
        for g, total in (await conn.execute(select(group, func.sum(value)).group_by(group))).all():
            if g is not None and total is not None:
                sums[g] += _plain(total, tz)
    for (key, field), taken in plan.taken.items():
        column = schema.forms[key].fields[field].column
        taken |= set((await conn.execute(select(column).where(column.is_not(None)))).scalars())


def _ref_targets(plan: DemoPlan, form_key: str, specs: dict) -> set[str]:
    targets = set()
    fields = {f.key: f for f in plan.scope[form_key].fields}
    for key, spec in specs.items():
        if spec.gen == "ref":
            targets.add(fields[key].target)
        elif spec.gen == "rows":
            targets |= _ref_targets(plan, f"{form_key}.{key}", spec.fields)
    return targets


def _unique_fields(plan: DemoPlan) -> dict:
    """(form, field) of the unique fields the recipe fills, each with an empty set of values in use."""
    taken = {}
    for key, recipe in plan.demo.forms.items():
        fields = {f.key: f for f in plan.forms[key].fields}
        taken.update({(key, k): set() for k in recipe.fields if getattr(fields[k], "unique", False)})
    return taken


def _at_recipe(form_key: str, problems: list[Problem]) -> list[Problem]:
    """A generated record's problem, placed at the recipe field that made the value (…/fields/phone)."""
    placed: dict[tuple[str, str], Problem] = {}
    for p in problems:
        _index, _, rest = p.path.lstrip("/").partition("/")
        parts = rest.split("/") if rest else []
        path = pointer("demo", "forms", form_key, *(["fields", parts[0]] if parts else []))
        if len(parts) >= 3:  # a sub-table row's field: …/fields/lines/fields/qty
            path += pointer("fields", parts[2])
        placed.setdefault((path, p.code), Problem(path, p.code, p.params))
    return list(placed.values())


async def load_demo(conn, schema: AppSchema, ctx: Context, user_id: int | None, scale: float = 1,
                    today: date | None = None, chunk: int = CHUNK, log: Callable[[str], None] | None = None,
                    recipe: DemoDef | None = None) -> dict[str, int]:
    """Generate and write the app's demo recipe (or `recipe`: the one of the document just imported, its forms
    in the author's order); returns the records made per form."""
    demo = recipe or schema.definition.demo
    if demo is None or not demo.forms:
        return {}
    eval_ctx = eval_context(ctx.tz, user_id)
    plan = DemoPlan(demo, schema.definition.forms, scale, today or datetime.now(ctx.tz).date(),
                    evaluate=lambda compiled, env: compiled.evaluate(env, eval_ctx))
    plan.taken = _unique_fields(plan)
    await _existing(conn, schema, plan, ctx.tz)
    writer = DemoWriter(conn, schema, ctx, user_id)
    counts: dict[str, int] = {}
    for key in plan.order:
        started, rows, made = time.perf_counter(), plan.rows(key), 0
        while True:
            try:
                batch = list(islice(rows, chunk))
            except UniqueExhausted as e:
                raise ProblemsError([Problem(pointer("demo", "forms", e.form_key.split(".")[0], "fields", e.key),
                                             "demo_unique_exhausted", {"tries": UNIQUE_TRIES})]) from None
            if not batch:
                break
            try:
                ids = await writer.create_many(key, batch, prefix=lambda i: f"/{i}")
            except ProblemsError as e:
                raise ProblemsError(_at_recipe(key, e.problems)) from None
            await writer.flush()
            plan.pool(key).add(ids, batch, plan.keep.get(key, set()))
            made += len(ids)
        counts[key] = made
        if log:
            log(f"  {key:<18} {made:>9,} records  {time.perf_counter() - started:6.1f} s")
    started = time.perf_counter()
    await recompute_loaded(conn, schema, ctx.tz, user_id)
    if log:
        log(f"  {'(computed fields)':<18} {'':>9}          {time.perf_counter() - started:6.1f} s")
    await _check_guards(conn, schema)
    return counts


def waves(nodes) -> list[list]:
    """The computed fields in waves: each reads only fields of earlier waves (or stored ones), so the fields of one
    form in one wave are set by a single UPDATE — fewer passes over a freshly loaded table (on PostgreSQL every
    pass writes each row anew)."""
    wave_of: dict[tuple[str, str], int] = {}
    out: list[list] = []
    for node in nodes:  # in dependency order already
        wave = 1 + max((wave_of.get((d.form, d.field), -1) for d in node.deps), default=-1)
        wave_of[(node.form, node.field.key)] = wave
        while len(out) <= wave:
            out.append([])
        out[wave].append(node)
    return out


async def recompute_loaded(conn, schema: AppSchema, tz, user_id: int | None) -> None:
    """Every computed field of every record, wave by wave, one UPDATE per form and wave (runtime.computed's
    value_sql: the same SQL a write's recompute runs)."""
    eval_ctx = eval_context(tz, user_id)
    for wave in waves(plan(schema)):
        by_form: dict[str, list] = defaultdict(list)
        for node in wave:
            by_form[node.form].append(node)
        for form_key, nodes in by_form.items():
            form = schema.forms[form_key]
            await conn.execute(update(form.table).values({
                form.fields[node.field.key].column.name: value_sql(schema, node, eval_ctx, conn.dialect.name, None)
                for node in nodes}))


async def _check_guards(conn, schema: AppSchema) -> None:
    """Guarded computed fields (stock = received - sold, min 0) must hold their bounds after the load: the
    recompute above sets them without the per-write guard of runtime.computed."""
    problems = []
    for form in schema.forms.values():
        for key, store in form.fields.items():
            if not getattr(store.field, "guarded", False) or store.column is None:
                continue
            for code, bound, outside in (("demo_below_min", store.field.min, store.column.__lt__),
                                         ("demo_above_max", store.field.max, store.column.__gt__)):
                if bound is None:
                    continue
                count = (await conn.execute(select(func.count()).select_from(form.table)
                                            .where(outside(bound)))).scalar_one()
                if count:
                    problems.append(Problem(pointer("demo", "forms", form.key.split(".")[0]), code,
                                            {"count": count, "key": f"{form.key}.{key}", "limit": bound}))
    if problems:
        raise ProblemsError(problems)
