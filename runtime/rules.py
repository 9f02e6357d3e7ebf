"""Rules at run time: at event time inside the write path, and as set-based batches (a schedule or the run button).

Event time (`on_record_written`, called by RecordWriter after a create or an update that changed something, in the
writer's transaction, before flows start): the rules of the form whose `on` names the event (and whose `fields`
changed) are evaluated in memory (engines.rules.evaluate); the new values go through the one write path
(RecordWriter, with the designer's authority, so they are validated, audited and recomputed like any write), then
the per-record effects run. A computed field that moved because of the write (a customer's rollup over orders)
counts as a change of its record. Each rule on each record runs in a savepoint: a rule that fails on bad data is
logged (rule_log and the `nocode.rules` logger) and the person's write stands. Writes made by rules run rules again
— a chain stops at MAX_DEPTH with an error in the log — and start no flows (only a start_flow action does).

Batch (`run_rule`): the rule compiled to SQL (engines.rules.batch) over every record of its form — the new values
into a temporary table with one INSERT … SELECT (each computed once per record, with flags for the tags it adds
or removes), then one UPDATE … FROM it, tag sources, audit entries and computed fields each as one statement more,
read from that table; an RFM action's order aggregate is kept in a temporary table too, so its boundaries and its
scores group the orders once. The per-record actions select their ids with one query each and act record by
record. Event time and batch give the same values (tests/runtime/test_rules.py holds them to it).

Tag sources: every tag a rule adds is remembered with the rule (rule_tag_sources); where a tag goes — removed by a
rule or by a person editing the field — its source goes too. A tag without a source was put by a person:
remove_tag leaves it (unless `keep_manual` is false)."""
from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from sqlalchemy import (BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, and_, delete, exists,
                        func, insert, literal, not_, select, tuple_, update)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.expr import ExprError
from engines.expr.functions.info import list_contains
from engines.form.fields.base import Context, FieldError
from engines.form.record import coerce_value
from engines.problems import Problem, ProblemsError
from engines.rules import CompiledRule, act, compile_batch, compile_rule, evaluate
from engines.rules import effects as fx
from engines.rules.actions.scoring import PARTS, Rfm, bounds_from_json, bounds_to_json
from engines.rules.batch import BatchBuild
from engines.rules.definition import BRANCHES
from runtime.errors import ApiError
from runtime.expressions import SchemaTables, eval_context, record_envs
from runtime.jobs import JobContext, enqueue, job
from runtime.models import Json, apps, audit_log, jobs, notifications, rule_log, rule_state, rule_tag_sources
from runtime.permissions import Access
from runtime.reports import data_changed
from runtime.tables import AppSchema

log = logging.getLogger("nocode.rules")

MAX_DEPTH = 8  # rule → write → rule … levels in one transaction
CHUNK = 500  # records loaded at once when a batch acts record by record
SCHEDULE_JOB = "rule_schedule"
_DEPTH = "rule_depth"  # conn.info key: how deep the current chain is
_FAILURES = (ProblemsError, ApiError, ExprError, FieldError, SQLAlchemyError, ValueError, TypeError, ArithmeticError,
             KeyError)
_temp_names = itertools.count(1)
RFM = Rfm()


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


# ---- the rules of a published version ---------------------------------------------------------------------------
@dataclass
class RuleSet:
    rules: dict[str, CompiledRule]
    on_write: dict[str, list[CompiledRule]]  # form → enabled rules with record events


def rules_of(schema: AppSchema) -> RuleSet:
    """Compiled once per app version (kept on the schema, which lives as long as its version is cached)."""
    cached = schema.__dict__.get("_rules")
    if cached is None:
        forms = {f.key: f for f in schema.definition.forms}
        rules = {r.key: compile_rule(r, forms) for r in schema.definition.rules}
        on_write: dict[str, list[CompiledRule]] = defaultdict(list)
        for rule in rules.values():
            if rule.definition.enabled and rule.definition.on:
                on_write[rule.form].append(rule)
        cached = schema.__dict__["_rules"] = RuleSet(rules, dict(on_write))
    return cached


def _writer(conn: AsyncConnection, schema: AppSchema, tz, user_id: int | None):
    """The one write path with the designer's authority; rule writes start no flows."""
    from runtime.write import RecordWriter

    writer = RecordWriter(conn, schema, Context(tz=tz), user_id, access=Access.unrestricted(schema, user_id, tz))
    writer.starts_flows = False
    return writer


