"""Flows at run time: instances stored as rows, events applied one at a time, effects carried out.

The engine (engines/flow) is pure: `step(flow, state, event, ctx)` gives the new state, the effects and the rows it
changed. Here each event runs in the caller's transaction: lock the instance row, load its rows into a FlowState,
step, upsert the changed rows, append the history and act on the effects (notification rows, timer jobs, record
writes through the one write path, outbound HTTP through the job queue). Effects that answer with an event (a
record created for the flow) are fed back at once, in the same transaction.

Starts on record writes run in the writer's transaction (`on_record_written`): the instance exists if and only if
the record does, and the initiator sees the first tasks in the answer's wake. Records written by a flow start flows
too (a coupon an SOP issues starts the coupon reminder; not the writing flow itself on its own record), one level
deeper each time: at MAX_DEPTH levels the chain stops with an error in the `nocode.flows` log, so flows that keep
starting each other end.
"""
from __future__ import annotations

import json
import logging
import random
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from sqlalchemy import bindparam, delete, event, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from builder.model import AppDef
from engines.expr import ExprError
from engines.flow import (BusinessCalendar, Failed, FlowContext, HttpResponse, OrgChart, RecordChanged, Reply, Start, StepResult,
                          SubflowFinished, TimerFired, compile_flow, date_field_cron, date_field_filter,
                          starts_on_write, step)
from engines.flow import effects as fx
from engines.flow.definition import CompiledFlow
from engines.flow.state import ChangeSet, FlowState, InstanceRow, TaskRow, TimerRow, TokenRow
from engines.form.fields.base import Context
from engines.problems import Problem, ProblemsError
from runtime.errors import ApiError
from runtime.expressions import SchemaTables, compiled, eval_context, record_envs
from runtime.jobs import JOBS, RETRYABLE_STATUS, JobContext, enqueue, job
from runtime.models import (app_versions, apps, department_members, departments, flow_counters, flow_history,
                            flow_instances, flow_tasks, flow_timers, flow_tokens, flow_variables, jobs, notifications,
                            org_version, user_roles, users, work_calendar)
from runtime.permissions import Access
from runtime.tables import AppSchema, load_schema
from runtime.write import RecordWriter, _jsonable

log = logging.getLogger("nocode.flows")

MAX_DEPTH = 5  # flow → write → flow … levels in one transaction (a person's write is level 0)
_DEPTH = "flow_depth"  # conn.info key: how many flow writes deep the current write is
_WRITER = "flow_writer"  # conn.info key: (flow, form, record id) of the instance writing now
MAX_FOLLOW_UPS = 100  # events one effect chain may feed back in one transaction (replies to record writes)
TIMER_JOB = "flow_timer"
HTTP_JOB = "flow_http"  # an http_request node that waits for the answer
DOCUMENT_JOB = "flow_document"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _naive(moment: datetime | None) -> datetime | None:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment is not None and moment.tzinfo else moment


def _aware(moment: datetime | None) -> datetime | None:
    return moment.replace(tzinfo=timezone.utc) if moment is not None and moment.tzinfo is None else moment


# ---- compiled flows, per app version ----------------------------------------------------------------------------
_COMPILED: dict[tuple[str, int, int], dict[str, CompiledFlow]] = {}
_COMPILED_SIZE = 256


async def flows_of(conn: AsyncConnection, app_id: int, version: int, definition: AppDef | None = None
                   ) -> dict[str, CompiledFlow]:
    """The compiled flows of one published app version (a version never changes, so this never goes stale).
    Keyed by database too: one process may serve several (tests do)."""
    key = (str(conn.engine.url), app_id, version)
    found = _COMPILED.get(key)
    if found is None:
        if definition is None:
            doc = (await conn.execute(select(app_versions.c.definition).where(
                app_versions.c.app_id == app_id, app_versions.c.version == version))).scalar_one()
            definition = AppDef.model_validate(doc)
        forms = {f.key: f for f in definition.forms}
        found = {doc["key"]: compile_flow(doc, forms, version) for doc in definition.flows}
        for flow in found.values():  # computed once per version, read on every event
            flow.org_parts, flow.counts_working_days = world_parts(flow)
        if len(_COMPILED) >= _COMPILED_SIZE:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = found
    return found


ORG_PARTS = ("role", "manager", "department_head")


def world_parts(flow: CompiledFlow) -> tuple[frozenset[str], bool]:
    """What a flow can ask of the world: the parts of the org chart in its assignee specs (and managers for
    escalations, whose default target is each late assignee's manager), and whether it counts working days.
    What it never asks about is not loaded."""
    found: set[str] = set()
    working_days = False

    def walk(value: Any) -> None:
        nonlocal working_days
        if isinstance(value, dict):
            found.update(k for k in value if k in ORG_PARTS)
            if value.get("action") == "escalate":
                found.add("manager")
            working_days = working_days or value.get("working_days") is True
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(flow.definition.model_dump(mode="json", exclude_defaults=True)["nodes"])
    return frozenset(found), working_days


_ORG: dict[tuple[str, int], tuple[int, frozenset, OrgChart]] = {}


async def org_chart(conn: AsyncConnection, app_id: int, parts=ORG_PARTS, version: int | None = None) -> OrgChart:
    """The org chart as the engine sees it: role holders of this app, managers, departments and their heads (only
    the `parts` asked for). Kept per process until `org_version` moves (database triggers bump it on any change
    to those tables), so a step costs one small read instead of the chart (none when the caller read it)."""
    if version is None:
        version = (await conn.execute(_ORG_VERSION)).scalar_one()
    key = (str(conn.engine.url), app_id)
    cached = _ORG.get(key)
    if cached is not None and cached[0] == version:
        if parts <= cached[1]:
            return cached[2]
        parts = frozenset(parts) | cached[1]
    chart = await _load_org(conn, app_id, parts)
    if len(_ORG) >= _COMPILED_SIZE:
        _ORG.pop(next(iter(_ORG)))
    _ORG[key] = (version, frozenset(parts), chart)
    return chart


