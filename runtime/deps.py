"""What routes need, as typed dependencies: the platform state, the language, the signed-in user."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from engines.form.fields.base import Context
from runtime.auth import User, user_from_api_key, user_from_token
from runtime.errors import ApiError
from runtime.sessions import LoginThrottle
from runtime.settings import Settings
from runtime.tables import SchemaCache


@dataclass
class Platform:
    settings: Settings
    engine: AsyncEngine
    schemas: SchemaCache
    throttle: LoginThrottle = field(default_factory=LoginThrottle)  # failed sign-ins per address, in this process

    @property
    def ctx(self) -> Context:
        return Context(tz=self.settings.tz)

    def begin(self):
        """One transaction: everything inside commits together or not at all."""
        return self.engine.begin()


async def get_platform(request: Request) -> Platform:
    """async only so FastAPI calls it on the event loop, not in a worker thread (a thread hop per request)."""
    return request.app.state.platform


def request_lang(request: Request) -> str:
    header = request.headers.get("accept-language", "")
    if header:
        first = header.split(",")[0].strip().lower()
        if first.startswith("en"):
            return "en"
        if first.startswith("zh"):
            return "zh-CN"
    return request.app.state.platform.settings.lang


async def get_user(request: Request, platform: Annotated[Platform, Depends(get_platform)]) -> User:
    """A person with `Authorization: Bearer <token>`, or an integration with `X-API-Key: <key>`."""
    api_key = request.headers.get("x-api-key")
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if api_key and not auth:
        async with platform.engine.connect() as conn:
            return await user_from_api_key(conn, api_key)
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized")
    async with platform.engine.connect() as conn:
        app = request.path_params.get("app")
        return await user_from_token(conn, token.strip(), platform.settings.secret_key,
                                     app if isinstance(app, str) and len(app) <= 100 else None)


async def get_person(user: Annotated[User, Depends(get_user)]) -> User:
    """A signed-in person: API keys cannot change passwords, list sessions or administer."""
    if user.api_key is not None:
        raise ApiError(403, "api_key_not_allowed")
    return user


async def get_admin(user: Annotated[User, Depends(get_person)]) -> User:
    if not user.is_admin:
        raise ApiError(403, "forbidden")
    return user


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


# Record ids are 64-bit in every database; a larger number is not an id of anything (and must not reach SQL).
MAX_ID = 2**63 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="a record id")]

PlatformDep = Annotated[Platform, Depends(get_platform)]
CurrentUser = Annotated[User, Depends(get_user)]
PersonUser = Annotated[User, Depends(get_person)]
AdminUser = Annotated[User, Depends(get_admin)]
