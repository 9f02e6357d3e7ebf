"""What routes need, as typed dependencies: the platform state, the language, the signed-in user."""
from __future__ import annotations

import asyncio
import functools
import logging
import random
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Path, Request
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from engines.form.fields.base import Context
from runtime.auth import User, user_from_api_key, user_from_token
from runtime.errors import ApiError
from runtime.sessions import LoginThrottle
from runtime.settings import Settings
from runtime.tables import SchemaCache


log = logging.getLogger("nocode")
# PostgreSQL gave up one of two writes racing for the same rows (deadlock_detected, serialization_failure):
# the loser is rolled back whole, and running it again succeeds — a conflict, not a fault of the server.
RETRYABLE_SQLSTATES = {"40P01", "40001"}
RACE_ATTEMPTS = 4


def lost_race(exc: DBAPIError) -> bool:
    orig = exc.orig
    return (getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)) in RETRYABLE_SQLSTATES


def retry_lost_races(endpoint):
    """For a route whose writes are one transaction: when PostgreSQL rolls it back for losing a race with another
    writer (two writers locking the same records in different orders), the route runs again after a short random
    pause, up to RACE_ATTEMPTS times, before its caller hears 409 write_conflict — people should not have to press
    save twice because someone else saved at the same moment."""

    @functools.wraps(endpoint)
    async def run(*args, **kwargs):
        for attempt in range(1, RACE_ATTEMPTS + 1):
            try:
                return await endpoint(*args, **kwargs)
            except DBAPIError as error:
                if attempt == RACE_ATTEMPTS or not lost_race(error):
                    raise
                log.warning("%s lost a race (attempt %d), running it again: %s", endpoint.__name__, attempt, error.orig)
            await asyncio.sleep(random.uniform(0.005, 0.03) * attempt)  # apart, so the two do not meet again
    return run


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
        return await user_from_token(conn, token.strip(), platform.settings.secret_key,
                                     request.path_params.get("app"))


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
