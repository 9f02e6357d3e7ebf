"""Administration for platform admins: users, departments, roles per app, API keys, sessions, the audit log.

Every change writes an audit entry in the same transaction. Users are deactivated, never deleted: records,
member fields and audit entries keep pointing at them by id.
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.problems import MESSAGES, Problem, ProblemsError
from runtime.audit import audit_entries, record_audit
from runtime.auth import create_user as insert_user
from runtime.auth import hash_api_key, new_api_key, password_problems, roles_by_app
from runtime.deps import AdminUser, PlatformDep
from runtime.errors import ApiError, not_found
from runtime.models import api_keys, app_versions, apps, department_members, departments, user_roles, users
from runtime.sessions import open_sessions, revoke_sessions, set_password
from runtime.write import utcnow

MESSAGES.update({
    "username_taken": ("用户名「{username}」已被使用", "username {username!r} is taken"),
    "unknown_user": ("没有编号为 {id} 的用户", "there is no user {id}"),
    "unknown_department": ("没有编号为 {id} 的部门", "there is no department {id}"),
    "unknown_app": ("没有应用「{key}」", "there is no app {key!r}"),
    "unknown_role": ("应用「{app}」当前发布的版本中没有角色「{role}」（可用：{roles}）",
                     "app {app!r} has no role {role!r} in its published version (roles: {roles})"),
    "manager_cycle": ("上级关系不能成环：此人已（直接或间接）是 {name} 的上级", "managers cannot form a circle: this user already manages {name}, directly or not"),
    "department_cycle": ("部门不能移到它自己或它的下级部门之下", "a department cannot move under itself or one of its sub-departments"),
    "last_admin": ("至少要保留一位启用的管理员", "at least one active admin must remain"),
    "department_not_empty": ("部门还有 {members} 名成员、{children} 个下级部门；确认一并删除请加 ?force=true",
                             "the department still has {members} member(s) and {children} sub-department(s); add ?force=true to delete them too"),
    "bad_datetime": ("不是有效的日期时间：{value}", "not a valid date-time: {value!r}"),
})

router = APIRouter(prefix="/api/admin", tags=["admin"])
USERNAME_PATTERN = r"^[\w.@-]+$"
Page = Annotated[int, Query(ge=1, le=100_000)]
PageSize = Annotated[int, Query(ge=1, le=200)]


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None


def _refuse(problems: list[Problem]) -> None:
    if problems:
        raise ProblemsError(problems)


# ---- look-ups shared by the routes ---------------------------------------------------------------------------

async def _user(conn: AsyncConnection, user_id: int):
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    if row is None:
        raise not_found(f"user {user_id}")
    return row


async def _missing(conn: AsyncConnection, table, ids: list[int]) -> set[int]:
    if not ids:
        return set()
    found = set((await conn.execute(select(table.c.id).where(table.c.id.in_(set(ids))))).scalars())
    return set(ids) - found


async def _missing_users(conn, ids: list[int | None] | int | None, path: str) -> list[Problem]:
    """Problems for ids that name no row: at `path` for one id, at `path/n` for the n-th of a list."""
    listed = ids if isinstance(ids, list) else [ids]
    missing = await _missing(conn, users, [i for i in listed if i is not None])
    return [Problem(f"{path}/{n}" if isinstance(ids, list) else path, "unknown_user", {"id": i})
            for n, i in enumerate(listed) if i in missing]


async def _missing_departments(conn, ids: list[int | None] | int | None, path: str) -> list[Problem]:
    """Problems for ids that name no row: at `path` for one id, at `path/n` for the n-th of a list."""
    listed = ids if isinstance(ids, list) else [ids]
    missing = await _missing(conn, departments, [i for i in listed if i is not None])
    return [Problem(f"{path}/{n}" if isinstance(ids, list) else path, "unknown_department", {"id": i})
            for n, i in enumerate(listed) if i in missing]


async def _manager_cycle(conn, user_id: int, manager_id: int | None) -> list[Problem]:
    """Walking up from the new manager must never reach the user."""
    seen, current = set(), manager_id
    while current is not None and current not in seen:
        if current == user_id:
            name = (await conn.execute(select(users.c.name).where(users.c.id == manager_id))).scalar()
            return [Problem("/manager", "manager_cycle", {"name": name})]
        seen.add(current)
        current = (await conn.execute(select(users.c.manager_id).where(users.c.id == current))).scalar()
    return []


async def _department_cycle(conn, department_id: int, parent_id: int | None) -> list[Problem]:
    seen, current = set(), parent_id
    while current is not None and current not in seen:
        if current == department_id:
            return [Problem("/parent", "department_cycle")]
        seen.add(current)
        current = (await conn.execute(select(departments.c.parent_id).where(departments.c.id == current))).scalar()
    return []


async def _guard_last_admin(conn, user_id: int) -> None:
    """Refuses to deactivate or demote the only active admin left: nobody could administer any more."""
    others = (await conn.execute(select(func.count()).select_from(users).where(
        users.c.is_admin.is_(True), users.c.is_active.is_(True), users.c.id != user_id))).scalar_one()
    if others == 0:
        raise ApiError(409, "last_admin")


async def _app(conn, key: str, path: str = "/app"):
    row = (await conn.execute(select(apps).where(apps.c.key == key))).first()
    if row is None:
        raise ProblemsError([Problem(path, "unknown_app", {"key": key})])
    return row


async def _check_role(conn, app_row, role: str, path: str = "/role") -> None:
    """The role must be one of the app's current published definition (`roles`: [{"key", "name", …}])."""
    definition = (await conn.execute(select(app_versions.c.definition).where(
        app_versions.c.app_id == app_row.id, app_versions.c.version == app_row.current_version))).scalar() or {}
    keys = [r.get("key") for r in definition.get("roles") or [] if isinstance(r, dict)]
    if role not in keys:
        raise ProblemsError([Problem(path, "unknown_role", {"app": app_row.key, "role": role,
                                                           "roles": ", ".join(keys) or "-"})])