_ORG_VERSION = select(org_version.c.value).where(org_version.c.id == 1)


async def _load_org(conn: AsyncConnection, app_id: int, parts) -> OrgChart:
    chart = OrgChart()
    if "role" in parts:
        for user_id, role in (await conn.execute(select(user_roles.c.user_id, user_roles.c.role).where(
                user_roles.c.app_id == app_id).order_by(user_roles.c.user_id))).all():
            chart.roles.setdefault(role, []).append(user_id)
    if "manager" in parts:
        chart.managers.update((await conn.execute(select(users.c.id, users.c.manager_id).where(
            users.c.manager_id.is_not(None)))).all())
    if "department_head" in parts:
        chart.departments.update((await conn.execute(select(
            department_members.c.user_id, department_members.c.department_id)
            .order_by(department_members.c.department_id.desc()))).all())
        for department_id, head, parent in (await conn.execute(select(departments.c.id, departments.c.head_id,
                                                                       departments.c.parent_id))).all():
            if head is not None:
                chart.heads[department_id] = head
            if parent is not None:
                chart.parents[department_id] = parent
    return chart


# ---- rows ⇄ state -------------------------------------------------------------------------------------------------
_UPSERTS: dict[tuple[str, str], Any] = {}


def _upsert(conn: AsyncConnection, table, keys: list[str]):
    """INSERT … ON CONFLICT (keys) DO UPDATE, built once per dialect and table (building it is not cheap)."""
    cache_key = (conn.dialect.name, table.name)
    statement = _UPSERTS.get(cache_key)
    if statement is None:
        make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
        base = make(table)
        columns = [c.name for c in table.columns if c.name not in keys and c.name != "id"]
        statement = _UPSERTS[cache_key] = base.on_conflict_do_update(
            index_elements=keys, set_={c: base.excluded[c] for c in columns})
    return statement


def _instance_values(row: InstanceRow) -> dict:
    parent_id, parent_request = row.parent if row.parent else (None, None)
    return dict(status=row.status, initiator=row.initiator, form=row.form, record_id=row.record_id,
                record=_jsonable(row.record), started_at=_naive(row.started_at), ended_at=_naive(row.ended_at),
                epoch=row.epoch, seq=row.seq, history_seq=row.history_seq, acted=row.acted, parent_id=parent_id,
                parent_request=parent_request)


_SET_REVISION = update(flow_instances).where(flow_instances.c.id == bindparam("instance")).values(
    revision=bindparam("revision"))
_SET_INSTANCE = update(flow_instances).where(flow_instances.c.id == bindparam("instance"))


async def save_changes(conn: AsyncConnection, instance_id: int, changes: ChangeSet, revision: int) -> None:
    """Exactly the rows the step wrote: upserts by (instance, key), history appended; the instance row carries
    the new `revision`."""
    if changes.instance is not None:
        await conn.execute(_SET_INSTANCE, {**_instance_values(changes.instance), "revision": revision,
                                           "instance": instance_id})
    else:
        await conn.execute(_SET_REVISION, {"revision": revision, "instance": instance_id})
    if changes.tokens:
        await conn.execute(_upsert(conn, flow_tokens, ["instance_id", "key"]), [
            dict(instance_id=instance_id, key=t.id, node=t.node, status=t.status, stack=[list(s) for s in t.stack],
                 wait=t.wait) for t in changes.tokens.values()])
    if changes.tasks:
        await conn.execute(_upsert(conn, flow_tasks, ["instance_id", "key"]), [
            dict(instance_id=instance_id, key=t.id, token=t.token, node=t.node, kind=t.kind, assignee=t.assignee,
                 status=t.status, position=t.position, epoch=t.epoch, visit=t.visit, origin=t.origin,
                 waits_on=list(t.waits_on), created_at=_naive(t.created_at), decided_at=_naive(t.decided_at),
                 decided_by=t.decided_by, comment=t.comment, due_at=_naive(t.due_at))
            for t in changes.tasks.values()])
    if changes.timers:
        await conn.execute(_upsert(conn, flow_timers, ["instance_id", "key"]), [
            dict(instance_id=instance_id, key=t.id, token=t.token, node=t.node, purpose=t.purpose, at=_naive(t.at),
                 status=t.status, stage=t.stage) for t in changes.timers.values()])
    if changes.variables:
        await conn.execute(_upsert(conn, flow_variables, ["instance_id", "key"]), [
            dict(instance_id=instance_id, key=key, value={"v": _jsonable(value)})
            for key, value in changes.variables.items()])
    if changes.history:
        await conn.execute(insert(flow_history), [
            dict(instance_id=instance_id, seq=h.seq, at=_naive(h.at), node=h.node, action=h.action, by=h.by,
                 task=h.task, detail=_jsonable(h.detail) or None) for h in changes.history])


# The state each instance had at its last commit in this process, by (database, instance): reused when the
# instance row's revision shows nobody has stepped it since (saves four reads per event).
_STATES: dict[tuple[str, int], tuple[int, FlowState]] = {}
_STATES_SIZE = 10_000