# ---- the log ----------------------------------------------------------------------------------------------------
async def _log(conn: AsyncConnection, app_id: int, rule: str, code: str, level: str = "error", form: str | None = None,
               record_id: int | None = None, message: str | None = None, detail: dict | None = None) -> None:
    await conn.execute(insert(rule_log).values(app_id=app_id, rule=rule, form=form, record_id=record_id, at=utcnow(),
                                               level=level, code=code, message=message, detail=detail))


def _error_text(error: Exception) -> str:
    if isinstance(error, ProblemsError):
        return "; ".join(f"{p.path or '/'}: {p.message('en')}" for p in error.problems)[:1000]
    return f"{type(error).__name__}: {error}"[:1000]


async def _failed(conn, schema: AppSchema, rule: CompiledRule, record_id: int, error: Exception) -> None:
    text = _error_text(error)
    log.warning("rule %s of app %s failed on %s record %s: %s", rule.key, schema.key, rule.form, record_id, text)
    await _log(conn, schema.app_id, rule.key, "rule_failed", form=rule.form, record_id=record_id,
               message=Problem("", "rule_failed", {"rule": rule.key, "record": record_id, "error": text}).message())


# ---- event time ---------------------------------------------------------------------------------------------------
async def on_record_written(writer, form_key: str, ids: list[int], changed: set[str] | None, recompute=None) -> None:
    """The rules a write triggers, in the writer's transaction: `changed` is None for created records, else the
    fields the write changed. Computed fields the write moved (here or in other records) count as changes."""
    conn, schema = writer.conn, writer.schema
    ruleset = rules_of(schema)
    events: dict[str, dict[int, set[str] | None]] = {form_key: {i: (None if changed is None else set(changed))
                                                                 for i in ids}}
    if recompute is not None:
        _computed_changes(schema, recompute, events)
    for form, records in events.items():
        if any(schema.forms[form].fields[k].field.type == "tags" for fields in records.values() if fields
               for k in fields if k in schema.forms[form].fields):
            await _drop_gone_sources(conn, schema, form, [i for i, f in records.items() if f])
        due = [(record_id, rule) for record_id, fields in records.items() for rule in ruleset.on_write.get(form, [])
               if rule.fires("created" if fields is None else "updated", fields)]
        if due:
            await _run_due(writer, form, due)


def _computed_changes(schema: AppSchema, recompute, events: dict) -> None:
    from runtime.computed import plan

    computed = {(node.form, node.field.key) for node in plan(schema)}
    for (form, key), moved in recompute.changed.items():
        if (form, key) not in computed or schema.form(form) is None or not moved:
            continue
        records = events.setdefault(form, {})
        for record_id in moved:
            if record_id in records and records[record_id] is None:
                continue  # just created: the created event covers it
            records.setdefault(record_id, set()).add(key)


async def _run_due(writer, form: str, due: list[tuple[int, CompiledRule]]) -> None:
    conn, schema = writer.conn, writer.schema
    depth = conn.info.get(_DEPTH, 0)
    if depth >= MAX_DEPTH:
        record_id, rule = due[0]
        message = Problem("", "rule_depth_exceeded", {"limit": MAX_DEPTH, "rule": rule.key, "record": record_id})
        log.error("app %s: %s — rules that change fields other rules react to keep triggering each other",
                  schema.key, message.message("en"))
        await _log(conn, schema.app_id, rule.key, "rule_depth_exceeded", form=form, record_id=record_id,
                   message=message.message())
        return
    conn.info[_DEPTH] = depth + 1
    try:
        ids = list(dict.fromkeys(record_id for record_id, _ in due))
        paths = set().union(*(rule.paths for _, rule in due))
        records = await record_envs(conn, schema, form, ids, paths)
        sources = await _sources_of(conn, schema, form, ids) if any(
            _needs_sources(rule, records.get(record_id)) for record_id, rule in due) else {}
        last = {record_id: n for n, (record_id, _) in enumerate(due)}  # after it, nothing reads the record here
        for n, (record_id, rule) in enumerate(due):
            record = records.get(record_id)
            if record is None:  # deleted by an earlier rule
                continue
            fresh = await _apply(writer, rule, record_id, record, sources.get(record_id, {}), paths,
                                 read_back=n < last[record_id])
            if fresh is not None:
                records[record_id] = fresh
                if any(_needs_sources(r, fresh) for i, r in due if i == record_id):
                    sources.update(await _sources_of(conn, schema, form, [record_id]))
    finally:
        conn.info[_DEPTH] = depth


