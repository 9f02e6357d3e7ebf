"""Flows at run time: instances stored as rows, events applied one at a time, effects carried out.

The engine (engines/flow) is pure: `step(flow, state, event, ctx)` gives the new state, the effects and the rows it
changed. Here each event runs in the caller's transaction: lock the instance row, load its rows into a FlowState,
step, upsert the changed rows, append the history and act on the effects (notification rows, timer jobs, record
writes through the one write path, outbound HTTP through the job queue). Effects that answer with an event (a
record created for the flow) are fed back at once, in the same transaction.

Starts on record writes run in the writer's transaction (`on_record_written`): the instance exists if and only if
the record does, and the initiator sees the first tasks in the answer's wake. Records written by a flow start no
flows, so two flows cannot start each other without end.
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Awaitable, Callable

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from builder.model import AppDef
from engines.flow import (FlowContext, OrgChart, RecordChanged, Reply, Start, StepResult, TimerFired, compile_flow,
                          starts_on_write, step)
from engines.flow import effects as fx
from engines.flow.definition import CompiledFlow
from engines.flow.state import ChangeSet, FlowState, InstanceRow, TaskRow, TimerRow, TokenRow
from engines.form.fields.base import Context
from runtime.expressions import eval_context, record_envs
from runtime.jobs import JobContext, enqueue, job
from runtime.models import (app_versions, apps, department_members, departments, flow_history, flow_instances,
                            flow_tasks, flow_timers, flow_tokens, flow_variables, jobs, notifications, user_roles,
                            users)
from runtime.permissions import Access
from runtime.tables import AppSchema, load_schema
from runtime.write import RecordWriter, _jsonable

MAX_FOLLOW_UPS = 100  # events one effect chain may feed back in one transaction (replies to record writes)
TIMER_JOB = "flow_timer"


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
        for flow in found.values():
            flow.org_parts = org_parts(flow)  # computed once per version, read on every event
        if len(_COMPILED) >= _COMPILED_SIZE:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = found
    return found


ORG_PARTS = ("role", "manager", "department_head")


def org_parts(flow: CompiledFlow) -> frozenset[str]:
    """Which parts of the org chart a flow can ask about: its assignee specs, and managers for escalations
    (whose default target is each late assignee's manager). Parts it never asks about are not loaded."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            found.update(k for k in value if k in ORG_PARTS)
            if value.get("action") == "escalate":
                found.add("manager")
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(flow.definition.model_dump(mode="json", exclude_defaults=True)["nodes"])
    return frozenset(found)


async def org_chart(conn: AsyncConnection, app_id: int, parts=ORG_PARTS) -> OrgChart:
    """The org chart as the engine sees it, read fresh for each event: role holders of this app, managers,
    departments and their heads (only the `parts` asked for)."""
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


async def save_changes(conn: AsyncConnection, instance_id: int, changes: ChangeSet) -> None:
    """Exactly the rows the step wrote: upserts by (instance, key), history appended."""
    if changes.instance is not None:
        await conn.execute(update(flow_instances).where(flow_instances.c.id == instance_id)
                           .values(_instance_values(changes.instance)))
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


async def load_state(conn: AsyncConnection, instance_id: int, lock: bool = True):
    """(instance row, FlowState), the instance row locked for this transaction (PostgreSQL: FOR UPDATE; SQLite's
    write lock serialises writers already). None when there is no such instance."""
    query = select(flow_instances).where(flow_instances.c.id == instance_id)
    row = (await conn.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        return None
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


async def _context(conn: AsyncConnection, app_id: int, flow: CompiledFlow, tz) -> FlowContext:
    return FlowContext(directory=await org_chart(conn, app_id, flow.org_parts), tz=tz)


async def apply_event(conn: AsyncConnection, instance_id: int, event: Any, tz, schema: AppSchema | None = None
                      ) -> StepResult | None:
    """Apply one event to a stored instance (raises ActionRefused, nothing written then). None: no instance."""
    loaded = await load_state(conn, instance_id)
    if loaded is None:
        return None
    row, state = loaded
    flows = await flows_of(conn, row.app_id, row.version)
    flow = flows[row.flow]
    schema = await _schema_for(conn, row.app_id, row.version, schema)
    ctx = await _context(conn, row.app_id, flow, tz)
    if state.instance.form and state.instance.record_id is not None:  # the flow reads the record as it is now
        fresh = (await record_envs(conn, schema, state.instance.form, [state.instance.record_id], ())).get(
            state.instance.record_id)
        if fresh is not None:
            state = FlowState(state.instance._replace(record=fresh), state.tokens, state.tasks, state.timers,
                              state.variables)
    return await _step_and_apply(conn, schema, flow, state, event, ctx, tz)


async def _step_and_apply(conn, schema, flow, state, event, ctx, tz) -> StepResult:
    result = step(flow, state, event, ctx)
    instance_id = result.state.instance.id
    follow_ups: list = []
    for _ in range(MAX_FOLLOW_UPS):
        await save_changes(conn, instance_id, result.changes)
        run = Run(conn, schema, instance_id, result.state, tz, follow_ups)
        for item in result.effects:
            handler = EFFECTS.get(type(item))
            if handler is not None:
                await handler(run, item)
        if not follow_ups:
            return result
        result = step(flow, result.state, follow_ups.pop(0), ctx)
    raise RuntimeError(f"flow instance {instance_id}: more than {MAX_FOLLOW_UPS} follow-up events in one step")


async def start_flow(conn: AsyncConnection, schema: AppSchema, flow_key: str, *, initiator: int | None,
                     record_id: int | None = None, variables: dict | None = None, tz=timezone.utc,
                     at: datetime | None = None) -> StepResult:
    """Start an instance of a flow of the schema's version on a record (or none), in the caller's transaction."""
    flows = await flows_of(conn, schema.app_id, schema.version, schema.definition)
    flow = flows[flow_key]
    at = at or utcnow()
    record = None
    if flow.form is not None and record_id is not None:
        record = (await record_envs(conn, schema, flow.form, [record_id], ())).get(record_id)
    instance_id = (await conn.execute(insert(flow_instances).values(
        app_id=schema.app_id, flow=flow_key, version=schema.version, status="running", initiator=initiator,
        form=flow.form, record_id=record_id, started_at=_naive(at)).returning(flow_instances.c.id))).scalar_one()
    ctx = await _context(conn, schema.app_id, flow, tz)
    event = Start(at, instance_id=instance_id, initiator=initiator, record=record, variables=variables or {})
    return await _step_and_apply(conn, schema, flow, None, event, ctx, tz)


async def on_record_written(conn: AsyncConnection, schema: AppSchema, form_key: str, ids: list[int],
                            changed: set[str] | None, user_id: int | None, tz=timezone.utc) -> list[int]:
    """Start the flows a write triggers (record_created when `changed` is None, record_updated otherwise), in the
    writer's transaction. Returns the new instance ids."""
    flows = await flows_of(conn, schema.app_id, schema.version, schema.definition)
    event = "created" if changed is None else "updated"
    if changed is not None:
        await _wake_waiting(conn, schema, form_key, ids, tz)
    wanted = [f for f in flows.values() if f.definition.enabled and f.form == form_key
              and getattr(f.definition.trigger, "type", None) == f"record_{event}"]
    if not wanted or not ids:
        return []
    records = await record_envs(conn, schema, form_key, ids, ())
    started = []
    eval_ctx = eval_context(tz, user_id)
    for record_id in ids:
        record = records.get(record_id)
        for flow in wanted:
            if record is not None and starts_on_write(flow, event, record, changed, eval_ctx):
                result = await start_flow(conn, schema, flow.key, initiator=user_id, record_id=record_id, tz=tz)
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
    records = await record_envs(conn, schema, form_key, [r.record_id for r in waiting], ())
    for instance_id, record_id in waiting:
        if record_id in records:
            await apply_event(conn, instance_id, RecordChanged(utcnow(), records[record_id]), tz, schema)


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


@effect(fx.WriteRecord)
async def _on_write_record(run: Run, item: fx.WriteRecord) -> None:
    """Through the one write path, as the initiator, with no permission limits (the flow's designer decided)."""
    writer = RecordWriter(run.conn, run.schema, Context(tz=run.tz), run.initiator,
                          access=Access.unrestricted(run.schema, run.initiator, run.tz))
    writer.starts_flows = False
    value = None
    if item.op == "create":
        value = await writer.create(item.form, dict(item.values))
    elif item.op == "update":
        await writer.update(item.form, item.record_id, dict(item.values), None)
    else:
        await writer.delete(item.form, item.record_id)
    if item.request is not None:
        run.follow_ups.append(Reply(utcnow(), item.request, value=value))


@effect(fx.AssignOwner)
async def _on_assign_owner(run: Run, item: fx.AssignOwner) -> None:
    if not item.candidates:
        return
    if item.strategy == "random":
        chosen = random.choice(item.candidates)
    elif item.strategy in ("least_loaded", "round_robin"):
        # round robin over time is least recently given: the candidate holding the fewest records of the form
        table = run.schema.forms[item.form].table
        counts = dict((await run.conn.execute(select(table.c.owner, func.count()).where(
            table.c.owner.in_(item.candidates)).group_by(table.c.owner))).all())
        chosen = min(item.candidates, key=lambda user: (counts.get(user, 0), item.candidates.index(user)))
    else:
        chosen = item.candidates[0]
    writer = RecordWriter(run.conn, run.schema, Context(tz=run.tz), run.initiator,
                          access=Access.unrestricted(run.schema, run.initiator, run.tz))
    writer.starts_flows = False
    await writer.update(item.form, item.record_id, {item.field: chosen}, None)


@effect(fx.HttpRequest)
async def _on_http_request(run: Run, item: fx.HttpRequest) -> None:
    payload = {"url": item.url, "method": item.method, "headers": item.headers, "timeout": item.timeout_seconds}
    if item.body is not None:
        try:
            payload["json"] = json.loads(item.body)
        except ValueError:
            payload["json"] = item.body
    await enqueue(run.conn, "http_request", payload)


# ---- timers -------------------------------------------------------------------------------------------------------
async def fire_timer(conn: AsyncConnection, instance_id: int, timer: str, at: datetime | None = None,
                     tz=timezone.utc) -> StepResult | None:
    """A timer's moment has come: the engine ignores cancelled, fired or stale timers."""
    return await apply_event(conn, instance_id, TimerFired(at or utcnow(), timer), tz)


@job(TIMER_JOB, max_attempts=5)
async def _timer_job(ctx: JobContext, payload: dict) -> None:
    await fire_timer(ctx.conn, payload["instance"], payload["timer"], tz=ctx.settings.tz)


# ---- people acting on tasks -----------------------------------------------------------------------------------------
async def task_row(conn: AsyncConnection, task_id: int):
    return (await conn.execute(select(flow_tasks).where(flow_tasks.c.id == task_id))).first()


async def act_on_task(conn: AsyncConnection, task_id: int, action: str, by: int, *, comment: str | None = None,
                      to: Any = None, users: tuple[int, ...] = (), where: str = "before", values: dict | None = None,
                      tz=timezone.utc, at: datetime | None = None) -> StepResult | None:
    """A person acts on a task (approve, reject, return, transfer, add_signer, urge, comment, submit, read) or
    withdraws the instance the task belongs to. Raises ActionRefused; None when there is no such task."""
    from engines.flow import TaskAction, Withdraw

    task = await task_row(conn, task_id)
    if task is None:
        return None
    at = at or utcnow()
    if action == "withdraw":
        event = Withdraw(at, by=by, reason=comment)
    else:
        event = TaskAction(at, task.key, action, by=by, comment=comment, to=to, users=tuple(users), where=where,
                           values=dict(values or {}))
    return await apply_event(conn, task.instance_id, event, tz)


# ---- scheduled flows (cron) -----------------------------------------------------------------------------------------
SCHEDULE_JOB = "flow_schedule"


def schedule_series(app_id: int, flow_key: str) -> str:
    return f"flow:{app_id}:{flow_key}"


async def arm_schedules(conn: AsyncConnection, app_id: int, version: int, tz) -> None:
    """After a publish: every enabled `schedule` flow of this version gets its next slot queued (its cron as now
    written); schedules of flows gone, disabled or re-timed are dropped first."""
    from runtime.jobs import schedule, unschedule

    flows = await flows_of(conn, app_id, version)
    queued = set((await conn.execute(select(jobs.c.series).distinct().where(
        jobs.c.kind == SCHEDULE_JOB, jobs.c.series.like(f"flow:{app_id}:%"), jobs.c.status == "queued"))).scalars())
    for series in queued:
        await unschedule(conn, series)
    for flow in flows.values():
        trigger = flow.definition.trigger
        if flow.definition.enabled and trigger.type == "schedule":
            await schedule(conn, schedule_series(app_id, flow.key), SCHEDULE_JOB, trigger.cron,
                           {"app": app_id, "flow": flow.key}, tz=tz)


async def run_schedule(conn: AsyncConnection, app_id: int, flow_key: str, tz, at: datetime | None = None
                       ) -> list[int]:
    """One slot of a scheduled flow, on the app's current version: one instance, or with a form one per record
    whose values meet the trigger's condition. Returns the new instance ids."""
    from runtime.jobs import unschedule

    head = (await conn.execute(select(apps.c.key, apps.c.current_version).where(apps.c.id == app_id))).first()
    flow = (await flows_of(conn, app_id, head.current_version)).get(flow_key) if head and head.current_version \
        else None
    if flow is None or not flow.definition.enabled or flow.definition.trigger.type != "schedule":
        await unschedule(conn, schedule_series(app_id, flow_key))  # the flow is gone: no more slots
        return []
    schema = await _schema_for(conn, app_id, head.current_version, None)
    if flow.form is None:
        result = await start_flow(conn, schema, flow_key, initiator=None, tz=tz, at=at)
        return [result.state.instance.id]
    table = schema.forms[flow.form].table
    ids = list((await conn.execute(select(table.c.id).order_by(table.c.id))).scalars())
    records = await record_envs(conn, schema, flow.form, ids, ())
    eval_ctx = eval_context(tz, None)
    started = []
    for record_id in ids:
        if record_id in records and flow.trigger_holds(records[record_id], eval_ctx):
            result = await start_flow(conn, schema, flow_key, initiator=None, record_id=record_id, tz=tz, at=at)
            started.append(result.state.instance.id)
    return started


@job(SCHEDULE_JOB, max_attempts=3)
async def _schedule_job(ctx: JobContext, payload: dict) -> None:
    await run_schedule(ctx.conn, payload["app"], payload["flow"], ctx.settings.tz)
