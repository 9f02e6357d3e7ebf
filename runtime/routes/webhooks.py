"""Outbound webhook subscriptions of an app, managed at run time by administrators: create (the signing secret is
shown once), list, change, delete, the delivery log, redelivery and pings. The work is in runtime/webhooks.py."""
from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, select, update

from engines.problems import Problem, ProblemsError, pointer
from runtime.audit import record_audit
from runtime.deps import AdminUser, PlatformDep
from runtime.errors import not_found
from runtime.models import webhook_deliveries, webhooks
from runtime.webhooks import EVENT_PATTERN, bump, describe, new_delivery, new_secret, utcnow

router = APIRouter(tags=["webhooks"])


class WebhookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=8, max_length=2000, description="where events are POSTed (http or https)")
    events: list[str] = Field(min_length=1, max_length=100, description='["order.created", "order.*", "*"]')
    description: str | None = Field(default=None, max_length=200)
    active: bool = True


class WebhookPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    url: str | None = Field(default=None, min_length=8, max_length=2000)
    events: list[str] | None = Field(default=None, min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=200)
    active: bool | None = Field(default=None, description="true again after the platform disabled it: counts restart")
    rotate_secret: bool = Field(default=False, description="a new signing secret, shown once in the answer")


def _check(schema, url: str | None, events: list[str] | None) -> None:
    problems = []
    if url is not None and not url.lower().startswith(("http://", "https://")):
        problems.append(Problem("/url", "bad_url", {"value": url}))
    for i, event in enumerate(events or []):
        if not EVENT_PATTERN.match(event):
            problems.append(Problem(pointer("events", i), "bad_event", {"value": event}))
        elif event != "*" and schema.form(event.split(".")[0]) is None:
            problems.append(Problem(pointer("events", i), "unknown_form", {"key": event.split(".")[0]}))
    if problems:
        raise ProblemsError(problems)


async def _webhook(conn, schema, webhook_id: int):
    row = (await conn.execute(select(webhooks).where(webhooks.c.id == webhook_id,
                                                     webhooks.c.app_id == schema.app_id))).first()
    if row is None:
        raise not_found(f"webhook {webhook_id}")
    return row


@router.post("/api/apps/{app}/webhooks", status_code=201)
async def create_webhook(app: str, body: WebhookIn, platform: PlatformDep, user: AdminUser) -> dict:
    """A subscription; the answer carries `secret` (for checking X-Nocode-Signature) — the only time it is shown."""
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        _check(schema, body.url, body.events)
        plain, sealed = new_secret(platform.settings.secret_key)
        now = utcnow()
        webhook_id = (await conn.execute(webhooks.insert().values(
            app_id=schema.app_id, url=body.url, events=sorted(set(body.events)), description=body.description,
            secret=sealed, active=body.active, failures=0, created_by=user.id, created_at=now, updated_at=now)
            .returning(webhooks.c.id))).scalar_one()
        await bump(conn, schema.app_id)
        await record_audit(conn, action="webhook_created", user_id=user.id, app_id=schema.app_id,
                           detail={"webhook": webhook_id, "url": body.url, "events": body.events})
        return {**describe(await _webhook(conn, schema, webhook_id)), "secret": plain}


