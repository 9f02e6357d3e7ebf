"""Flows for people: the task inbox (待办 / 已办 / 抄送我), acting on a task, an instance's state and history, the
instances of a flow, and the manual button on a record. The work itself is in runtime/flows.py."""
from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, exists, func, or_, select

from engines.flow import ActionRefused, Cancel
from engines.problems import Problem, ProblemsError
from runtime.deps import MAX_ID, AdminUser, CurrentUser, PlatformDep, RecordId, retry_lost_races
from runtime.errors import ApiError, not_found
from runtime.flows import act_on_task, apply_event, flows_of, start_flow, task_row, utcnow, webhook_answer
from runtime.models import (apps, flow_history, flow_instances, flow_tasks, flow_timers, flow_tokens, flow_variables,
                            user_roles)
from runtime.permissions import Access
from runtime.records import RecordReader, form_store
from runtime.write import RecordWriter

router = APIRouter(tags=["flows"])
ItemId = Annotated[int, Path(ge=1, le=MAX_ID)]

# 待办: waiting for me; 已办: decided by me; 抄送我: copies to me
BOXES = {
    "todo": lambda user: and_(flow_tasks.c.assignee == user, flow_tasks.c.status == "pending",
                              flow_tasks.c.kind != "cc"),
    "done": lambda user: and_(flow_tasks.c.decided_by == user, flow_tasks.c.kind != "cc"),
    "cc": lambda user: and_(flow_tasks.c.assignee == user, flow_tasks.c.kind == "cc"),
}


def _iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment is not None else None


def _refused(e: ActionRefused) -> ApiError:
    error = ApiError(409, e.problem.code, [e.problem])
    error.params = dict(e.problem.params)  # set apart: a parameter may be called "status" too
    return error


def _task(row) -> dict:
    return {"id": row.id, "instance": row.instance_id, "app": row.app_key, "flow": row.flow, "node": row.node,
            "kind": row.kind, "status": row.status, "assignee": row.assignee, "form": row.form,
            "record_id": row.record_id, "initiator": row.initiator, "instance_status": row.instance_status,
            "created_at": _iso(row.created_at), "due_at": _iso(row.due_at), "decided_at": _iso(row.decided_at),
            "decided_by": row.decided_by, "comment": row.comment}


_TASK_COLUMNS = (flow_tasks, apps.c.key.label("app_key"), flow_instances.c.flow, flow_instances.c.form,
                 flow_instances.c.record_id, flow_instances.c.initiator,
                 flow_instances.c.status.label("instance_status"))


@router.get("/api/tasks")
async def list_tasks(platform: PlatformDep, user: CurrentUser,
                     box: Literal["todo", "done", "cc"] = Query("todo"),
                     page: int = Query(1, ge=1, le=1_000_000), page_size: int = Query(50, ge=1, le=500)) -> dict:
    """One box of the caller's tasks, newest first, with the count of every box (for the badges)."""
    async with platform.engine.connect() as conn:
        counts = {name: (await conn.execute(select(func.count()).select_from(flow_tasks).where(
            where(user.id)))).scalar_one() for name, where in BOXES.items()}
        query = (select(*_TASK_COLUMNS).join(flow_instances, flow_instances.c.id == flow_tasks.c.instance_id)
                 .join(apps, apps.c.id == flow_instances.c.app_id).where(BOXES[box](user.id))
                 .order_by(flow_tasks.c.created_at.desc(), flow_tasks.c.id.desc())
                 .offset((page - 1) * page_size).limit(page_size))
        items = [_task(row) for row in (await conn.execute(query)).all()]
    return {"box": box, "items": items, "counts": counts, "page": page, "page_size": page_size}


class TaskActionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    action: Literal["approve", "reject", "submit", "return", "transfer", "add_signer", "urge", "comment", "read",
                    "withdraw"]
    comment: str | None = Field(default=None, max_length=2000)
    to: Any = Field(default=None, description="return: a node id or 'start'; transfer: a user id")
    users: list[int] = Field(default_factory=list, max_length=50, description="add_signer: who signs")
    where: Literal["before", "after"] = "before"
    values: dict[str, Any] = Field(default_factory=dict, description="fill-in / resubmit: field values")


async def _may_see(conn, instance_id: int, user) -> bool:
    """Participants (anyone with a task in it), the initiator and administrators."""
    if user.is_admin:
        return True
    initiator = (await conn.execute(select(flow_instances.c.initiator).where(
        flow_instances.c.id == instance_id))).scalar()
    if initiator == user.id:
        return True
    return (await conn.execute(select(exists().where(flow_tasks.c.instance_id == instance_id,
                                                     flow_tasks.c.assignee == user.id)))).scalar()