async def load_state(conn: AsyncConnection, instance_id: int | None, lock: bool = True, task_id: int | None = None):
    """(instance row, FlowState), the instance row locked for this transaction (PostgreSQL: FOR UPDATE; SQLite's
    write lock serialises writers already). None when there is no such instance. Given a task id instead, the
    instance of that task, the row carrying the task's `task_key` (one query for both)."""
    org = _ORG_VERSION.scalar_subquery().label("org_version")  # read with the lock: one round trip for both
    if task_id is None:
        query = select(flow_instances, org).where(flow_instances.c.id == instance_id)
    else:
        query = select(flow_instances, org, flow_tasks.c.key.label("task_key")).join(
            flow_tasks, flow_tasks.c.instance_id == flow_instances.c.id).where(flow_tasks.c.id == task_id)
    row = (await conn.execute(query.with_for_update(of=flow_instances) if lock else query)).first()
    if row is None:
        return None
    cached = _STATES.pop((str(conn.engine.url), row.id), None)  # put back only when a step commits
    if cached is not None and cached[0] == row.revision:
        return row, cached[1]
    instance = InstanceRow(
        row.id, row.flow, row.version, row.status, row.initiator, _aware(row.started_at), form=row.form,
        record_id=row.record_id, record=row.record or {}, ended_at=_aware(row.ended_at), epoch=row.epoch,
        seq=row.seq, history_seq=row.history_seq, acted=row.acted,
        parent=(row.parent_id, row.parent_request) if row.parent_id is not None else None)
    tokens = {t.key: TokenRow(t.key, t.node, t.status, tuple(tuple(s) for s in t.stack or ()), t.wait)
              for t in (await conn.execute(select(flow_tokens).where(flow_tokens.c.instance_id == row.id))).all()}
    tasks = {t.key: TaskRow(t.key, t.token, t.node, t.kind, t.assignee, t.status, t.position, t.epoch,
                            _aware(t.created_at), t.visit, t.origin, tuple(t.waits_on or ()), _aware(t.decided_at),
                            t.decided_by, t.comment, _aware(t.due_at))
             for t in (await conn.execute(select(flow_tasks).where(flow_tasks.c.instance_id == row.id))).all()}
    timers = {t.key: TimerRow(t.key, t.token, t.node, t.purpose, _aware(t.at), t.status, t.stage)
              for t in (await conn.execute(select(flow_timers).where(flow_timers.c.instance_id == row.id))).all()}
    variables = {v.key: (v.value or {}).get("v") for v in (await conn.execute(
        select(flow_variables).where(flow_variables.c.instance_id == row.id))).all()}
    return row, FlowState(instance, tokens, tasks, timers, variables)


def _keep_on_commit(conn: AsyncConnection, instance_id: int, revision: int, state: FlowState) -> None:
    """Remember the state once (and only if) the transaction commits: a rolled-back step leaves no trace."""
    key = (str(conn.engine.url), instance_id)

    def keep(_connection) -> None:
        if len(_STATES) >= _STATES_SIZE:
            _STATES.pop(next(iter(_STATES)))
        _STATES[key] = (revision, state)

    event.listen(conn.sync_connection, "commit", keep, once=True)


# ---- running one event --------------------------------------------------------------------------------------------
@dataclass
class Run:
    """What effect handlers need: the connection, the app, the instance and where to queue follow-up events."""
    conn: AsyncConnection
    schema: AppSchema
    instance_id: int
    state: FlowState
    tz: Any
    follow_ups: list

    @property
    def initiator(self) -> int | None:
        return self.state.instance.initiator


EffectHandler = Callable[[Run, Any], Awaitable[None]]
EFFECTS: dict[type, EffectHandler] = {}


def effect(kind: type):
    def register(handler: EffectHandler) -> EffectHandler:
        EFFECTS[kind] = handler
        return handler
    return register


_SCHEMAS: dict[tuple[str, int, int], AppSchema] = {}


async def _schema_for(conn: AsyncConnection, app_id: int, version: int, current: AppSchema | None) -> AppSchema:
    """The tables of the instance's app version (cached like compiled flows: a published version never changes)."""
    if current is not None and current.app_id == app_id and current.version == version:
        return current
    key = (str(conn.engine.url), app_id, version)
    found = _SCHEMAS.get(key)
    if found is None:
        app_key = (await conn.execute(select(apps.c.key).where(apps.c.id == app_id))).scalar_one()
        found = await load_schema(conn, app_id, app_key, version)
        if len(_SCHEMAS) >= _COMPILED_SIZE:
            _SCHEMAS.pop(next(iter(_SCHEMAS)))
        _SCHEMAS[key] = found
    return found


async def _context(conn: AsyncConnection, app_id: int, flow: CompiledFlow, tz, org: int | None = None
                   ) -> FlowContext:
    calendar = await working_calendar(conn) if flow.counts_working_days else BusinessCalendar()
    return FlowContext(directory=await org_chart(conn, app_id, flow.org_parts, org), tz=tz, calendar=calendar)


async def working_calendar(conn: AsyncConnection) -> BusinessCalendar:
    """Monday to Friday, minus the holidays, plus the weekend days worked instead (调休), as administrators set."""
    rows = (await conn.execute(select(work_calendar.c.day, work_calendar.c.working))).all()
    return BusinessCalendar(holidays=frozenset(d for d, working in rows if not working),
                            workdays=frozenset(d for d, working in rows if working))


