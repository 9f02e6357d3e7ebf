"""In-app notifications (站内消息) of the signed-in person: new tasks, copies, reminders, urges, escalations, a
flow's messages; newest first with the unread count for the badge, marked read one by one or all at once."""
from __future__ import annotations

from datetime import datetime, timezone

from fastapi import APIRouter, Query
from sqlalchemy import func, select, update

from runtime.deps import CurrentUser, PlatformDep
from runtime.errors import not_found
from runtime.models import apps, notifications
from runtime.routes.flows import ItemId, _iso

router = APIRouter(tags=["notifications"])


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


@router.get("/api/notifications")
async def list_notifications(platform: PlatformDep, user: CurrentUser, unread: bool = Query(False),
                             page: int = Query(1, ge=1, le=1_000_000),
                             page_size: int = Query(50, ge=1, le=500)) -> dict:
    mine = notifications.c.user_id == user.id
    where = [mine, notifications.c.read_at.is_(None)] if unread else [mine]
    async with platform.engine.connect() as conn:
        count = (await conn.execute(select(func.count()).select_from(notifications).where(
            mine, notifications.c.read_at.is_(None)))).scalar_one()
        total = (await conn.execute(select(func.count()).select_from(notifications).where(*where))).scalar_one()
        rows = (await conn.execute(
            select(notifications, apps.c.key.label("app_key")).outerjoin(apps, apps.c.id == notifications.c.app_id)
            .where(*where).order_by(notifications.c.id.desc()).offset((page - 1) * page_size).limit(page_size)
        )).all()
    return {"unread": count, "total": total, "page": page, "page_size": page_size, "items": [
        {"id": r.id, "app": r.app_key, "instance": r.instance_id, "form": r.form, "record": r.record_id,
         "reason": r.reason, "channel": r.channel,
         "title": r.title, "text": r.text, "created_at": _iso(r.created_at), "read_at": _iso(r.read_at)}
        for r in rows]}


@router.post("/api/notifications/{notification_id}/read")
async def read_notification(notification_id: ItemId, platform: PlatformDep, user: CurrentUser) -> dict:
    async with platform.begin() as conn:
        found = (await conn.execute(select(notifications.c.read_at).where(
            notifications.c.id == notification_id, notifications.c.user_id == user.id))).first()
        if found is None:
            raise not_found(f"notification {notification_id}")
        if found.read_at is None:
            await conn.execute(update(notifications).where(notifications.c.id == notification_id)
                               .values(read_at=_now()))
    return {"id": notification_id, "read": True}


@router.post("/api/notifications/read-all")
async def read_all(platform: PlatformDep, user: CurrentUser) -> dict:
    async with platform.begin() as conn:
        result = await conn.execute(update(notifications).where(
            notifications.c.user_id == user.id, notifications.c.read_at.is_(None)).values(read_at=_now()))
    return {"marked": result.rowcount}