async def _set_departments(conn, user_id: int, department_ids: list[int]) -> None:
    await conn.execute(delete(department_members).where(department_members.c.user_id == user_id))
    for department_id in dict.fromkeys(department_ids):
        await conn.execute(insert(department_members).values(department_id=department_id, user_id=user_id))


async def _department_ids(conn, user_ids: list[int]) -> dict[int, list[int]]:
    result = await conn.execute(select(department_members.c.user_id, department_members.c.department_id)
                                .where(department_members.c.user_id.in_(user_ids))
                                .order_by(department_members.c.department_id))
    grouped: dict[int, list[int]] = {i: [] for i in user_ids}
    for user_id, department_id in result.all():
        grouped[user_id].append(department_id)
    return grouped


def _summary(row, department_ids: list[int]) -> dict:
    """A user as lists show it: never the password hash."""
    return {"id": row.id, "username": row.username, "name": row.name, "is_admin": row.is_admin,
            "is_active": row.is_active, "manager": row.manager_id, "departments": department_ids,
            "created_at": _iso(row.created_at), "locked_until": _iso(row.locked_until)}


async def _detail(conn, user_id: int) -> dict:
    row = await _user(conn, user_id)
    result = await conn.execute(select(departments.c.id, departments.c.name)
                                .join(department_members, department_members.c.department_id == departments.c.id)
                                .where(department_members.c.user_id == user_id).order_by(departments.c.id))
    body = _summary(row, [])
    body["departments"] = [{"id": d.id, "name": d.name} for d in result.all()]
    manager = None
    if row.manager_id is not None:
        m = (await conn.execute(select(users.c.id, users.c.username, users.c.name)
                                .where(users.c.id == row.manager_id))).first()
        manager = {"id": m.id, "username": m.username, "name": m.name} if m else None
    body["manager"] = manager
    body["password_changed_at"] = _iso(row.password_changed_at)
    body["roles"] = await roles_by_app(conn, user_id)
    return body


# ---- users ---------------------------------------------------------------------------------------------------

class NewUser(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64, pattern=USERNAME_PATTERN)
    password: str = Field(min_length=1, max_length=256)
    name: str = Field(default="", max_length=100)
    departments: list[int] = Field(default_factory=list, max_length=100)
    department: int | None = None  # one department, as API.md names it; merged into `departments`
    manager: int | None = None
    is_admin: bool = False