@router.get("/api/apps/{app}/webhooks")
async def list_webhooks(app: str, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        rows = (await conn.execute(select(webhooks).where(webhooks.c.app_id == schema.app_id)
                                   .order_by(webhooks.c.id))).all()
    return {"items": [describe(row) for row in rows]}


@router.get("/api/apps/{app}/webhooks/{webhook_id}")
async def get_webhook(app: str, webhook_id: int, platform: PlatformDep, user: AdminUser) -> dict:
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        return describe(await _webhook(conn, schema, webhook_id))


@router.patch("/api/apps/{app}/webhooks/{webhook_id}")
async def change_webhook(app: str, webhook_id: int, body: WebhookPatch, platform: PlatformDep,
                         user: AdminUser) -> dict:
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        await _webhook(conn, schema, webhook_id)
        _check(schema, body.url, body.events)
        changes = body.model_dump(exclude_unset=True, exclude={"rotate_secret"})
        if "events" in changes:
            changes["events"] = sorted(set(changes["events"]))
        if changes.get("active") is True:
            changes.update(failures=0, disabled_reason=None)
        plain = None
        if body.rotate_secret:
            plain, changes["secret"] = new_secret(platform.settings.secret_key)
        await conn.execute(update(webhooks).where(webhooks.c.id == webhook_id).values(**changes, updated_at=utcnow()))
        await bump(conn, schema.app_id)
        await record_audit(conn, action="webhook_changed", user_id=user.id, app_id=schema.app_id,
                           detail={"webhook": webhook_id, "changes": sorted(changes.keys() - {"secret"}) +
                                   (["secret"] if plain else [])})
        out = describe(await _webhook(conn, schema, webhook_id))
    return {**out, "secret": plain} if plain else out


@router.delete("/api/apps/{app}/webhooks/{webhook_id}", status_code=204)
async def delete_webhook(app: str, webhook_id: int, platform: PlatformDep, user: AdminUser) -> Response:
    """The subscription and its delivery log; deliveries still queued are dropped."""
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        row = await _webhook(conn, schema, webhook_id)
        await conn.execute(delete(webhook_deliveries).where(webhook_deliveries.c.webhook_id == webhook_id))
        await conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id))
        await bump(conn, schema.app_id)
        await record_audit(conn, action="webhook_deleted", user_id=user.id, app_id=schema.app_id,
                           detail={"webhook": webhook_id, "url": row.url})
    return Response(status_code=204)


def _delivery(row) -> dict:
    return {"id": row.id, "key": row.key, "event": row.event, "status": row.status, "attempts": row.attempts,
            "response_status": row.response_status, "response_body": row.response_body,
            "last_error": row.last_error, "redelivery_of": row.redelivery_of, "payload": row.payload,
            "created_at": row.created_at.isoformat() + "Z",
            "finished_at": row.finished_at.isoformat() + "Z" if row.finished_at else None}


@router.get("/api/apps/{app}/webhooks/{webhook_id}/deliveries")
async def deliveries(app: str, webhook_id: int, platform: PlatformDep, user: AdminUser,
                     status: Literal["pending", "retrying", "succeeded", "dead"] | None = None,
                     page: int = Query(1, ge=1, le=100_000), page_size: int = Query(50, ge=1, le=500)) -> dict:
    """The delivery log, newest first: status, attempts, the receiver's last answer (status and body)."""
    async with platform.engine.connect() as conn:
        schema = await platform.schemas.get(conn, app)
        await _webhook(conn, schema, webhook_id)
        where = [webhook_deliveries.c.webhook_id == webhook_id]
        if status is not None:
            where.append(webhook_deliveries.c.status == status)
        total = (await conn.execute(select(func.count()).select_from(webhook_deliveries).where(*where))).scalar_one()
        rows = (await conn.execute(select(webhook_deliveries).where(*where).order_by(webhook_deliveries.c.id.desc())
                                   .offset((page - 1) * page_size).limit(page_size))).all()
    return {"items": [_delivery(r) for r in rows], "total": total, "page": page, "page_size": page_size}


@router.post("/api/apps/{app}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", status_code=202)
async def redeliver(app: str, webhook_id: int, delivery_id: int, platform: PlatformDep, user: AdminUser) -> dict:
    """The same event (same payload and event id, so a receiver that saw it can drop it) as a new delivery."""
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        await _webhook(conn, schema, webhook_id)
        payload = (await conn.execute(select(webhook_deliveries.c.payload).where(
            webhook_deliveries.c.id == delivery_id, webhook_deliveries.c.webhook_id == webhook_id))).scalar()
        if payload is None:
            raise not_found(f"delivery {delivery_id}")
        key = await new_delivery(conn, webhook_id, payload, redelivery_of=delivery_id)
        row = (await conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.key == key))).one()
    return _delivery(row)


@router.post("/api/apps/{app}/webhooks/{webhook_id}/ping", status_code=202)
async def ping(app: str, webhook_id: int, platform: PlatformDep, user: AdminUser) -> dict:
    """A `ping` event, to check the receiver and its signature check before real events flow."""
    async with platform.begin() as conn:
        schema = await platform.schemas.get(conn, app)
        await _webhook(conn, schema, webhook_id)
        payload = {"id": f"evt_{uuid.uuid4().hex}", "event": "ping", "app": schema.key, "webhook": webhook_id,
                   "occurred_at": utcnow().isoformat() + "Z"}
        key = await new_delivery(conn, webhook_id, payload)
        row = (await conn.execute(select(webhook_deliveries).where(webhook_deliveries.c.key == key))).one()
    return _delivery(row)
