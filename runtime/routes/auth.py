"""Sign-in and sign-out, the current user with their sessions and password."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from runtime.auth import issue_token, roles_by_app
from runtime.deps import CurrentUser, PersonUser, PlatformDep, client_ip, request_lang
from runtime.errors import not_found
from runtime.models import apps, department_members, departments
from runtime.sessions import Throttled, change_own_password, open_session, open_sessions, revoke_sessions, sign_in

router = APIRouter(prefix="/api", tags=["auth"])


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


def _throttled(request: Request, error: Throttled) -> JSONResponse:
    body = error.body(request_lang(request))
    body["error"]["retry_after"] = error.retry_after
    return JSONResponse(body, status_code=429, headers={"Retry-After": str(error.retry_after)})


async def _token_for(platform, user, request: Request) -> dict:
    ttl = platform.settings.token_ttl_seconds
    async with platform.begin() as conn:
        session_id = await open_session(conn, user.id, ttl, client_ip(request), request.headers.get("user-agent"))
    return {"access_token": issue_token(user, platform.settings.secret_key, ttl, session_id), "token_type": "bearer",
            "expires_in": ttl}


@router.post("/auth/login", responses={429: {"description": "too many failed sign-ins; `retry_after` seconds"}})
async def login(body: Login, request: Request, platform: PlatformDep):
    try:
        user = await sign_in(platform.engine, platform.throttle, body.username, body.password, client_ip(request))
    except Throttled as e:
        return _throttled(request, e)
    return await _token_for(platform, user, request)


@router.post("/auth/logout", status_code=204)
async def logout(user: PersonUser, platform: PlatformDep) -> Response:
    """Ends this token's session; other devices stay signed in."""
    async with platform.begin() as conn:
        await revoke_sessions(conn, user.id, user.session_id)
    return Response(status_code=204)


@router.get("/me")
async def me(user: CurrentUser, platform: PlatformDep) -> dict:
    """The caller, with departments and roles per app (an API key: its one app and role)."""
    body = {"id": user.id, "username": user.username, "name": user.name, "is_admin": user.is_admin}
    async with platform.engine.connect() as conn:
        if user.api_key is not None:
            app_key = (await conn.execute(select(apps.c.key).where(apps.c.id == user.api_key[0]))).scalar()
            return {**body, "api_key": True, "departments": [], "roles": [{"app": app_key, "roles": [user.api_key[1]]}]}
        result = await conn.execute(select(departments.c.id, departments.c.name)
                                    .join(department_members, department_members.c.department_id == departments.c.id)
                                    .where(department_members.c.user_id == user.id).order_by(departments.c.id))
        body["departments"] = [{"id": d.id, "name": d.name} for d in result.all()]
        body["roles"] = await roles_by_app(conn, user.id)
    return body


@router.get("/me/sessions")
async def my_sessions(user: PersonUser, platform: PlatformDep) -> list[dict]:
    async with platform.engine.connect() as conn:
        return await open_sessions(conn, user.id, user.session_id)


@router.delete("/me/sessions/{session_id}", status_code=204)
async def end_my_session(session_id: str, user: PersonUser, platform: PlatformDep) -> Response:
    """Sign out elsewhere (or here, with this session's id)."""
    async with platform.begin() as conn:
        if not await revoke_sessions(conn, user.id, session_id):
            raise not_found("session")
    return Response(status_code=204)


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    old: str = Field(min_length=1, max_length=256)
    new: str = Field(min_length=1, max_length=256)


@router.post("/me/password")
async def change_password(body: PasswordChange, request: Request, user: PersonUser, platform: PlatformDep):
    """Every session ends (stolen tokens too); the answer carries a fresh token for this device."""
    try:
        await change_own_password(platform.engine, platform.throttle, user, body.old, body.new, client_ip(request))
    except Throttled as e:
        return _throttled(request, e)
    return await _token_for(platform, user, request)
