"""The people directory (通讯录) every signed-in person may search: enough to pick a member, transfer a task or add
a signer — id, name, username and departments of active users, never anything an administrator alone should see."""
from __future__ import annotations

from fastapi import APIRouter, Query
from sqlalchemy import func, or_, select

from runtime.deps import CurrentUser, PlatformDep
from runtime.models import department_members, departments, users

router = APIRouter(prefix="/api", tags=["people"])


@router.get("/people")
async def people(platform: PlatformDep, user: CurrentUser, q: str | None = Query(None, max_length=100),
                 department: int | None = Query(None, ge=1, le=2**31 - 1),
                 page: int = Query(1, ge=1, le=100_000), page_size: int = Query(50, ge=1, le=200)) -> dict:
    where = [users.c.is_active.is_(True)]
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        where.append(or_(users.c.name.ilike(pattern, escape="\\"), users.c.username.ilike(pattern, escape="\\")))
    if department is not None:
        where.append(users.c.id.in_(select(department_members.c.user_id).where(
            department_members.c.department_id == department)))
    async with platform.engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(users).where(*where))).scalar_one()
        rows = (await conn.execute(select(users.c.id, users.c.name, users.c.username).where(*where)
                                   .order_by(users.c.name, users.c.id).offset((page - 1) * page_size)
                                   .limit(page_size))).all()
        ids = [r.id for r in rows]
        places: dict[int, list[str]] = {}
        if ids:
            for user_id, name in (await conn.execute(
                    select(department_members.c.user_id, departments.c.name)
                    .join(departments, departments.c.id == department_members.c.department_id)
                    .where(department_members.c.user_id.in_(ids)).order_by(departments.c.id))).all():
                places.setdefault(user_id, []).append(name)
    return {"total": total, "page": page, "page_size": page_size, "items": [
        {"id": r.id, "name": r.name, "username": r.username, "departments": places.get(r.id, [])} for r in rows]}