@router.post("/users", status_code=201)
async def create_user(body: NewUser, platform: PlatformDep, admin: AdminUser) -> dict:
    department_ids = body.departments + ([body.department] if body.department is not None else [])
    async with platform.begin() as conn:
        problems = []
        if (await conn.execute(select(users.c.id).where(users.c.username == body.username))).first():
            problems.append(Problem("/username", "username_taken", {"username": body.username}))
        problems += password_problems(body.password, body.username)
        problems += await _missing_departments(conn, body.departments, "/departments")
        problems += await _missing_departments(conn, body.department, "/department")
        problems += await _missing_users(conn, body.manager, "/manager")
        _refuse(problems)
        user_id = await insert_user(conn, body.username, body.password, body.name.strip() or body.username,
                                    body.is_admin, body.manager)
        await _set_departments(conn, user_id, department_ids)
        await record_audit(conn, action="user_created", user_id=admin.id, detail={
            "user": user_id, "username": body.username, "is_admin": body.is_admin, "departments": department_ids,
            "manager": body.manager})
        return await _detail(conn, user_id)


@router.get("/users")
async def list_users(platform: PlatformDep, admin: AdminUser, q: str | None = Query(None, max_length=100),
                     department: int | None = None, active: bool | None = None, page: Page = 1,
                     page_size: PageSize = 50) -> dict:
    """Users matching `q` (in username or name), in `department` (directly), active or not; by id."""
    conditions = []
    if q:
        needle = q.strip().lower()
        conditions.append(func.lower(users.c.username).contains(needle, autoescape=True)
                          | func.lower(users.c.name).contains(needle, autoescape=True))
    if department is not None:
        conditions.append(users.c.id.in_(select(department_members.c.user_id)
                                         .where(department_members.c.department_id == department)))
    if active is not None:
        conditions.append(users.c.is_active.is_(active))
    async with platform.engine.connect() as conn:
        total = (await conn.execute(select(func.count()).select_from(users).where(*conditions))).scalar_one()
        rows = (await conn.execute(select(users).where(*conditions).order_by(users.c.id)
                                   .offset((page - 1) * page_size).limit(page_size))).all()
        memberships = await _department_ids(conn, [r.id for r in rows])
    return {"items": [_summary(r, memberships[r.id]) for r in rows], "total": total, "page": page,
            "page_size": page_size}


@router.get("/users/{user_id}")
async def get_user(user_id: int, platform: PlatformDep, admin: AdminUser) -> dict:
    async with platform.engine.connect() as conn:
        return await _detail(conn, user_id)


class UserChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    password: str | None = Field(default=None, min_length=1, max_length=256)
    is_active: bool | None = None
    is_admin: bool | None = None
    manager: int | None = None  # null: no manager
    departments: list[int] | None = Field(default=None, max_length=100)  # replaces the user's departments
    unlock: bool | None = None  # true: lift a sign-in lock after failed attempts


@router.patch("/users/{user_id}")
async def change_user(user_id: int, body: UserChange, platform: PlatformDep, admin: AdminUser) -> dict:
    given = body.model_fields_set
    async with platform.begin() as conn:
        row = await _user(conn, user_id)
        problems = []
        if body.password is not None:
            problems += password_problems(body.password, row.username)
        if "manager" in given:
            problems += await _missing_users(conn, body.manager, "/manager")
            if not problems:
                problems += await _manager_cycle(conn, user_id, body.manager)
        if body.departments is not None:
            problems += await _missing_departments(conn, body.departments, "/departments")
        _refuse(problems)
        demoted = (body.is_admin is False or body.is_active is False) and row.is_admin and row.is_active
        if demoted:
            await _guard_last_admin(conn, user_id)
        values: dict[str, Any] = {}
        for key in ("name", "is_active", "is_admin"):
            if getattr(body, key) is not None:
                values[key] = getattr(body, key)
        if "manager" in given:
            values["manager_id"] = body.manager
        if body.unlock:
            values.update(failed_logins=0, locked_until=None)
        if values:
            await conn.execute(update(users).where(users.c.id == user_id).values(**values))
        if body.password is not None:
            await set_password(conn, user_id, row.username, body.password)
        if body.is_active is False:
            await revoke_sessions(conn, user_id)
        if body.departments is not None:
            await _set_departments(conn, user_id, body.departments)
        changes = {key: getattr(body, key) for key in given if key not in ("password", "unlock")}
        if body.password is not None:
            changes["password"] = "changed"
        if body.unlock:
            changes["unlocked"] = True
        await record_audit(conn, action="user_changed", user_id=admin.id,
                           detail={"user": user_id, "username": row.username, "changes": changes})
        return await _detail(conn, user_id)