async def apply_event(conn: AsyncConnection, instance_id: int | None, event: Any, tz,
                      schema: AppSchema | None = None, task_id: int | None = None) -> StepResult | None:
    """Apply one event to a stored instance (raises ActionRefused, nothing written then). None: no instance.
    With `task_id` (and no instance id), the instance of that task, and `event` a function of its task key."""
    loaded = await load_state(conn, instance_id, task_id=task_id)
    if loaded is None:
        return None
    row, state = loaded
    if task_id is not None:
        event = event(row.task_key)
    flows = await flows_of(conn, row.app_id, row.version)
    flow = flows[row.flow]
    schema = await _schema_for(conn, row.app_id, row.version, schema)
    ctx = await _context(conn, row.app_id, flow, tz, row.org_version)
    if state.instance.form and state.instance.record_id is not None:  # the flow reads the record as it is now
        fresh = await flow_record(conn, schema, flow, state.instance.record_id)
        if fresh is not None:
            state = FlowState(state.instance._replace(record=fresh), state.tokens, state.tasks, state.timers,
                              state.variables)
    return await _step_and_apply(conn, schema, flow, state, event, ctx, tz, row.revision)


async def flow_record(conn: AsyncConnection, schema: AppSchema, flow: CompiledFlow, record_id: int) -> dict | None:
    """The flow's record as it is now, with the linked records and sub-table rows its expressions, assignees and
    templates read (`customer.sales`, `leader.account`): one query, plus one per relation level it reads through."""
    return (await record_envs(conn, schema, flow.form, [record_id], flow.record_paths)).get(record_id)


async def _step_and_apply(conn, schema, flow, state, event, ctx, tz, revision: int) -> StepResult:
    result = step(flow, state, event, ctx)
    instance_id = result.state.instance.id
    follow_ups: list = []
    in_flight = conn.info.setdefault("flow_follow_ups", {})  # instance id → its queue, while it is being stepped
    in_flight[instance_id] = follow_ups
    try:
        for _ in range(MAX_FOLLOW_UPS):
            if result.changes:
                revision += 1
                await save_changes(conn, instance_id, result.changes, revision)
            run = Run(conn, schema, instance_id, result.state, tz, follow_ups)
            for item in result.effects:
                handler = EFFECTS.get(type(item))
                if handler is not None:
                    await handler(run, item)
            if not follow_ups:
                _keep_on_commit(conn, instance_id, revision, result.state)
                return result
            result = step(flow, result.state, follow_ups.pop(0), ctx)
    finally:
        in_flight.pop(instance_id, None)
    raise RuntimeError(f"flow instance {instance_id}: more than {MAX_FOLLOW_UPS} follow-up events in one step")


async def deliver(conn: AsyncConnection, instance_id: int, event: Any, tz) -> None:
    """An event for another instance in this transaction: queued behind the current step when that instance is
    being stepped already (a sub-flow that ended at once), applied now otherwise."""
    queue = conn.info.get("flow_follow_ups", {}).get(instance_id)
    if queue is not None:
        queue.append(event)
    else:
        await apply_event(conn, instance_id, event, tz)


async def start_flow(conn: AsyncConnection, schema: AppSchema, flow_key: str, *, initiator: int | None,
                     record_id: int | None = None, variables: dict | None = None, tz=timezone.utc,
                     at: datetime | None = None, parent: tuple | None = None, record: dict | None = None
                     ) -> StepResult:
    """Start an instance of a flow of the schema's version on a record (or none), in the caller's transaction.
    `record`: the record as just read with (at least) the flow's `record_paths`, saving a read."""
    flows = await flows_of(conn, schema.app_id, schema.version, schema.definition)
    flow = flows[flow_key]
    at = at or utcnow()
    if flow.form is None or record_id is None:
        record = None
    elif record is None:
        record = await flow_record(conn, schema, flow, record_id)
    instance_id, org = (await conn.execute(insert(flow_instances).values(
        app_id=schema.app_id, flow=flow_key, version=schema.version, status="running", initiator=initiator,
        form=flow.form, record_id=record_id, started_at=_naive(at)).returning(
        flow_instances.c.id, _ORG_VERSION.scalar_subquery()))).one()  # the org chart's version: no read of its own
    ctx = await _context(conn, schema.app_id, flow, tz, org)
    event = Start(at, instance_id=instance_id, initiator=initiator, record=record, variables=variables or {},
                  parent=parent)
    return await _step_and_apply(conn, schema, flow, None, event, ctx, tz, 0)


async def on_record_written(conn: AsyncConnection, schema: AppSchema, form_key: str, ids: list[int],
                            changed: set[str] | None, user_id: int | None, tz=timezone.utc) -> list[int]:
    """Start the flows a write triggers (record_created when `changed` is None, record_updated otherwise), in the
    writer's transaction. Returns the new instance ids."""
    flows = await flows_of(conn, schema.app_id, schema.version, schema.definition)
    event = "created" if changed is None else "updated"
    wanted = [f for f in flows.values() if f.definition.enabled and f.form == form_key
              and getattr(f.definition.trigger, "type", None) == f"record_{event}"]
    depth = conn.info.get(_DEPTH, 0)
    if depth >= MAX_DEPTH:  # written by a flow that a flow's write started, and so on: stop the chain here
        if wanted or changed is not None:
            log.error("app %s: flows not started and waiting flows not woken on %s %s %s — %d levels of flows "
                      "writing records that start flows (limit %d); flows %s keep triggering each other",
                      schema.key, form_key, event, ids, depth, MAX_DEPTH, sorted(f.key for f in wanted))
        return []
    if changed is not None:
        await _wake_waiting(conn, schema, form_key, ids, tz)
    if not wanted or not ids:
        return []
    records = await record_envs(conn, schema, form_key, ids, frozenset().union(*(f.record_paths for f in wanted)))
    started = []
    eval_ctx = eval_context(tz, user_id)
    writer = conn.info.get(_WRITER)  # an instance writing its own record does not start its flow again on it
    for record_id in ids:
        record = records.get(record_id)
        unread = record  # as read above, until a flow started on it may have written it
        for flow in wanted:
            if writer == (flow.key, form_key, record_id):
                continue
            if record is not None and starts_on_write(flow, event, record, changed, eval_ctx):
                result = await start_flow(conn, schema, flow.key, initiator=user_id, record_id=record_id, tz=tz,
                                          record=unread)
                unread = None
                started.append(result.state.instance.id)
    return started


