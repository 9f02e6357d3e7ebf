"""The audit log: who did what to which record, written in the caller's transaction so it commits with the change."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.models import audit_log


async def record_audit(conn: AsyncConnection, *, action: str, user_id: int | None, app_id: int | None = None,
                       form: str | None = None, record_id: int | None = None, detail: Any = None) -> None:
    """One entry. `detail` is JSON: whatever a reader needs to understand the action later (a snapshot, counts)."""
    await conn.execute(insert(audit_log).values(
        at=datetime.now(timezone.utc).replace(tzinfo=None), user_id=user_id, app_id=app_id, form=form,
        record_id=record_id, action=action, detail=detail))