def _needs_sources(rule: CompiledRule, record: dict | None) -> bool:
    """Only a tag a rule may remove, present on the record, needs to know who put it (saves a query per write)."""
    return record is not None and any(tag in (record.get(key) or []) for branch in BRANCHES
                                      for _, a, t in rule.actions(branch) for key, tag in t.removed_tags(a))


async def _apply(writer, rule: CompiledRule, record_id: int, record: dict, sources: dict, paths,
                 read_back: bool = True) -> dict | None:
    """One rule on one record, in a savepoint. Returns the record as the rule left it when it wrote (read back
    only for its actions, or with `read_back` for the next rule on the record)."""
    conn, schema, tz = writer.conn, writer.schema, writer.ctx.tz
    eval_ctx = eval_context(tz, writer.user_id)
    try:
        facts = await _event_facts(conn, schema, rule, record_id, eval_ctx)
        outcome = evaluate(rule, record, eval_ctx, sources, facts)
    except _FAILURES as e:
        await _failed(conn, schema, rule, record_id, e)
        return None
    changes = _changes(schema, rule.form, outcome.values, record, writer.ctx)
    if not changes and not outcome.acting:
        return None
    fresh = None
    try:
        async with conn.begin_nested():
            if changes:
                await _writer(conn, schema, tz, writer.user_id).update(rule.form, record_id, changes, None)
                await _remember_added(conn, schema, rule, record_id, record, changes)
            if (changes and read_back) or outcome.acting:
                fresh = (await record_envs(conn, schema, rule.form, [record_id], paths)).get(record_id)
            if outcome.acting and fresh is not None:
                directory = await _directory(conn, schema)
                run = EffectRun(conn, schema, tz, writer.user_id, rule, record_id)
                for acting in outcome.acting:
                    if await _carry_out(run, act(rule, outcome.branch, [acting], fresh, eval_ctx, directory)):
                        fresh = (await record_envs(conn, schema, rule.form, [record_id], paths)).get(record_id)
    except _FAILURES as e:
        await _failed(conn, schema, rule, record_id, e)
        return None
    return fresh


def _changes(schema: AppSchema, form: str, values: dict, record: dict, ctx: Context) -> dict:
    """The new values that differ from the stored ones, compared as the form would store them."""
    stores = schema.forms[form].fields
    changes = {}
    for key, value in values.items():
        stored = value
        if key in stores:
            try:
                stored = coerce_value(stores[key].field, value, ctx)
            except (FieldError, ProblemsError):
                changes[key] = value  # the write refuses it, and the failure is logged
                continue
        if stored != record.get(key):
            changes[key] = value
    return changes


async def _directory(conn, schema: AppSchema):
    """Role holders of the app, for notify and assign_owner specs (cached until the organisation changes)."""
    from runtime.flows import org_chart

    return await org_chart(conn, schema.app_id, frozenset({"role"}))


# ---- tag sources --------------------------------------------------------------------------------------------------
def _upsert_sources(conn):
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = make(rule_tag_sources)
    return statement.on_conflict_do_update(index_elements=["app_id", "form", "record_id", "field", "tag"],
                                           set_={"rule": statement.excluded.rule, "set_at": statement.excluded.set_at})


async def _remember_added(conn, schema: AppSchema, rule: CompiledRule, record_id: int, before: dict,
                          changes: dict) -> None:
    pairs = {pair for branch in BRANCHES for _, a, t in rule.actions(branch) for pair in t.added_tags(a)}
    rows = [dict(app_id=schema.app_id, form=rule.form, record_id=record_id, field=key, tag=tag, rule=rule.key,
                 set_at=utcnow())
            for key, tag in pairs if key in changes
            and tag in (changes[key] or []) and tag not in (before.get(key) or [])]
    if rows:
        await conn.execute(_upsert_sources(conn), rows)