@router.delete("/users/{user_id}", status_code=204)
async def deactivate_user(user_id: int, platform: PlatformDep, admin: AdminUser) -> Response:
    """Deactivates: the user cannot sign in and their sessions end; records still name them.
    `PATCH {"is_active": true}` brings them back."""
    async with platform.begin() as conn:
        row = await _user(conn, user_id)
        if row.is_active:
            if row.is_admin:
                await _guard_last_admin(conn, user_id)
            await conn.execute(update(users).where(users.c.id == user_id).values(is_active=False))
            await revoke_sessions(conn, user_id)
            await record_audit(conn, action="user_deactivated", user_id=admin.id,
                               detail={"user": user_id, "username": row.username})
    return Response(status_code=204)


# ---- sessions of a user --------------------------------------------------------------------------------------

@router.get("/users/{user_id}/sessions")
async def user_sessions(user_id: int, platform: PlatformDep, admin: AdminUser) -> list[dict]:
    async with platform.engine.connect() as conn:
        await _user(conn, user_id)
        return await open_sessions(conn, user_id, admin.session_id)


@router.delete("/users/{user_id}/sessions", status_code=204)
async def end_user_sessions(user_id: int, platform: PlatformDep, admin: AdminUser) -> Response:
    """Signs the user out everywhere."""
    async with platform.begin() as conn:
        row = await _user(conn, user_id)
        count = await revoke_sessions(conn, user_id)
        await record_audit(conn, action="sessions_revoked", user_id=admin.id,
                           detail={"user": user_id, "username": row.username, "count": count})
    return Response(status_code=204)


@router.delete("/users/{user_id}/sessions/{session_id}", status_code=204)
async def end_user_session(user_id: int, session_id: str, platform: PlatformDep, admin: AdminUser) -> Response:
    async with platform.begin() as conn:
        row = await _user(conn, user_id)
        if not await revoke_sessions(conn, user_id, session_id):
            raise not_found("session")
        await record_audit(conn, action="sessions_revoked", user_id=admin.id,
                           detail={"user": user_id, "username": row.username, "count": 1})
    return Response(status_code=204)


# ---- roles per app -------------------------------------------------------------------------------------------

class RoleGrant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    app: str = Field(min_length=1, max_length=40)
    role: str = Field(min_length=1, max_length=40)


@router.post("/users/{user_id}/roles")
async def grant_role(user_id: int, body: RoleGrant, platform: PlatformDep, admin: AdminUser) -> dict:
    """Gives a role of the app's published definition; holding it already is fine. → the user's roles per app."""
    async with platform.begin() as conn:
        row = await _user(conn, user_id)
        app_row = await _app(conn, body.app)
        await _check_role(conn, app_row, body.role)
        held = (await conn.execute(select(user_roles.c.role).where(
            user_roles.c.user_id == user_id, user_roles.c.app_id == app_row.id, user_roles.c.role == body.role))).first()
        if held is None:
            await conn.execute(insert(user_roles).values(user_id=user_id, app_id=app_row.id, role=body.role))
            await record_audit(conn, action="role_granted", user_id=admin.id, app_id=app_row.id,
                               detail={"user": user_id, "username": row.username, "role": body.role})
        return {"roles": await roles_by_app(conn, user_id)}


async def _revoke_role(platform, admin, user_id: int, app_key: str, role: str) -> Response:
    async with platform.begin() as conn:
        row = await _user(conn, user_id)
        app_row = (await conn.execute(select(apps).where(apps.c.key == app_key))).first()
        if app_row is None:
            raise not_found(f"app {app_key!r}")
        # No check against the definition: a role removed from the app can still be taken away.
        removed = (await conn.execute(delete(user_roles).where(
            user_roles.c.user_id == user_id, user_roles.c.app_id == app_row.id, user_roles.c.role == role))).rowcount
        if not removed:
            raise not_found(f"role {role!r} of user {user_id} in app {app_key!r}")
        await record_audit(conn, action="role_revoked", user_id=admin.id, app_id=app_row.id,
                           detail={"user": user_id, "username": row.username, "role": role})
    return Response(status_code=204)