async def _wake_waiting(conn: AsyncConnection, schema: AppSchema, form_key: str, ids: list[int], tz) -> None:
    """Running instances on these records with a branch waiting on a condition (wait_until) re-check it."""
    waiting = (await conn.execute(select(flow_instances.c.id, flow_instances.c.record_id).distinct().join(
        flow_tokens, flow_tokens.c.instance_id == flow_instances.c.id).where(
        flow_instances.c.app_id == schema.app_id, flow_instances.c.form == form_key,
        flow_instances.c.record_id.in_(ids), flow_instances.c.status == "running",
        flow_tokens.c.status == "waiting", flow_tokens.c.wait == "condition"))).all()
    if not waiting:
        return
    flows = await flows_of(conn, schema.app_id, schema.version, schema.definition)
    paths = frozenset().union(*(f.record_paths for f in flows.values() if f.form == form_key))
    records = await record_envs(conn, schema, form_key, [r.record_id for r in waiting], paths)
    for instance_id, record_id in waiting:
        if record_id in records:  # an instance writing its own record is being stepped: queued behind its step
            await deliver(conn, instance_id, RecordChanged(utcnow(), records[record_id]), tz)


# ---- effects ------------------------------------------------------------------------------------------------------
async def _notify(run: Run, to, reason: str, title: str | None, text: str | None, channel: str = "in_app") -> None:
    now = _naive(utcnow())
    rows = [dict(user_id=user, app_id=run.schema.app_id, instance_id=run.instance_id, reason=reason,
                 channel=channel, title=title, text=text, created_at=now) for user in dict.fromkeys(to)]
    if rows:
        await run.conn.execute(insert(notifications), rows)


@effect(fx.Notify)
async def _on_notify(run: Run, item: fx.Notify) -> None:
    await _notify(run, item.to, item.reason, item.title, item.text, item.channel)


@effect(fx.Cc)
async def _on_cc(run: Run, item: fx.Cc) -> None:
    await _notify(run, item.to, "cc", None, item.text)


def timer_dedupe_key(instance_id: int, timer: str) -> str:
    return f"flow-timer:{instance_id}:{timer}"


@effect(fx.ScheduleTimer)
async def _on_schedule_timer(run: Run, item: fx.ScheduleTimer) -> None:
    await enqueue(run.conn, TIMER_JOB, {"instance": run.instance_id, "timer": item.timer}, run_at=item.at,
                  dedupe_key=timer_dedupe_key(run.instance_id, item.timer))


@effect(fx.CancelTimer)
async def _on_cancel_timer(run: Run, item: fx.CancelTimer) -> None:
    # The timer row is already marked cancelled (the handler would ignore it); dropping the waiting job saves a run.
    await run.conn.execute(delete(jobs).where(jobs.c.dedupe_key == timer_dedupe_key(run.instance_id, item.timer),
                                              jobs.c.status == "queued"))


def _writer(run: Run) -> RecordWriter:
    """The one write path, as the initiator, with no permission limits (the flow's designer decided). Its writes
    start flows one level deeper (see `_guarded`)."""
    return RecordWriter(run.conn, run.schema, Context(tz=run.tz), run.initiator,
                        access=Access.unrestricted(run.schema, run.initiator, run.tz))


async def _guarded(run: Run, what: str, write: Callable[[], Awaitable[Any]]) -> tuple[bool, Any]:
    """A write in a savepoint: refused (bad values, record gone, stale) → the instance fails with the reason in
    its history, and the caller's other writes stand. Flows it starts count one level deeper (MAX_DEPTH)."""
    info = run.conn.info
    depth, writer = info.get(_DEPTH, 0), info.get(_WRITER)
    instance = run.state.instance
    info[_DEPTH], info[_WRITER] = depth + 1, (instance.flow, instance.form, instance.record_id)
    try:
        async with run.conn.begin_nested():
            return True, await write()
    except (ProblemsError, ApiError) as e:
        run.follow_ups.append(Failed(utcnow(), what, _error_text(e)))
        return False, None
    finally:
        info[_DEPTH], info[_WRITER] = depth, writer


def _error_text(error: Exception) -> str:
    if isinstance(error, ProblemsError):
        return "; ".join(f"{p.path or '/'}: {p.code}" for p in error.problems)[:1000]
    return str(getattr(error, "code", None) or error)[:1000]


@effect(fx.WriteRecord)
async def _on_write_record(run: Run, item: fx.WriteRecord) -> None:
    writer = _writer(run)

    async def write():
        if item.op == "create":
            return await writer.create(item.form, dict(item.values))
        if item.op == "update":
            await writer.update(item.form, item.record_id, dict(item.values), None)
        else:
            await writer.delete(item.form, item.record_id)

    ok, value = await _guarded(run, f"{item.op} {item.form} {item.record_id or ''}".strip(), write)
    if ok and item.request is not None:
        run.follow_ups.append(Reply(utcnow(), item.request, value=value))


@effect(fx.AssignOwner)
async def _on_assign_owner(run: Run, item: fx.AssignOwner) -> None:
    if not item.candidates:
        return
    chosen = await _pick(run, item)
    ok, _ = await _guarded(run, f"assign {item.form} {item.record_id}",
                           lambda: _writer(run).update(item.form, item.record_id, {item.field: chosen}, None))
    if ok and item.request is not None:  # the waiting assign node goes on with the chosen person in the record
        run.follow_ups.append(Reply(utcnow(), item.request, value=chosen))