async def _sources_of(conn, schema: AppSchema, form: str, ids: list[int]) -> dict[int, dict]:
    found: dict[int, dict] = defaultdict(dict)
    rows = await conn.execute(select(rule_tag_sources.c.record_id, rule_tag_sources.c.field, rule_tag_sources.c.tag,
                                     rule_tag_sources.c.rule).where(
        rule_tag_sources.c.app_id == schema.app_id, rule_tag_sources.c.form == form,
        rule_tag_sources.c.record_id.in_(ids)))
    for record_id, key, tag, rule in rows.all():
        found[record_id][(key, tag)] = rule
    return found


async def _drop_gone_sources(conn, schema: AppSchema, form: str, ids: list[int]) -> None:
    """Sources of tags no longer on their record (a person took them off, or a rule did) are forgotten."""
    store = schema.forms[form]
    for key, field_store in store.fields.items():
        if field_store.field.type != "tags" or not ids:
            continue
        table = store.table
        gone = select(table.c.id).where(table.c.id.in_(ids), not_(list_contains(
            table.c[field_store.column.name], rule_tag_sources.c.tag, conn.dialect.name == "sqlite")))
        await conn.execute(delete(rule_tag_sources).where(
            rule_tag_sources.c.app_id == schema.app_id, rule_tag_sources.c.form == form,
            rule_tag_sources.c.field == key, rule_tag_sources.c.record_id.in_(gone.correlate(rule_tag_sources))))


def _source_sql(schema: AppSchema, form: str):
    """For batches: "a rule set this tag on the record" as SQL over the record's row."""
    def exists_for(key: str, tag: str, base):
        return exists().where(rule_tag_sources.c.app_id == schema.app_id, rule_tag_sources.c.form == form,
                              rule_tag_sources.c.record_id == base.c.id, rule_tag_sources.c.field == key,
                              rule_tag_sources.c.tag == tag)
    return exists_for


async def tag_sources(conn, schema: AppSchema, form: str, record_id: int, record: dict) -> dict[str, list[dict]]:
    """Per tags field of a record (as the caller sees it): each tag with who put it — a rule (which, when) or a
    person."""
    known = (await _sources_of(conn, schema, form, [record_id])).get(record_id, {})
    names = {key: rule.definition.name for key, rule in rules_of(schema).rules.items()}
    at = dict(((r.field, r.tag), r.set_at) for r in (await conn.execute(select(
        rule_tag_sources.c.field, rule_tag_sources.c.tag, rule_tag_sources.c.set_at).where(
        rule_tag_sources.c.app_id == schema.app_id, rule_tag_sources.c.form == form,
        rule_tag_sources.c.record_id == record_id))).all())
    out = {}
    for key, store in schema.forms[form].fields.items():
        if store.field.type != "tags" or key not in record:
            continue
        out[key] = [{"tag": tag, "source": "rule", "rule": known[(key, tag)], "rule_name": names.get(known[(key, tag)]),
                     "set_at": at[(key, tag)].isoformat() + "Z"} if (key, tag) in known else
                    {"tag": tag, "source": "manual"} for tag in record.get(key) or []]
    return out


# ---- facts rules read from the database (RFM) -------------------------------------------------------------------
def _state_name(branch: str, index: int) -> str:
    return f"{branch}.{index}.rfm"


async def _store_state(conn, schema: AppSchema, rule: CompiledRule, name: str, value) -> None:
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = make(rule_state).values(app_id=schema.app_id, rule=rule.key, name=name, value=value,
                                        updated_at=utcnow())
    await conn.execute(statement.on_conflict_do_update(index_elements=["app_id", "rule", "name"], set_={
        "value": statement.excluded.value, "updated_at": statement.excluded.updated_at}))


def _build(conn, schema: AppSchema, rule: CompiledRule, eval_ctx, at) -> BatchBuild:
    build = BatchBuild(rule, SchemaTables(schema), eval_ctx, conn.dialect.name,
                       {f.key: f for f in schema.definition.forms}, {}, _source_sql(schema, rule.form))
    build.at = at
    return build


async def _boundaries(conn, schema: AppSchema, rule: CompiledRule, at, action, eval_ctx) -> dict:
    """The RFM tile boundaries, computed now (one statement) and kept for event time."""
    rows = (await conn.execute(RFM.boundaries_sql(action, _build(conn, schema, rule, eval_ctx, at)))).all()
    bounds = Rfm.boundaries(rows)
    await _store_state(conn, schema, rule, _state_name(*at), bounds_to_json(bounds))
    return bounds