@router.delete("/users/{user_id}/roles", status_code=204)
async def revoke_role(user_id: int, platform: PlatformDep, admin: AdminUser, body: RoleGrant = Body(...)) -> Response:
    return await _revoke_role(platform, admin, user_id, body.app, body.role)


@router.delete("/users/{user_id}/roles/{app}/{role}", status_code=204)
async def revoke_role_by_path(user_id: int, app: str, role: str, platform: PlatformDep, admin: AdminUser) -> Response:
    return await _revoke_role(platform, admin, user_id, app, role)


# ---- departments ---------------------------------------------------------------------------------------------

class NewDepartment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    parent: int | None = None
    head: int | None = None
    position: int = Field(default=0, ge=0, le=1_000_000)


class DepartmentChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, min_length=1, max_length=100)
    parent: int | None = None  # null: a top-level department
    head: int | None = None  # null: no head
    position: int | None = Field(default=None, ge=0, le=1_000_000)


async def _department(conn, department_id: int):
    row = (await conn.execute(select(departments).where(departments.c.id == department_id))).first()
    if row is None:
        raise not_found(f"department {department_id}")
    return row


async def _department_body(conn, department_id: int) -> dict:
    row = await _department(conn, department_id)
    head = None
    if row.head_id is not None:
        h = (await conn.execute(select(users.c.id, users.c.username, users.c.name).where(users.c.id == row.head_id))).first()
        head = {"id": h.id, "username": h.username, "name": h.name} if h else None
    members = (await conn.execute(select(users.c.id, users.c.username, users.c.name, users.c.is_active)
                                  .join(department_members, department_members.c.user_id == users.c.id)
                                  .where(department_members.c.department_id == department_id)
                                  .order_by(users.c.id))).all()
    children = (await conn.execute(select(departments.c.id).where(departments.c.parent_id == department_id)
                                   .order_by(departments.c.position, departments.c.id))).scalars().all()
    return {"id": row.id, "name": row.name, "parent": row.parent_id, "head": head, "position": row.position,
            "members": [{"id": m.id, "username": m.username, "name": m.name, "is_active": m.is_active} for m in members],
            "children": list(children)}


@router.post("/departments", status_code=201)
async def create_department(body: NewDepartment, platform: PlatformDep, admin: AdminUser) -> dict:
    async with platform.begin() as conn:
        _refuse(await _missing_departments(conn, body.parent, "/parent")
                + await _missing_users(conn, body.head, "/head"))
        department_id = (await conn.execute(insert(departments).values(
            name=body.name.strip(), parent_id=body.parent, head_id=body.head, position=body.position,
            created_at=utcnow()).returning(departments.c.id))).scalar_one()
        await record_audit(conn, action="department_created", user_id=admin.id, detail={
            "department": department_id, "name": body.name, "parent": body.parent, "head": body.head})
        return await _department_body(conn, department_id)


@router.get("/departments")
async def department_tree(platform: PlatformDep, admin: AdminUser) -> list[dict]:
    """The organisation as a tree: each department with its head, member count and children."""
    async with platform.engine.connect() as conn:
        rows = (await conn.execute(select(departments, users.c.name.label("head_name"))
                                   .outerjoin(users, users.c.id == departments.c.head_id)
                                   .order_by(departments.c.position, departments.c.id))).all()
        counts = dict((await conn.execute(select(department_members.c.department_id, func.count())
                                          .group_by(department_members.c.department_id))).all())
    nodes = {r.id: {"id": r.id, "name": r.name, "parent": r.parent_id, "position": r.position,
                    "head": {"id": r.head_id, "name": r.head_name} if r.head_id is not None else None,
                    "member_count": counts.get(r.id, 0), "children": []} for r in rows}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent"])
        (parent["children"] if parent else roots).append(node)
    return roots