async def _pick(run: Run, item: fx.AssignOwner) -> int:
    if item.strategy == "random":
        return random.choice(item.candidates)
    if item.strategy == "least_loaded":  # the candidate holding the fewest records of the form now
        table = run.schema.forms[item.form].table
        column = table.c[run.schema.forms[item.form].fields[item.field].column.name] \
            if item.field != "owner" else table.c.owner
        counts = dict((await run.conn.execute(select(column, func.count()).where(
            column.in_(item.candidates)).group_by(column))).all())
        return min(item.candidates, key=lambda user: (counts.get(user, 0), item.candidates.index(user)))
    if item.strategy == "round_robin":  # a counter per flow node, shared by every process through one row
        series = f"{run.schema.app_id}:{run.state.instance.flow}:{item.form}:{item.field}"
        turn = await next_turn(run.conn, series)
        return item.candidates[turn % len(item.candidates)]
    return item.candidates[0]


async def next_turn(conn: AsyncConnection, series: str) -> int:
    """0, 1, 2… per series: an upsert that bumps the counter and returns it (the row lock orders rivals)."""
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = make(flow_counters).values(series=series, value=0)
    statement = statement.on_conflict_do_update(index_elements=["series"],
                                                set_={"value": flow_counters.c.value + 1})
    return (await conn.execute(statement.returning(flow_counters.c.value))).scalar_one()


@effect(fx.HttpRequest)
async def _on_http_request(run: Run, item: fx.HttpRequest) -> None:
    if item.connector is not None:  # through the app's connector: auth, rate limit, mappings (runtime/connectors.py)
        from runtime.connectors import enqueue_flow_call

        return await enqueue_flow_call(run, item)
    payload = {"url": item.url, "method": item.method, "headers": item.headers, "timeout": item.timeout_seconds}
    if item.body is not None:
        try:
            payload["json"] = json.loads(item.body)
        except ValueError:
            payload["json"] = item.body
    if item.wait:
        payload["reply"] = {"instance": run.instance_id, "request": item.request}
        await enqueue(run.conn, HTTP_JOB, payload, dedupe_key=f"flow-http:{run.instance_id}:{item.request}")
    else:
        await enqueue(run.conn, "http_request", payload)


@effect(fx.Query)
async def _on_query(run: Run, item: fx.Query) -> None:
    try:
        value = await run_query(run.conn, run.schema, item, run.tz)
    except (ExprError, ProblemsError, ApiError) as e:
        run.follow_ups.append(Reply(utcnow(), item.request, ok=False, error=_error_text(e)))
        return
    run.follow_ups.append(Reply(utcnow(), item.request, value=value))


async def run_query(conn: AsyncConnection, schema: AppSchema, item: fx.Query, tz) -> Any:
    """The records (or one aggregate) a query_records / aggregate node asks for, as one SQL statement."""
    form = schema.forms[item.form]
    table = form.table
    where = [_equals(form, key, value) for key, value in item.match.items()]
    if item.filter:
        expression = compiled(schema, item.form, item.filter, expect="bool")
        where.append(expression.sql(SchemaTables(schema), eval_context(tz, None), conn.dialect.name, item.form,
                                    condition=True))
    if item.aggregate is not None:
        column = _column(form, item.field) if item.field else None
        measure = func.count(column) if item.aggregate == "count" and column is not None else \
            func.count() if item.aggregate == "count" else getattr(func, item.aggregate)(column)
        value = (await conn.execute(select(measure).select_from(table).where(*where))).scalar()
        return aggregate_value(item.aggregate, value)
    order = []
    if item.sort:
        column = _column(form, item.sort)
        order.append(column.desc() if item.desc else column.asc())
    order.append(table.c.id.desc() if item.desc and not item.sort else table.c.id)
    ids = list((await conn.execute(select(table.c.id).where(*where).order_by(*order).limit(item.limit))).scalars())
    envs = await record_envs(conn, schema, item.form, ids, ())
    return [_jsonable(envs[i]) for i in ids if i in envs]


def aggregate_value(aggregate: str, value: Any) -> Any:
    """A count, and the min / max of a whole-number column (an id, a relation, a member), stay integers, so they can
    fill a relation or name a person; sums and averages are numbers (floats)."""
    if value is None:
        return None
    if aggregate == "count" or (aggregate in ("min", "max") and isinstance(value, int) and not isinstance(value, bool)):
        return int(value)
    return float(value)


_SYSTEM_COLUMNS = ("id", "owner", "created_by", "updated_by", "created_at", "updated_at")


def _column(form, key: str):
    if key in _SYSTEM_COLUMNS:
        return form.table.c[key]
    store = form.fields.get(key)
    if store is None or store.column is None:
        raise ProblemsError([Problem(f"/{key}", "unknown_field", {"form": form.key, "key": key})])
    return store.column


def _equals(form, key: str, value: Any):
    if isinstance(value, dict):  # a linked record as the expression gives it
        value = value.get("id")
    store = form.fields.get(key)
    if store is not None and store.link is not None:
        link = store.link
        return exists().where(link.c.source_id == form.table.c.id, link.c.target_id == value)
    column = _column(form, key)
    return column.is_(None) if value is None else column == value


@effect(fx.StartSubflow)
async def _on_start_subflow(run: Run, item: fx.StartSubflow) -> None:
    parent = (run.instance_id, item.request) if item.wait else None
    await start_flow(run.conn, run.schema, item.flow, initiator=run.initiator, record_id=item.record_id,
                     variables=dict(item.variables), tz=run.tz, parent=parent)


@effect(fx.Finish)
async def _on_finish(run: Run, item: fx.Finish) -> None:
    if item.parent is not None:
        parent_id, request = item.parent
        await deliver(run.conn, parent_id, SubflowFinished(utcnow(), request, item.status, dict(item.variables)),
                      run.tz)


