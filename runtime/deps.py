"""What routes need, as typed dependencies: the platform state, the language, the signed-in user."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncEngine

from engines.form.fields.base import Context
from runtime.auth import User, user_from_token
from runtime.errors import ApiError
from runtime.settings import Settings
from runtime.tables import SchemaCache


@dataclass
class Platform:
    settings: Settings
    engine: AsyncEngine
    schemas: SchemaCache

    @property
    def ctx(self) -> Context:
        return Context(tz=self.settings.tz)

    def begin(self):
        """One transaction: everything inside commits together or not at all."""
        return self.engine.begin()


def get_platform(request: Request) -> Platform:
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
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(401, "unauthorized")
    async with platform.engine.connect() as conn:
        return await user_from_token(conn, token.strip(), platform.settings.secret_key)


async def get_admin(user: Annotated[User, Depends(get_user)]) -> User:
    if not user.is_admin:
        raise ApiError(403, "forbidden")
    return user


PlatformDep = Annotated[Platform, Depends(get_platform)]
CurrentUser = Annotated[User, Depends(get_user)]
AdminUser = Annotated[User, Depends(get_admin)]
