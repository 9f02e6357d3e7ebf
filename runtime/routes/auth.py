"""Sign-in, the current user, and health."""
from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field
from sqlalchemy import text

from runtime.auth import authenticate, issue_token
from runtime.deps import CurrentUser, PlatformDep
from runtime.migrate import current_revision

router = APIRouter(prefix="/api", tags=["auth"])


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


@router.post("/auth/login")
async def login(body: Login, platform: PlatformDep) -> dict:
    async with platform.engine.connect() as conn:
        user = await authenticate(conn, body.username, body.password)
    ttl = platform.settings.token_ttl_seconds
    return {"access_token": issue_token(user, platform.settings.secret_key, ttl), "token_type": "bearer",
            "expires_in": ttl}


@router.get("/me")
async def me(user: CurrentUser) -> dict:
    return {"id": user.id, "username": user.username, "name": user.name, "is_admin": user.is_admin}


@router.get("/health")
async def health(platform: PlatformDep) -> dict:
    try:
        async with platform.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current, head = await current_revision(platform.engine)
        database = "ok" if current == head else f"migrations pending ({current} → {head})"
    except Exception as e:  # health must answer even when the database does not
        database = f"unreachable: {type(e).__name__}"
    return {"status": "ok" if database == "ok" else "degraded", "database": database}