# Set by the inbound webhook route while it starts its flow: the first response the flow gives. A response node
# reached later (after a wait) has no caller left to answer, and is only noted in the history.
webhook_answer: ContextVar[list | None] = ContextVar("webhook_answer", default=None)


@effect(fx.WebhookResponse)
async def _on_webhook_response(run: Run, item: fx.WebhookResponse) -> None:
    answer = webhook_answer.get()
    if answer is not None and not answer:
        answer.append(item)


@effect(fx.CreateTask)
async def _on_create_task(run: Run, item: fx.CreateTask) -> None:
    await _notify(run, (item.assignee,), "task", item.title, None)


@effect(fx.GenerateDocument)
async def _on_generate_document(run: Run, item: fx.GenerateDocument) -> None:
    """Rendering takes seconds (Chromium): a job does it outside this transaction and answers the instance."""
    await enqueue(run.conn, DOCUMENT_JOB, {
        "app": run.schema.app_id, "version": run.schema.version, "instance": run.instance_id,
        "request": item.request, "template": item.template, "form": item.form, "record": item.record_id,
        "attach_to": item.attach_to, "user": run.initiator}, dedupe_key=f"flow-doc:{run.instance_id}:{item.request}")


# ---- timers -------------------------------------------------------------------------------------------------------
async def fire_timer(conn: AsyncConnection, instance_id: int, timer: str, at: datetime | None = None,
                     tz=timezone.utc) -> StepResult | None:
    """A timer's moment has come: the engine ignores cancelled, fired or stale timers."""
    return await apply_event(conn, instance_id, TimerFired(at or utcnow(), timer), tz)


@job(TIMER_JOB, max_attempts=5)
async def _timer_job(ctx: JobContext, payload: dict) -> None:
    await fire_timer(ctx.conn, payload["instance"], payload["timer"], tz=ctx.settings.tz)


# ---- work done outside the instance's transaction, answered later ----------------------------------------------
@job(HTTP_JOB, max_attempts=5, timeout=150, transactional=False, backoff_base=10)
async def _http_job(ctx: JobContext, payload: dict) -> None:
    """Call out, then hand the answer to the waiting instance in a transaction of its own. 5xx, 408/425/429 and
    network errors are retried; after the last attempt the instance gets status 0 (or the last 5xx) and takes
    its "failed" edge rather than waiting for ever. A repeat answer is ignored by the engine."""
    if payload.get("connector"):
        from runtime.connectors import flow_call

        return await flow_call(ctx, payload)
    headers = {**(payload.get("headers") or {}), "Idempotency-Key": ctx.idempotency_key}
    last = _last_attempt(ctx)
    try:
        response = await ctx.http.request(payload.get("method", "POST"), payload["url"], json=payload.get("json"),
                                          headers=headers, timeout=payload.get("timeout", 10))
    except Exception as e:  # network: refused, timed out, bad URL
        if not last:
            raise
        status, body = 0, f"{type(e).__name__}: {e}"[:2000]
    else:
        if (response.status_code >= 500 or response.status_code in RETRYABLE_STATUS) and not last:
            raise RuntimeError(f"HTTP {response.status_code} from {payload['url']}")
        status, body = response.status_code, _response_body(response)
    reply = payload["reply"]
    async with ctx.engine.begin() as conn:
        await apply_event(conn, reply["instance"], HttpResponse(utcnow(), reply["request"], status, body),
                          ctx.settings.tz)


def _last_attempt(ctx: JobContext) -> bool:
    return ctx.attempt >= JOBS.get(ctx.kind).max_attempts


def _response_body(response) -> Any:
    text = response.text[:100_000]
    try:
        return json.loads(text)
    except ValueError:
        return text


@job(DOCUMENT_JOB, max_attempts=3, timeout=180, transactional=False, backoff_base=5)
async def _document_job(ctx: JobContext, payload: dict) -> None:
    """Render the record with the print template to PDF, keep it as a file (attached to the record when the node
    says so) and answer the instance. After the last failed attempt the instance is told, and goes on."""
    from runtime.files import record_file, save_bytes
    from runtime.printing import html_to_pdf, render_html

    tz = ctx.settings.tz
    try:
        async with ctx.engine.connect() as conn:
            schema = await _schema_for(conn, payload["app"], payload["version"], None)
            html, chosen = await render_html(conn, schema, Context(tz=tz), payload["form"], [payload["record"]],
                                             payload["template"], user=None, lang="zh",
                                             access=Access.unrestricted(schema, payload.get("user"), tz))
        pdf = await html_to_pdf(html)
    except Exception as e:
        if not _last_attempt(ctx) and not isinstance(e, (ApiError, ProblemsError)):
            raise
        async with ctx.engine.begin() as conn:
            await apply_event(conn, payload["instance"], Reply(utcnow(), payload["request"], ok=False,
                                                               error=_error_text(e)), tz)
        return
    blob = await save_bytes(ctx.settings, pdf, f"{chosen.definition.name}-{payload['record']}.pdf")
    async with ctx.engine.begin() as conn:
        meta = await record_file(conn, ctx.settings, blob, app_id=payload["app"], user_id=payload.get("user"))
        reply = Reply(utcnow(), payload["request"], value=meta)
        if payload.get("attach_to"):
            try:
                async with conn.begin_nested():
                    await _attach(conn, schema, payload, meta, tz)
            except (ApiError, ProblemsError) as e:  # the record went meanwhile, or its form changed
                reply = Reply(utcnow(), payload["request"], ok=False, error=_error_text(e))
        await apply_event(conn, payload["instance"], reply, tz)