@router.get("/departments/{department_id}")
async def get_department(department_id: int, platform: PlatformDep, admin: AdminUser) -> dict:
    async with platform.engine.connect() as conn:
        return await _department_body(conn, department_id)


@router.patch("/departments/{department_id}")
async def change_department(department_id: int, body: DepartmentChange, platform: PlatformDep,
                            admin: AdminUser) -> dict:
    """Rename, move (never under itself or below), change the head or the position among siblings."""
    given = body.model_fields_set
    async with platform.begin() as conn:
        await _department(conn, department_id)
        problems = []
        if "parent" in given:
            problems += await _missing_departments(conn, body.parent, "/parent")
            if not problems:
                problems += await _department_cycle(conn, department_id, body.parent)
        if "head" in given:
            problems += await _missing_users(conn, body.head, "/head")
        _refuse(problems)
        values: dict[str, Any] = {}
        if body.name is not None:
            values["name"] = body.name.strip()
        if body.position is not None:
            values["position"] = body.position
        if "parent" in given:
            values["parent_id"] = body.parent
        if "head" in given:
            values["head_id"] = body.head
        if values:
            await conn.execute(update(departments).where(departments.c.id == department_id).values(**values))
        await record_audit(conn, action="department_changed", user_id=admin.id,
                           detail={"department": department_id, "changes": {k: getattr(body, k) for k in given}})
        return await _department_body(conn, department_id)


async def _subtree(conn, department_id: int) -> list[int]:
    """The department and every department below it."""
    found, frontier = [department_id], [department_id]
    while frontier:
        frontier = list((await conn.execute(select(departments.c.id).where(departments.c.parent_id.in_(frontier)))).scalars())
        found += frontier
    return found


@router.delete("/departments/{department_id}", status_code=204)
async def delete_department(department_id: int, platform: PlatformDep, admin: AdminUser,
                            force: bool = False) -> Response:
    """Refused (409) while it has members or sub-departments, unless `?force=true`: then its sub-departments
    go too and their members simply belong to them no more (the users stay)."""
    async with platform.begin() as conn:
        row = await _department(conn, department_id)
        subtree = await _subtree(conn, department_id)
        members = (await conn.execute(select(func.count(func.distinct(department_members.c.user_id)))
                                      .where(department_members.c.department_id.in_(subtree)))).scalar_one()
        children = len(subtree) - 1
        if (members or children) and not force:
            raise ApiError(409, "department_not_empty", members=members, children=children)
        await conn.execute(delete(department_members).where(department_members.c.department_id.in_(subtree)))
        for doomed in reversed(subtree):  # leaves first: no parent is removed under a living child
            await conn.execute(delete(departments).where(departments.c.id == doomed))
        await record_audit(conn, action="department_deleted", user_id=admin.id, detail={
            "department": department_id, "name": row.name, "sub_departments": subtree[1:], "members": members})
    return Response(status_code=204)


class Members(BaseModel):
    model_config = ConfigDict(extra="forbid")
    users: list[int] = Field(min_length=1, max_length=1000)


@router.post("/departments/{department_id}/members")
async def add_members(department_id: int, body: Members, platform: PlatformDep, admin: AdminUser) -> dict:
    """Adds users to the department (ones already in it stay as they are)."""
    async with platform.begin() as conn:
        await _department(conn, department_id)
        _refuse(await _missing_users(conn, body.users, "/users"))
        present = set((await conn.execute(select(department_members.c.user_id).where(
            department_members.c.department_id == department_id))).scalars())
        added = [u for u in dict.fromkeys(body.users) if u not in present]
        for user_id in added:
            await conn.execute(insert(department_members).values(department_id=department_id, user_id=user_id))
        if added:
            await record_audit(conn, action="department_members_added", user_id=admin.id,
                               detail={"department": department_id, "users": added})
        return await _department_body(conn, department_id)


@router.delete("/departments/{department_id}/members")
async def remove_members(department_id: int, platform: PlatformDep, admin: AdminUser,
                         body: Members = Body(...)) -> dict:
    async with platform.begin() as conn:
        await _department(conn, department_id)
        removed = (await conn.execute(delete(department_members).where(
            department_members.c.department_id == department_id,
            department_members.c.user_id.in_(body.users)))).rowcount
        if removed:
            await record_audit(conn, action="department_members_removed", user_id=admin.id,
                               detail={"department": department_id, "users": body.users})
        return await _department_body(conn, department_id)