def _rfm_actions(rule: CompiledRule):
    return [((branch, i), a) for branch in BRANCHES for i, a, _ in rule.actions(branch) if a.action == "rfm"]


async def _batch_facts(conn, schema: AppSchema, rule: CompiledRule, eval_ctx, temps: list) -> dict:
    """Per RFM action: the orders grouped per customer once, into a temporary table (added to `temps`) that the
    tile boundaries and then the scores read, instead of grouping the orders for each. The boundaries are kept
    for event time."""
    facts = {}
    sqlite = conn.dialect.name == "sqlite"
    for at, action in _rfm_actions(rule):
        aggregate = RFM.aggregate(action, _build(conn, schema, rule, eval_ctx, at))
        kept = _temp_table(conn, "rule_rfm", "cid", *[Column(c.name, c.type) for c in aggregate.selected_columns
                                                       if c.name != "cid"])
        await _create(conn, kept)
        temps.append(kept)
        count = (await conn.execute(insert(kept).from_select([c.name for c in aggregate.selected_columns],
                                                             aggregate))).rowcount
        if sqlite:  # the tile ends are read along an index per measure (built once filled: one sort each)
            for _, column in PARTS:
                index = Index(f"{kept.name}_{column}", kept.c[column])
                await conn.run_sync(lambda sync: index.create(sync))
        ends = Rfm.ends_sql(kept, count, sqlite)
        bounds = Rfm.boundaries_at((await conn.execute(ends)).mappings().one() if ends is not None else None, count)
        await _store_state(conn, schema, rule, _state_name(*at), bounds_to_json(bounds))
        facts[at] = {"bounds": bounds, "aggregate": kept}
    return facts


async def _event_facts(conn, schema: AppSchema, rule: CompiledRule, record_id: int, eval_ctx) -> dict:
    """RFM at event time scores the one customer with the boundaries of the last batch run (computed once now
    when there was none), so it gives what the next batch run would give the customer against the same tiles."""
    facts = {}
    for at, action in _rfm_actions(rule):
        stored = (await conn.execute(select(rule_state.c.value).where(
            rule_state.c.app_id == schema.app_id, rule_state.c.rule == rule.key,
            rule_state.c.name == _state_name(*at)))).scalar()
        kind = next(f.type for f in schema.definition.form(action.source).fields if f.key == action.date)
        bounds = bounds_from_json(stored, kind) if stored is not None else \
            await _boundaries(conn, schema, rule, at, action, eval_ctx)
        row = (await conn.execute(RFM.aggregate(action, _build(conn, schema, rule, eval_ctx, at), record_id))).first()
        facts[at] = {"bounds": bounds, "row": (row.last, row.freq, row.money) if row is not None else None}
    return facts


# ---- effects of per-record actions ------------------------------------------------------------------------------
@dataclass
class EffectRun:
    conn: AsyncConnection
    schema: AppSchema
    tz: Any
    user_id: int | None
    rule: CompiledRule
    record_id: int


# effect type → handler; a handler returns True when it rewrote the rule's record
EFFECTS: dict[type, Callable[[EffectRun, Any], Awaitable[bool | None]]] = {}


def effect(kind: type):
    def register(handler):
        EFFECTS[kind] = handler
        return handler
    return register


async def _carry_out(run: "EffectRun", effects: list) -> int:
    """Carry out one action's effects; how many of them rewrote the record (so the next action reads it anew)."""
    rewrote = 0
    for _, item in effects:
        rewrote += bool(await EFFECTS[type(item)](run, item))
    return rewrote


@effect(fx.StartFlow)
async def _start_flow(run: EffectRun, item: fx.StartFlow) -> None:
    from runtime.flows import start_flow

    await start_flow(run.conn, run.schema, item.flow, initiator=run.user_id, record_id=run.record_id, tz=run.tz)


@effect(fx.Notify)
async def _notify(run: EffectRun, item: fx.Notify) -> None:
    now = utcnow()
    await run.conn.execute(insert(notifications), [
        dict(user_id=user, app_id=run.schema.app_id, reason="rule", channel=item.channel, title=item.title,
             text=item.text, created_at=now) for user in dict.fromkeys(item.to)])