@router.post("/api/tasks/{task_id}/actions")
@retry_lost_races
async def task_action(task_id: ItemId, platform: PlatformDep, user: CurrentUser, body: TaskActionBody) -> dict:
    async with platform.begin() as conn:
        task = await task_row(conn, task_id)
        if task is None or not await _may_see(conn, task.instance_id, user):
            raise not_found(f"task {task_id}")
        try:
            result = await act_on_task(conn, task_id, body.action, user.id, comment=body.comment, to=body.to,
                                       users=tuple(body.users), where=body.where, values=body.values,
                                       tz=platform.settings.tz)
        except ActionRefused as e:
            raise _refused(e) from None
        return await _instance(conn, result.state.instance.id, platform, user)


async def _instance(conn, instance_id: int, platform, user) -> dict:
    """An instance's state and full history, with its record as the viewer may see it."""
    row = (await conn.execute(select(flow_instances, apps.c.key.label("app_key")).join(
        apps, apps.c.id == flow_instances.c.app_id).where(flow_instances.c.id == instance_id))).first()
    flows = await flows_of(conn, row.app_id, row.version)
    flow = flows.get(row.flow)
    names = {n.id: getattr(n, "name", None) for n in flow.definition.nodes} if flow else {}
    tasks = (await conn.execute(select(flow_tasks).where(flow_tasks.c.instance_id == instance_id)
                                .order_by(flow_tasks.c.id))).all()
    tokens = (await conn.execute(select(flow_tokens).where(flow_tokens.c.instance_id == instance_id))).all()
    timers = (await conn.execute(select(flow_timers).where(flow_timers.c.instance_id == instance_id))).all()
    variables = (await conn.execute(select(flow_variables).where(flow_variables.c.instance_id == instance_id))).all()
    history = (await conn.execute(select(flow_history).where(flow_history.c.instance_id == instance_id)
                                  .order_by(flow_history.c.seq))).all()
    view = await _viewer(conn, platform, row, user, flow, tasks)
    return {
        "id": row.id, "app": row.app_key, "flow": row.flow, "name": flow.definition.name if flow else row.flow,
        "version": row.version, "status": row.status, "initiator": row.initiator, "form": row.form,
        "record_id": row.record_id, "started_at": _iso(row.started_at), "ended_at": _iso(row.ended_at),
        "record": await view.record(),
        "variables": {v.key: view.variable(flow, v.key, (v.value or {}).get("v")) for v in variables
                      if view.shows_variable(flow, v.key)},
        "current": sorted({t.node for t in tokens if t.status in ("active", "waiting")}),
        "tasks": [{"id": t.id, "key": t.key, "node": t.node, "node_name": names.get(t.node), "kind": t.kind,
                   "assignee": t.assignee, "status": t.status, "origin": t.origin, "created_at": _iso(t.created_at),
                   "due_at": _iso(t.due_at), "decided_at": _iso(t.decided_at), "decided_by": t.decided_by,
                   "comment": t.comment} for t in tasks],
        "timers": [{"key": t.key, "node": t.node, "purpose": t.purpose, "at": _iso(t.at), "status": t.status}
                   for t in timers],
        "history": [{"seq": h.seq, "at": _iso(h.at), "node": h.node, "action": h.action, "by": h.by,
                     "task": h.task, "detail": h.detail or {}} for h in history],
    }


class _Viewer:
    """What one person sees of an instance. Participants see the record they act on even without a role on its
    form (an approver must see what they approve), minus the fields their roles hide and those hidden at the
    steps they take part in; record variables only with a role that may read their form."""

    def __init__(self, conn, schema, row, hidden: set[str], access, platform):
        self.conn, self.schema, self.row, self.hidden, self.access, self.platform = (
            conn, schema, row, hidden, access, platform)

    async def record(self) -> dict | None:
        if self.schema is None or self.row.form not in self.schema.forms or self.row.record_id is None:
            return None
        reader = RecordReader(self.conn, self.schema, self.platform.ctx, settings=self.platform.settings)
        try:
            record = await reader.get(self.row.form, self.row.record_id)
        except ApiError:  # deleted since
            return None
        return {key: value for key, value in record.items() if key not in self.hidden}

    def shows_variable(self, flow, key: str) -> bool:
        variable = flow.variables.get(key) if flow else None
        if variable is None or variable.form is None or self.access is None:
            return True
        return self.access.allows(variable.form, "read")

    def variable(self, flow, key: str, value):
        variable = flow.variables.get(key) if flow else None
        if variable is None or variable.form is None or self.access is None or not self.access.restricted:
            return value
        hidden = self.access.hidden(variable.form)
        strip = lambda item: {k: v for k, v in item.items() if k not in hidden} if isinstance(item, dict) else item
        return [strip(item) for item in value] if isinstance(value, list) else strip(value)