# ---- API keys ------------------------------------------------------------------------------------------------

class NewApiKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    app: str = Field(min_length=1, max_length=40)
    role: str = Field(min_length=1, max_length=40)


def _key_body(row, app_key: str | None) -> dict:
    return {"id": row.id, "name": row.name, "prefix": row.prefix, "app": app_key, "role": row.role,
            "created_by": row.created_by, "created_at": _iso(row.created_at), "last_used_at": _iso(row.last_used_at),
            "revoked_at": _iso(row.revoked_at)}


@router.post("/api-keys", status_code=201)
async def create_api_key(body: NewApiKey, platform: PlatformDep, admin: AdminUser) -> dict:
    """The key itself is in this answer only; the platform keeps its SHA-256."""
    async with platform.begin() as conn:
        app_row = await _app(conn, body.app)
        await _check_role(conn, app_row, body.role)
        key = new_api_key()
        key_id = (await conn.execute(insert(api_keys).values(
            name=body.name.strip(), prefix=key[:11], key_hash=hash_api_key(key), app_id=app_row.id, role=body.role,
            created_by=admin.id, created_at=utcnow()).returning(api_keys.c.id))).scalar_one()
        await record_audit(conn, action="api_key_created", user_id=admin.id, app_id=app_row.id,
                           detail={"api_key": key_id, "name": body.name, "prefix": key[:11], "role": body.role})
        row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).one()
    return {**_key_body(row, app_row.key), "key": key}


@router.get("/api-keys")
async def list_api_keys(platform: PlatformDep, admin: AdminUser) -> list[dict]:
    async with platform.engine.connect() as conn:
        rows = (await conn.execute(select(api_keys, apps.c.key.label("app_key"))
                                   .join(apps, apps.c.id == api_keys.c.app_id).order_by(api_keys.c.id))).all()
    return [_key_body(r, r.app_key) for r in rows]


@router.delete("/api-keys/{key_id}", status_code=204)
async def revoke_api_key(key_id: int, platform: PlatformDep, admin: AdminUser) -> Response:
    """Revoked at once: the next request with the key gets 401. The row stays, for the record."""
    async with platform.begin() as conn:
        row = (await conn.execute(select(api_keys).where(api_keys.c.id == key_id))).first()
        if row is None:
            raise not_found(f"API key {key_id}")
        if row.revoked_at is None:
            await conn.execute(update(api_keys).where(api_keys.c.id == key_id).values(revoked_at=utcnow()))
            await record_audit(conn, action="api_key_revoked", user_id=admin.id, app_id=row.app_id,
                               detail={"api_key": key_id, "name": row.name, "prefix": row.prefix})
    return Response(status_code=204)


# ---- audit log -----------------------------------------------------------------------------------------------

def _moment(value: str | None, path: str) -> datetime | None:
    """An ISO date or date-time; without a zone it is UTC. → naive UTC, as stored."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ProblemsError([Problem(path, "bad_datetime", {"value": value})]) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return moment


@router.get("/audit")
async def audit(platform: PlatformDep, admin: AdminUser, app: str | None = Query(None, max_length=40),
                form: str | None = Query(None, max_length=100), record: int | None = None, user: int | None = None,
                action: str | None = Query(None, max_length=40), since: str | None = Query(None, max_length=40),
                until: str | None = Query(None, max_length=40), page: Page = 1, page_size: PageSize = 50) -> dict:
    """Who did what, newest first. `app` is an app key; `user` the id of who acted; `since`/`until` ISO times."""
    start, end = _moment(since, "/since"), _moment(until, "/until")
    async with platform.engine.connect() as conn:
        app_id = None
        if app is not None:
            app_id = (await conn.execute(select(apps.c.id).where(apps.c.key == app))).scalar()
            if app_id is None:
                raise ProblemsError([Problem("/app", "unknown_app", {"key": app})])
        return await audit_entries(conn, app_id=app_id, form=form, record_id=record, user_id=user, action=action,
                                   since=start, until=end, page=page, page_size=page_size)