@effect(fx.HttpRequest)
async def _http_request(run: EffectRun, item: fx.HttpRequest) -> None:
    import json

    payload: dict[str, Any] = {"url": item.url, "method": item.method, "headers": item.headers}
    if item.body is not None:
        try:
            payload["json"] = json.loads(item.body)
        except ValueError:
            payload["json"] = item.body
    await enqueue(run.conn, "http_request", payload)


@effect(fx.CreateRecord)
async def _create_record(run: EffectRun, item: fx.CreateRecord) -> None:
    await _writer(run.conn, run.schema, run.tz, run.user_id).create(item.form, dict(item.values))


@effect(fx.AssignOwner)
async def _assign_owner(run: EffectRun, item: fx.AssignOwner) -> None:
    chosen = item.chosen if item.chosen is not None else await _pick(run, item)
    await _writer(run.conn, run.schema, run.tz, run.user_id).update(run.rule.form, run.record_id,
                                                                  {item.field: chosen}, None)
    return True


async def _pick(run: EffectRun, item: fx.AssignOwner) -> int:
    """round_robin: turns shared by every process (the flows' counters, a series per rule and field);
    least_loaded: the candidate holding the fewest records of the form now."""
    from runtime.flows import next_turn

    if item.strategy == "round_robin":
        turn = await next_turn(run.conn, f"rule:{run.schema.app_id}:{run.rule.key}:{item.field}")
        return item.candidates[turn % len(item.candidates)]
    store = run.schema.forms[run.rule.form]
    column = store.table.c.owner if item.field == "owner" else store.fields[item.field].column
    counts = dict((await run.conn.execute(select(column, func.count()).where(
        column.in_(item.candidates)).group_by(column))).all())
    return min(item.candidates, key=lambda user: (counts.get(user, 0), item.candidates.index(user)))


# ---- batch --------------------------------------------------------------------------------------------------------
async def run_rule(conn: AsyncConnection, schema: AppSchema, key: str, *, user_id: int | None, tz) -> dict:
    """The rule over every record of its form, as a few SQL statements; per-record actions record by record.
    Returns {"matched": records the condition holds for, "changed": records whose fields changed,
    "acted": per-record effects carried out, "failed": records a per-record action failed on}."""
    rule = rules_of(schema).rules.get(key)
    if rule is None or not rule.definition.enabled:
        raise ApiError(404, "rule_unknown", key=key)
    started = utcnow()
    eval_ctx = eval_context(tz, user_id)
    async with _temporary(conn) as temps:
        facts = await _batch_facts(conn, schema, rule, eval_ctx, temps)
        plan = compile_batch(rule, SchemaTables(schema), eval_ctx, conn.dialect.name,
                             {f.key: f for f in schema.definition.forms}, facts, _source_sql(schema, rule.form))
        matched = (await conn.execute(plan.matched)).scalar_one()
        acting = [(branch, i, action, kind, list((await conn.execute(ids)).scalars()))
                  for branch, i, action, kind, ids in plan.acting]
        changed = await _write_batch(conn, schema, rule, plan, user_id, eval_ctx) if plan.fields else 0
    acted, failed = await _act_batch(conn, schema, rule, acting, user_id, tz) if acting else (0, 0)
    result = {"matched": matched, "changed": changed, "acted": acted, "failed": failed}
    await _log(conn, schema.app_id, rule.key, "rule_run", level="info", form=rule.form,
               detail={**result, "seconds": round((utcnow() - started).total_seconds(), 3)})
    if changed:
        await data_changed(conn, schema.app_id)
    return result


def _temp_table(conn, prefix: str, key: str, *columns: Column) -> Table:
    """A temporary table keyed by record id: on SQLite the key is the row id (found without an index to fill); on
    PostgreSQL its index keeps joins with tables whose statistics lag (tag sources a run just added) from turning
    into a loop over every pair of rows."""
    sqlite = conn.dialect.name == "sqlite"
    return Table(f"{prefix}_{next(_temp_names)}", MetaData(),
                 Column(key, Integer if sqlite else BigInteger, primary_key=True, autoincrement=False), *columns,
                 prefixes=["TEMPORARY"])


async def _create(conn, table: Table) -> None:
    await conn.run_sync(lambda sync: table.create(sync))


async def _drop(conn, table: Table) -> None:
    await conn.run_sync(lambda sync: table.drop(sync))