async def _viewer(conn, platform, row, user, flow, tasks) -> _Viewer:
    schema = await platform.schemas.get(conn, row.app_key) if row.form else None
    if user.is_admin:
        return _Viewer(conn, schema, row, set(), None, platform)
    try:
        access = await Access.load(conn, schema or await platform.schemas.get(conn, row.app_key), user,
                                   platform.settings.tz)
    except ApiError:  # no role in the app: a participant only
        access = None
    hidden = set(access.hidden(row.form)) if access is not None and row.form else set()
    nodes = {n.id: n for n in flow.definition.nodes} if flow else {}
    for task in tasks:
        if task.assignee == user.id and task.node in nodes:
            hidden |= set(getattr(nodes[task.node], "hidden", ()))
    return _Viewer(conn, schema, row, hidden, access or _NO_FORMS, platform)


class _NoForms:
    """A participant without a role in the app: may read none of its forms (record variables stay out)."""
    restricted = True

    @staticmethod
    def allows(form: str, op: str) -> bool:
        return False


_NO_FORMS = _NoForms()


@router.get("/api/flow-instances/{instance_id}")
async def get_instance(instance_id: ItemId, platform: PlatformDep, user: CurrentUser) -> dict:
    async with platform.engine.connect() as conn:
        found = (await conn.execute(select(flow_instances.c.id).where(flow_instances.c.id == instance_id))).scalar()
        if found is None or not await _may_see(conn, instance_id, user):
            raise not_found(f"flow instance {instance_id}")
        return await _instance(conn, instance_id, platform, user)


class CancelBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=2000)


@router.post("/api/flow-instances/{instance_id}/cancel")
@retry_lost_races
async def cancel_instance(instance_id: ItemId, platform: PlatformDep, user: AdminUser,
                          body: CancelBody | None = None) -> dict:
    """An administrator stops a running instance: open tasks are called off, timers dropped."""
    async with platform.begin() as conn:
        try:
            result = await apply_event(conn, instance_id, Cancel(utcnow(), by=user.id,
                                                                 reason=body.reason if body else None),
                                       platform.settings.tz)
        except ActionRefused as e:
            raise _refused(e) from None
        if result is None:
            raise not_found(f"flow instance {instance_id}")
        return await _instance(conn, instance_id, platform, user)


@router.get("/api/apps/{app}/flows/{flow}/instances")
async def list_instances(app: str, flow: str, platform: PlatformDep, user: CurrentUser,
                         status: str | None = Query(None, max_length=20),
                         page: int = Query(1, ge=1, le=1_000_000), page_size: int = Query(50, ge=1, le=500)) -> dict:
    """Administrators see every instance; others those they started or have a task in."""
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        if flow not in {f.get("key") for f in schema.definition.flows}:
            raise not_found(f"flow {flow!r}")
        where = [flow_instances.c.app_id == schema.app_id, flow_instances.c.flow == flow]
        if status:
            where.append(flow_instances.c.status == status)
        if not user.is_admin:
            where.append(or_(flow_instances.c.initiator == user.id, exists().where(
                flow_tasks.c.instance_id == flow_instances.c.id, flow_tasks.c.assignee == user.id)))
        total = (await conn.execute(select(func.count()).select_from(flow_instances).where(*where))).scalar_one()
        rows = (await conn.execute(select(flow_instances).where(*where).order_by(flow_instances.c.id.desc())
                                   .offset((page - 1) * page_size).limit(page_size))).all()
    return {"total": total, "page": page, "page_size": page_size, "items": [
        {"id": r.id, "flow": r.flow, "version": r.version, "status": r.status, "initiator": r.initiator,
         "form": r.form, "record_id": r.record_id, "started_at": _iso(r.started_at), "ended_at": _iso(r.ended_at)}
        for r in rows]}


