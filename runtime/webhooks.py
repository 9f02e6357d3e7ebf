"""Outbound webhooks: an app's subscriptions ({url, events}) get a signed POST for every record created, updated or
deleted, through the job queue (retries with backoff), with a delivery log, manual redelivery and pings. A
subscription whose deliveries die DISABLE_AFTER times in a row is switched off and the administrators told.

Fan-out happens in the writer's transaction (a delivery exists iff the write commits). Its cost for an app without
webhooks is nothing: every write already bumps the app's data version (runtime/reports.py `data_changed`), and that
same statement returns the app's webhook counter; the subscriptions themselves are kept per process and re-read
only when the counter moves.
"""
from __future__ import annotations

import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

import httpx
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.integration import SIGNATURE_HEADER, sign
from engines.problems import MESSAGES
from runtime.connectors import jsonable
from runtime.jobs import JOBS, RETRYABLE_STATUS, JobContext, PermanentError, enqueue_many, job
from runtime.models import apps, notifications, users, webhook_deliveries, webhook_versions, webhooks
from runtime.records import RecordReader
from runtime.reports import data_changed
from runtime.secrets import seal, unseal

__all__ = ["ACTIONS", "DELIVERY_JOB", "DISABLE_AFTER", "bump", "new_delivery", "new_secret", "written"]

DELIVERY_JOB = "webhook_delivery"
DISABLE_AFTER = 20  # consecutive dead deliveries before a subscription is switched off
ACTIONS = ("created", "updated", "deleted")
EVENT_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]{0,39}\.(\*|created|updated|deleted))$")
SECRET_PURPOSE = "webhook"
RESPONSE_KEPT = 2000  # characters of the receiver's answer kept in the log

MESSAGES.update({
    "bad_event": ("事件须为 表单.created / 表单.updated / 表单.deleted / 表单.* 或 *：{value!r}",
                  "an event is form.created, form.updated, form.deleted, form.* or *: {value!r}"),
})


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Subscription:
    id: int
    events: frozenset[str]

    def wants(self, form: str, action: str) -> bool:
        return bool({"*", f"{form}.*", f"{form}.{action}"} & self.events)


# ---- the write path --------------------------------------------------------------------------------------------------
_SUBSCRIPTIONS: dict[tuple[str, int], tuple[int, tuple[Subscription, ...]]] = {}


# the app's webhook counter, read by the statement that bumps its data version (runtime.reports.data_changed)
_COUNTER = select(webhook_versions.c.value).where(webhook_versions.c.app_id == bindparam("app_id")).scalar_subquery()


async def written(writer, form_key: str, action: str, ids: list[int], changed: set[str] | None = None,
                  snapshot: dict | None = None) -> None:
    """Called by RecordWriter at the end of each create / update / delete, in its transaction: bumps the app's data
    version (report caches) and queues a delivery per subscription that wants `form.action`."""
    conn, app_id = writer.conn, writer.schema.app_id
    version = await data_changed(conn, app_id, returning=_COUNTER)
    if not version or not ids:
        return
    wanted = [s for s in await _subscriptions(conn, app_id, version) if s.wants(form_key, action)]
    if not wanted:
        return
    records = [snapshot] if snapshot is not None else await _records(writer, form_key, ids)
    now = utcnow()
    rows = []
    for record in records:
        payload = {"id": f"evt_{uuid.uuid4().hex}", "event": f"{form_key}.{action}", "app": writer.schema.key,
                   "form": form_key, "occurred_at": now.isoformat() + "Z", "record": record}
        if changed is not None:
            payload["changed"] = sorted(changed)
        rows += [_delivery_row(s.id, payload, now) for s in wanted]
    await _queue(conn, rows)


async def _subscriptions(conn: AsyncConnection, app_id: int, version: int) -> tuple[Subscription, ...]:
    key = (str(conn.engine.url), app_id)
    cached = _SUBSCRIPTIONS.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    rows = (await conn.execute(select(webhooks.c.id, webhooks.c.events).where(
        webhooks.c.app_id == app_id, webhooks.c.active.is_(True)))).all()
    found = tuple(Subscription(r.id, frozenset(r.events or ())) for r in rows)
    _SUBSCRIPTIONS[key] = (version, found)
    return found


async def _records(writer, form_key: str, ids: list[int]) -> list[dict]:
    """The records as the API shows them (all fields: the receiver was set up by an administrator)."""
    form = writer.schema.forms[form_key]
    rows = (await writer.conn.execute(select(form.table).where(form.table.c.id.in_(ids)))).mappings().all()
    reader = RecordReader(writer.conn, writer.schema, writer.ctx)
    return jsonable(await reader.shape(form, list(rows)))


def _delivery_row(webhook_id: int, payload: dict, now: datetime, redelivery_of: int | None = None) -> dict:
    return {"key": uuid.uuid4().hex, "webhook_id": webhook_id, "event": payload["event"], "payload": payload,
            "status": "pending", "attempts": 0, "redelivery_of": redelivery_of, "created_at": now}


async def _queue(conn: AsyncConnection, rows: list[dict]) -> None:
    await conn.execute(insert(webhook_deliveries), rows)
    await enqueue_many(conn, DELIVERY_JOB, [({"delivery": row["key"]}, None) for row in rows])


async def new_delivery(conn: AsyncConnection, webhook_id: int, payload: dict, redelivery_of: int | None = None) -> str:
    """One delivery outside the write path (a ping, a redelivery): its key."""
    row = _delivery_row(webhook_id, payload, utcnow(), redelivery_of)
    await _queue(conn, [row])
    return row["key"]