@asynccontextmanager
async def _temporary(conn):
    """The temporary tables of one run, listed as they are created, dropped when the run ends well. Not after an
    error: its transaction is rolled back, the tables with it, and a DROP in a failed transaction would fail
    again and hide the error that matters."""
    tables: list[Table] = []
    yield tables
    for table in tables:
        await _drop(conn, table)


async def _write_batch(conn, schema: AppSchema, rule: CompiledRule, plan, user_id, eval_ctx) -> int:
    form = schema.forms[rule.form]
    table = form.table
    columns = [form.fields[key].column for key in plan.fields]
    temp = _temp_table(conn, "rule_batch", "id", *[Column(f"v{n}", column.type) for n, column in enumerate(columns)],
                       *[Column(f"{flag}{n}", Boolean) for n in range(len(plan.tags)) for flag in "hg"])
    async with _temporary(conn) as temps:
        await _create(conn, temp)
        temps.append(temp)
        changed = (await conn.execute(insert(temp).from_select([c.name for c in temp.columns], plan.rows))).rowcount
        if not changed:
            return 0
        now = utcnow()
        stamps = {"version": table.c.version + 1, "updated_at": now, "updated_by": user_id}
        if conn.dialect.name == "sqlite":
            # SQLite copies the join of an UPDATE … FROM into a table of its own first; a row value read by row id
            # from the temporary table writes the same in about a quarter less time
            new = select(*[temp.c[f"v{n}"] for n in range(len(columns))]).where(temp.c.id == table.c.id)
            await conn.execute(update(table).where(table.c.id.in_(select(temp.c.id))).values(
                {tuple_(*[table.c[column.name] for column in columns]): new.scalar_subquery(), **stamps}))
        else:
            await conn.execute(update(table).where(table.c.id == temp.c.id).values(
                {column.name: temp.c[f"v{n}"] for n, column in enumerate(columns)} | stamps))
        await _batch_sources(conn, schema, rule, plan, temp, now)
        await conn.execute(insert(audit_log).from_select(
            ["at", "user_id", "app_id", "form", "record_id", "action", "detail"],
            select(literal(now), literal(user_id), literal(schema.app_id), literal(rule.form, String()), temp.c.id,
                   literal("update", String()),
                   literal({"rule": rule.key, "fields": plan.fields}, Json)).select_from(temp)))
        await _recompute(conn, schema, rule, plan, temp, eval_ctx)
        return changed


async def _batch_sources(conn, schema: AppSchema, rule: CompiledRule, plan, temp, now) -> None:
    """Tags the run added remember this rule; tags the changed records lack afterwards forget theirs. Read from the
    run's flags (the record had the tag before / has it after), one statement or two per tag."""
    removed = {pair for branch in BRANCHES for _, a, t in rule.actions(branch) for pair in t.removed_tags(a)}
    for n, (key, tag) in enumerate(plan.tags):
        before, after = temp.c[f"h{n}"], temp.c[f"g{n}"]
        source = rule_tag_sources.alias("known")
        same = and_(source.c.app_id == schema.app_id, source.c.form == rule.form, source.c.record_id == temp.c.id,
                    source.c.field == key, source.c.tag == tag)
        if (key, tag) in plan.added:
            await _add_sources(conn, schema, rule, key, tag, temp, and_(after, not_(before)), same, source, now)
        if (key, tag) in removed:
            await conn.execute(delete(rule_tag_sources).where(
                rule_tag_sources.c.app_id == schema.app_id, rule_tag_sources.c.form == rule.form,
                rule_tag_sources.c.field == key, rule_tag_sources.c.tag == tag,
                rule_tag_sources.c.record_id.in_(select(temp.c.id).where(not_(after)))))