async def _attach(conn: AsyncConnection, schema: AppSchema, payload: dict, meta: dict, tz) -> None:
    form, record_id, field = payload["form"], payload["record"], payload["attach_to"]
    store = schema.forms[form]
    current = (await conn.execute(select(store.fields[field].column).where(store.table.c.id == record_id))).scalar()
    writer = RecordWriter(conn, schema, Context(tz=tz), payload.get("user"),
                          access=Access.unrestricted(schema, payload.get("user"), tz))
    writer.starts_flows = False
    await writer.update(form, record_id, {field: [*(current or []), meta]}, None)


# ---- people acting on tasks -----------------------------------------------------------------------------------------
async def task_row(conn: AsyncConnection, task_id: int):
    return (await conn.execute(select(flow_tasks).where(flow_tasks.c.id == task_id))).first()


async def act_on_task(conn: AsyncConnection, task_id: int, action: str, by: int, *, comment: str | None = None,
                      to: Any = None, users: tuple[int, ...] = (), where: str = "before", values: dict | None = None,
                      tz=timezone.utc, at: datetime | None = None) -> StepResult | None:
    """A person acts on a task (approve, reject, return, transfer, add_signer, urge, comment, submit, read) or
    withdraws the instance the task belongs to. Raises ActionRefused; None when there is no such task."""
    from engines.flow import TaskAction, Withdraw

    at = at or utcnow()

    def event(task_key: str):
        if action == "withdraw":
            return Withdraw(at, by=by, reason=comment)
        return TaskAction(at, task_key, action, by=by, comment=comment, to=to, users=tuple(users), where=where,
                          values=dict(values or {}))

    return await apply_event(conn, None, event, tz, task_id=task_id)


# ---- scheduled flows (cron) -----------------------------------------------------------------------------------------
SCHEDULE_JOB = "flow_schedule"


def schedule_series(app_id: int, flow_key: str) -> str:
    return f"flow:{app_id}:{flow_key}"


async def arm_schedules(conn: AsyncConnection, app_id: int, version: int, tz) -> None:
    """After a publish: every enabled `schedule` flow of this version gets its next slot queued (its cron as now
    written), and every `date_field` flow its next daily look for due records; schedules of flows gone, disabled
    or re-timed are dropped first."""
    from runtime.jobs import schedule, unschedule

    flows = await flows_of(conn, app_id, version)
    queued = set((await conn.execute(select(jobs.c.series).distinct().where(
        jobs.c.kind == SCHEDULE_JOB, jobs.c.series.like(f"flow:{app_id}:%"), jobs.c.status == "queued"))).scalars())
    for series in queued:
        await unschedule(conn, series)
    for flow in flows.values():
        trigger = flow.definition.trigger
        cron = trigger.cron if trigger.type == "schedule" else date_field_cron(trigger) \
            if trigger.type == "date_field" else None
        if flow.definition.enabled and cron:
            await schedule(conn, schedule_series(app_id, flow.key), SCHEDULE_JOB, cron,
                           {"app": app_id, "flow": flow.key}, tz=tz)


async def run_schedule(conn: AsyncConnection, app_id: int, flow_key: str, tz, at: datetime | None = None
                       ) -> list[int]:
    """One slot of a scheduled or date-field flow, on the app's current version: one instance, or with a form one
    per record that meets the trigger (its condition; for a date field, its date falls on the slot's day), found
    by one SQL query. Returns the new instance ids."""
    from runtime.jobs import unschedule

    at = at or utcnow()
    head = (await conn.execute(select(apps.c.key, apps.c.current_version).where(apps.c.id == app_id))).first()
    flow = (await flows_of(conn, app_id, head.current_version)).get(flow_key) if head and head.current_version \
        else None
    trigger = flow.definition.trigger if flow is not None else None
    if flow is None or not flow.definition.enabled or trigger.type not in ("schedule", "date_field"):
        await unschedule(conn, schedule_series(app_id, flow_key))  # the flow is gone: no more slots
        return []
    schema = await _schema_for(conn, app_id, head.current_version, None)
    if flow.form is None:
        result = await start_flow(conn, schema, flow_key, initiator=None, tz=tz, at=at)
        return [result.state.instance.id]
    filters = [trigger.condition] if trigger.condition else []
    if trigger.type == "date_field":
        field_type = schema.forms[flow.form].fields[trigger.field].field.type
        filters.append(date_field_filter(trigger, field_type, _aware(at).astimezone(tz).date()))
    ids = await matching_ids(conn, schema, flow.form, " AND ".join(f"({f})" for f in filters), tz)
    started = []
    for record_id in ids:
        result = await start_flow(conn, schema, flow_key, initiator=None, record_id=record_id, tz=tz, at=at)
        started.append(result.state.instance.id)
    return started


async def matching_ids(conn: AsyncConnection, schema: AppSchema, form_key: str, condition: str, tz) -> list[int]:
    """Ids of the form's records meeting an expression (all of them for an empty one), in id order."""
    table = schema.forms[form_key].table
    query = select(table.c.id).order_by(table.c.id)
    if condition:
        expression = compiled(schema, form_key, condition, expect="bool")
        query = query.where(expression.sql(SchemaTables(schema), eval_context(tz, None), conn.dialect.name,
                                           form_key, condition=True))
    return list((await conn.execute(query)).scalars())


@job(SCHEDULE_JOB, max_attempts=3)
async def _schedule_job(ctx: JobContext, payload: dict) -> None:
    # The slot's own moment: a run delayed past midnight still looks for the slot's day.
    await run_schedule(ctx.conn, payload["app"], payload["flow"], ctx.settings.tz, at=_aware(ctx.run_at))