# ---- managing subscriptions ------------------------------------------------------------------------------------------
async def bump(conn: AsyncConnection, app_id: int) -> None:
    """The app's subscriptions changed: every process re-reads them at its next write of the app."""
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = make(webhook_versions).values(app_id=app_id, value=1)
    await conn.execute(statement.on_conflict_do_update(index_elements=["app_id"],
                                                       set_={"value": webhook_versions.c.value + 1}))


def new_secret(platform_key: str) -> tuple[str, str]:
    """(the secret shown once, the same sealed for the table)."""
    plain = "whsec_" + secrets.token_urlsafe(32)
    return plain, seal(platform_key, plain, SECRET_PURPOSE)


# ---- delivering ------------------------------------------------------------------------------------------------------
@job(DELIVERY_JOB, max_attempts=8, timeout=60, transactional=False, backoff_base=10)
async def _deliver(ctx: JobContext, payload: dict) -> None:
    """POST the event, signed; 2xx succeeds, 408/425/429/5xx and network errors are retried with backoff (8
    attempts over about half an hour), another 4xx or the last failure makes the delivery dead."""
    key = payload["delivery"]
    async with ctx.engine.connect() as conn:
        row = (await conn.execute(
            select(webhook_deliveries.c.id, webhook_deliveries.c.payload, webhook_deliveries.c.event,
                   webhook_deliveries.c.status, webhooks.c.id.label("webhook_id"), webhooks.c.url, webhooks.c.secret)
            .join(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
            .where(webhook_deliveries.c.key == key))).first()
    if row is None or row.status in ("succeeded", "dead"):  # the subscription was deleted, or a repeat run
        return
    secret = unseal(ctx.settings.secret_key, row.secret, SECRET_PURPOSE) or ""
    body = json.dumps(row.payload, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "nocode-webhooks/1", "X-Nocode-Event": row.event,
               "X-Nocode-Delivery": key, SIGNATURE_HEADER: sign(secret, body, int(time.time())),
               "Idempotency-Key": row.payload.get("id", key)}
    last = ctx.attempt >= JOBS.get(ctx.kind).max_attempts
    status, answer = None, ""
    try:
        response = await ctx.http.post(row.url, content=body, headers=headers, timeout=15)
        status, answer = response.status_code, response.text[:RESPONSE_KEPT]
    except httpx.HTTPError as e:
        answer = f"{type(e).__name__}: {e}"[:RESPONSE_KEPT]
    if status is not None and 200 <= status < 300:
        await _finish(ctx, row, "succeeded", status, answer)
        return
    if (status is None or status >= 500 or status in RETRYABLE_STATUS) and not last:
        await _finish(ctx, row, "retrying", status, answer)
        raise RuntimeError(f"webhook {row.webhook_id}: {status or answer}")
    await _finish(ctx, row, "dead", status, answer)
    raise PermanentError(f"webhook {row.webhook_id}: {status or answer}")


async def _finish(ctx: JobContext, row, status: str, response_status: int | None, answer: str) -> None:
    now = utcnow()
    async with ctx.engine.begin() as conn:
        await conn.execute(update(webhook_deliveries).where(webhook_deliveries.c.id == row.id).values(
            status=status, attempts=ctx.attempt, response_status=response_status, response_body=answer,
            last_error=None if status == "succeeded" else answer, finished_at=now if status != "retrying" else None))
        if status == "succeeded":
            await conn.execute(update(webhooks).where(webhooks.c.id == row.webhook_id, webhooks.c.failures > 0)
                               .values(failures=0))
        elif status == "dead":
            await _count_failure(conn, row.webhook_id, now)


async def _count_failure(conn: AsyncConnection, webhook_id: int, now: datetime) -> None:
    failures, active, app_id, url, creator = (await conn.execute(
        update(webhooks).where(webhooks.c.id == webhook_id).values(failures=webhooks.c.failures + 1)
        .returning(webhooks.c.failures, webhooks.c.active, webhooks.c.app_id, webhooks.c.url,
                   webhooks.c.created_by))).one()
    if failures < DISABLE_AFTER or not active:
        return
    await conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(
        active=False, disabled_reason="failures", updated_at=now))
    await bump(conn, app_id)
    app_key = (await conn.execute(select(apps.c.key).where(apps.c.id == app_id))).scalar()
    admins = set((await conn.execute(select(users.c.id).where(users.c.is_admin.is_(True),
                                                              users.c.is_active.is_(True)))).scalars())
    if creator is not None:
        admins.add(creator)
    text = (f"应用「{app_key}」的 Webhook {webhook_id}（{url}）连续 {failures} 次投递失败，已停用。修复接收方后可在"
            f"管理页重新启用并重发失败的投递。 / Webhook {webhook_id} of app {app_key!r} ({url}) failed {failures} "
            f"deliveries in a row and was disabled; fix the receiver, enable it again and redeliver.")
    if admins:
        await conn.execute(insert(notifications), [
            {"user_id": user, "app_id": app_id, "reason": "webhook_disabled", "channel": "in_app",
             "title": "Webhook 已停用 / Webhook disabled", "text": text, "created_at": now} for user in sorted(admins)])


def describe(row) -> dict:
    """A subscription as the API shows it (never its secret)."""
    out = {"id": row.id, "url": row.url, "events": list(row.events or []), "description": row.description,
           "active": row.active, "failures": row.failures, "disabled_reason": row.disabled_reason,
           "created_at": row.created_at.isoformat() + "Z", "updated_at": row.updated_at.isoformat() + "Z"}
    return out