async def _add_sources(conn, schema: AppSchema, rule: CompiledRule, key: str, tag: str, temp, new, same, source,
                       now) -> None:
    """This rule as the source of a tag on the records where `new` holds (a source left over is taken over)."""
    columns = ["app_id", "form", "record_id", "field", "tag", "rule", "set_at"]
    rows = select(literal(schema.app_id), literal(rule.form, String()), temp.c.id, literal(key, String()),
                  literal(tag, String()), literal(rule.key, String()), literal(now)).where(new)
    if conn.dialect.name == "postgresql":
        # an upsert costs PostgreSQL about twice a plain insert, so the leftovers are taken over first and the rest
        # inserted; the run holds the records' row locks (its UPDATE came first), so no write adds one in between
        await conn.execute(update(source).where(same, new).values(rule=rule.key, set_at=now))
        await conn.execute(insert(rule_tag_sources).from_select(columns, rows.where(~exists().where(same))))
        return
    statement = sqlite_insert(rule_tag_sources).from_select(columns, rows)
    await conn.execute(statement.on_conflict_do_update(
        index_elements=["app_id", "form", "record_id", "field", "tag"],
        set_={"rule": statement.excluded.rule, "set_at": statement.excluded.set_at}))


async def _recompute(conn, schema: AppSchema, rule: CompiledRule, plan, temp, eval_ctx) -> None:
    """Computed fields reading what the run changed, in SQL like any write (only when some read them)."""
    from runtime.computed import Recompute, plan as computed_plan

    written = set(plan.fields)
    if not any(d.form == rule.form and d.field in written for node in computed_plan(schema) for d in node.deps):
        return
    ids = list((await conn.execute(select(temp.c.id))).scalars())
    recompute = Recompute(conn, schema, eval_ctx)
    recompute.mark(rule.form, ids, plan.fields)
    await recompute.run()


async def _act_batch(conn, schema: AppSchema, rule: CompiledRule, acting: list, user_id, tz) -> tuple[int, int]:
    """Per-record actions on the records selected before the run changed anything, read as the run left them."""
    eval_ctx = eval_context(tz, user_id)
    directory = await _directory(conn, schema)
    acted = failed = 0
    for branch, i, action, kind, ids in acting:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            records = await record_envs(conn, schema, rule.form, chunk, rule.paths)
            for record_id in chunk:
                if record_id not in records:
                    continue
                effects = act(rule, branch, [(i, action, kind)], records[record_id], eval_ctx, directory)
                try:
                    async with conn.begin_nested():
                        await _carry_out(EffectRun(conn, schema, tz, user_id, rule, record_id), effects)
                    acted += len(effects)
                except _FAILURES as e:
                    failed += 1
                    await _failed(conn, schema, rule, record_id, e)
    return acted, failed


# ---- schedules ----------------------------------------------------------------------------------------------------
def schedule_series(app_id: int, rule_key: str) -> str:
    return f"rule:{app_id}:{rule_key}"


async def arm_rule_schedules(conn: AsyncConnection, app_id: int, rules: list, tz) -> None:
    """After a publish: every enabled rule of the new version with a `schedule` gets its next slot queued (as now
    written); slots of rules gone, disabled or re-timed are dropped first."""
    from runtime.jobs import schedule, unschedule

    queued = set((await conn.execute(select(jobs.c.series).distinct().where(
        jobs.c.kind == SCHEDULE_JOB, jobs.c.series.like(f"rule:{app_id}:%"), jobs.c.status == "queued"))).scalars())
    for series in queued:
        await unschedule(conn, series)
    for rule in rules:
        if rule.enabled and rule.schedule:
            await schedule(conn, schedule_series(app_id, rule.key), SCHEDULE_JOB, rule.schedule,
                           {"app": app_id, "rule": rule.key}, tz=tz)


async def run_scheduled(conn: AsyncConnection, app_id: int, rule_key: str, tz) -> dict | None:
    """One slot of a scheduled rule, on the app's current version; a rule no longer scheduled stops its series."""
    from runtime.jobs import unschedule
    from runtime.tables import load_schema

    head = (await conn.execute(select(apps.c.key, apps.c.current_version).where(apps.c.id == app_id))).first()
    schema = await load_schema(conn, app_id, head.key, head.current_version) if head and head.current_version \
        else None
    rule = rules_of(schema).rules.get(rule_key) if schema is not None else None
    if rule is None or not rule.definition.enabled or not rule.definition.schedule:
        await unschedule(conn, schedule_series(app_id, rule_key))
        return None
    return await run_rule(conn, schema, rule_key, user_id=None, tz=tz)


@job(SCHEDULE_JOB, max_attempts=3, timeout=3600)
async def _schedule_job(ctx: JobContext, payload: dict) -> None:
    await run_scheduled(ctx.conn, payload["app"], payload["rule"], ctx.settings.tz)