@router.post("/api/apps/{app}/forms/{form}/records/{record_id}/trigger/{flow}", status_code=201)
@retry_lost_races
async def trigger_flow(app: str, form: str, flow: str, record_id: RecordId, platform: PlatformDep,
                       user: CurrentUser) -> dict:
    """The manual button: who holds one of the trigger's roles (or, with none named, who may edit the record)."""
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        compiled = (await flows_of(conn, schema.app_id, schema.version, schema.definition)).get(flow)
        trigger = compiled.definition.trigger if compiled else None
        if compiled is None or trigger.type != "manual" or trigger.form != form or not compiled.definition.enabled:
            raise not_found(f"manual flow {flow!r} on form {form!r}")
        store = form_store(schema, form)
        if trigger.roles and not user.is_admin:
            held = set((await conn.execute(select(user_roles.c.role).where(
                user_roles.c.app_id == schema.app_id, user_roles.c.user_id == user.id))).scalars())
            if not held & set(trigger.roles):
                raise ApiError(403, "forbidden")
        elif not trigger.roles:
            access = await Access.load(conn, schema, user, platform.settings.tz)
            if not await access.visible(conn, store, "read", record_id):
                raise not_found(f"record {record_id}")
            access.require(form, "update")
            if not await access.visible(conn, store, "update", record_id):
                raise ApiError(403, "row_out_of_scope", op="update", form=form)
        if not (await conn.execute(select(store.table.c.id).where(store.table.c.id == record_id))).scalar():
            raise not_found(f"record {record_id}")
        result = await start_flow(conn, schema, flow, initiator=user.id, record_id=record_id,
                                  tz=platform.settings.tz)
        return await _instance(conn, result.state.instance.id, platform, user)


@router.post("/api/hooks/{app}/{flow}", status_code=201, response_model=None)
async def inbound_hook(app: str, flow: str, platform: PlatformDep, user: CurrentUser,
                       body: Any = Body(...)) -> dict | Response:
    """An inbound webhook (called with the app's X-API-Key, or as a signed-in user): the payload's declared
    variables go to the flow; with a form, the rest of the payload is a new record of it, written with the
    caller's permissions, which the flow then runs on."""
    if not isinstance(body, dict):
        raise ProblemsError([Problem("", "not_object")])
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        compiled = (await flows_of(conn, schema.app_id, schema.version, schema.definition)).get(flow)
        if compiled is None or compiled.definition.trigger.type != "webhook" or not compiled.definition.enabled:
            raise not_found(f"webhook flow {flow!r}")
        variables = {key: value for key, value in body.items() if key in compiled.variables}
        record_id = None
        if compiled.form is not None:
            access = await Access.load(conn, schema, user, platform.settings.tz)
            values = {key: value for key, value in body.items() if key not in variables}
            writer = RecordWriter(conn, schema, platform.ctx, user.id, platform.settings, access)
            record_id = await writer.create(compiled.form, values)
        answer: list = []
        token = webhook_answer.set(answer)
        try:
            result = await start_flow(conn, schema, flow, initiator=user.id, record_id=record_id,
                                      variables=variables, tz=platform.settings.tz)
        finally:
            webhook_answer.reset(token)
        if answer:  # the flow answers the caller itself (webhook_response node)
            given = answer[0]
            return Response(given.body or "", status_code=given.status, headers=dict(given.headers))
        return await _instance(conn, result.state.instance.id, platform, user)


@router.get("/api/apps/{app}/forms/{form}/records/{record_id}/flow-instances")
async def record_instances(app: str, form: str, record_id: RecordId, platform: PlatformDep,
                           user: CurrentUser) -> dict:
    """Every flow instance on one record, newest first, for whoever may read the record (the record's 流程 tab);
    an instance's tasks and history stay behind GET /api/flow-instances/{id}."""
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        store = form_store(schema, form)
        access = await Access.load(conn, schema, user, platform.settings.tz)
        access.require(form, "read")
        if not await access.visible(conn, store, "read", record_id):
            raise not_found(f"record {record_id}")
        rows = (await conn.execute(select(flow_instances).where(
            flow_instances.c.app_id == schema.app_id, flow_instances.c.form == form,
            flow_instances.c.record_id == record_id).order_by(flow_instances.c.id.desc()))).all()
        names = {}
        for row in rows:
            if (row.flow, row.version) not in names:
                compiled = (await flows_of(conn, row.app_id, row.version)).get(row.flow)
                names[(row.flow, row.version)] = compiled.definition.name if compiled else row.flow
    return {"items": [
        {"id": r.id, "flow": r.flow, "name": names[(r.flow, r.version)], "version": r.version, "status": r.status,
         "initiator": r.initiator, "started_at": _iso(r.started_at), "ended_at": _iso(r.ended_at)} for r in rows]}
