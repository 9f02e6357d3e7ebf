"""The audit log: who did what to which record, written in the caller's transaction so it commits with the change."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.models import audit_log


_ENTRY = insert(audit_log)  # one statement for every entry (its parameters name the columns)


async def record_audit(conn: AsyncConnection, *, action: str, user_id: int | None, app_id: int | None = None,
                       form: str | None = None, record_id: int | None = None, detail: Any = None) -> None:
    """One entry. `detail` is JSON: whatever a reader needs to understand the action later (a snapshot, counts)."""
    await conn.execute(_ENTRY, {"at": datetime.now(timezone.utc).replace(tzinfo=None), "user_id": user_id,
                                "app_id": app_id, "form": form, "record_id": record_id, "action": action,
                                "detail": detail})


async def audit_entries(conn: AsyncConnection, *, app_id: int | None = None, form: str | None = None,
                        record_id: int | None = None, user_id: int | None = None, action: str | None = None,
                        since: datetime | None = None, until: datetime | None = None, page: int = 1,
                        page_size: int = 50) -> dict:
    """Entries matching every filter given, newest first → {"items", "total", "page", "page_size"}
    (times naive UTC; `until` excluded). Each item names the user and the app, not just their ids."""
    from sqlalchemy import func, select

    from runtime.models import apps, users

    conditions = []
    for column, value in ((audit_log.c.app_id, app_id), (audit_log.c.form, form), (audit_log.c.record_id, record_id),
                          (audit_log.c.user_id, user_id), (audit_log.c.action, action)):
        if value is not None:
            conditions.append(column == value)
    if since is not None:
        conditions.append(audit_log.c.at >= since)
    if until is not None:
        conditions.append(audit_log.c.at < until)
    total = (await conn.execute(select(func.count()).select_from(audit_log).where(*conditions))).scalar_one()
    result = await conn.execute(
        select(audit_log, users.c.username, users.c.name.label("user_name"), apps.c.key.label("app_key"))
        .outerjoin(users, users.c.id == audit_log.c.user_id).outerjoin(apps, apps.c.id == audit_log.c.app_id)
        .where(*conditions).order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .offset((page - 1) * page_size).limit(page_size))
    items = [{"id": r.id, "at": r.at.isoformat() + "Z",
              "user": {"id": r.user_id, "username": r.username, "name": r.user_name} if r.user_id is not None else None,
              "app": r.app_key, "form": r.form, "record": r.record_id, "action": r.action, "detail": r.detail}
             for r in result.all()]
    return {"items": items, "total": total, "page": page, "page_size": page_size}
