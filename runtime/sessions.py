"""Signing in and staying signed in: login throttling, sessions (one per token), password changes."""
from __future__ import annotations

import secrets
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from engines.problems import MESSAGES, Problem
from runtime.auth import User, check_password, hash_password, verify_password
from runtime.errors import ApiError
from runtime.models import sessions, users
from runtime.write import utcnow

MESSAGES.update({
    "too_many_attempts": ("登录失败次数过多，请 {retry_after} 秒后再试", "too many failed sign-ins; try again in {retry_after} seconds"),
    "wrong_old_password": ("原密码不正确", "the current password is wrong"),
})

MAX_FAILURES = 5  # per username, then sign-in is refused for LOCK_FOR even with the right password
LOCK_FOR = timedelta(minutes=15)
MAX_FAILURES_PER_IP = 30  # per address within IP_WINDOW, across usernames (password spraying)
IP_WINDOW_SECONDS = 15 * 60


class Throttled(ApiError):
    def __init__(self, retry_after: int):
        self.retry_after = max(1, retry_after)
        super().__init__(429, "too_many_attempts", retry_after=self.retry_after)


@dataclass
class LoginThrottle:
    """In-process failure counts: per IP address, and per username that does not exist (so unknown names lock
    like real ones and locking tells nobody which usernames exist). Known usernames are counted in the database,
    which all processes share."""
    by_ip: dict[str, deque] = field(default_factory=dict)
    unknown_names: dict[str, deque] = field(default_factory=dict)

    @staticmethod
    def _retry_after(failures: deque | None, limit: int, window: float, now: float) -> int:
        if failures is None:
            return 0
        while failures and failures[0] <= now - window:
            failures.popleft()
        return int(failures[0] + window - now) + 1 if len(failures) >= limit else 0

    def check(self, ip: str, username: str, now: float) -> None:
        wait = max(self._retry_after(self.by_ip.get(ip), MAX_FAILURES_PER_IP, IP_WINDOW_SECONDS, now),
                   self._retry_after(self.unknown_names.get(username), MAX_FAILURES, LOCK_FOR.total_seconds(), now))
        if wait:
            raise Throttled(wait)

    def failed(self, ip: str, username: str | None, now: float) -> None:
        self.by_ip.setdefault(ip, deque()).append(now)
        if username is not None:
            self.unknown_names.setdefault(username, deque()).append(now)
        if len(self.by_ip) > 10_000:  # a flood of addresses must not grow memory without end
            self.by_ip.pop(next(iter(self.by_ip)))
        if len(self.unknown_names) > 10_000:
            self.unknown_names.pop(next(iter(self.unknown_names)))


async def sign_in(engine: AsyncEngine, throttle: LoginThrottle, username: str, password: str, ip: str) -> User:
    """The user for a right password, else 401 (the same for an unknown user); 429 while throttled.
    Failures are committed before refusing, so they count even though the request fails."""
    now = utcnow()
    clock = time.time()
    throttle.check(ip, username.lower(), clock)
    async with engine.begin() as conn:
        row = (await conn.execute(select(users).where(users.c.username == username))).first()
        right = verify_password(row.password_hash if row else None, password)
        if row is not None and row.locked_until is not None and row.locked_until > now:
            raise Throttled(int((row.locked_until - now).total_seconds()) + 1)
        if right and row.is_active:
            if row.failed_logins or row.locked_until:
                await conn.execute(update(users).where(users.c.id == row.id).values(failed_logins=0, locked_until=None))
            return User(row.id, row.username, row.name, row.is_admin)
        throttle.failed(ip, None if row else username.lower(), clock)
        if row is not None:
            await _count_failure(conn, row.id, now)
    raise ApiError(401, "bad_credentials")


async def _count_failure(conn: AsyncConnection, user_id: int, now: datetime) -> None:
    failures = (await conn.execute(update(users).where(users.c.id == user_id)
                                   .values(failed_logins=users.c.failed_logins + 1)
                                   .returning(users.c.failed_logins))).scalar_one()
    if failures >= MAX_FAILURES:
        await conn.execute(update(users).where(users.c.id == user_id).values(failed_logins=0, locked_until=now + LOCK_FOR))


async def open_session(conn: AsyncConnection, user_id: int, ttl_seconds: int, ip: str | None,
                       user_agent: str | None) -> str:
    """A new session row; its id goes into the token as the jti."""
    session_id = secrets.token_urlsafe(24)
    now = utcnow()
    await conn.execute(sessions.insert().values(
        id=session_id, user_id=user_id, created_at=now, last_seen_at=now, expires_at=now + timedelta(seconds=ttl_seconds),
        ip=(ip or "")[:64] or None, user_agent=(user_agent or "")[:300] or None))
    return session_id


async def revoke_sessions(conn: AsyncConnection, user_id: int, session_id: str | None = None) -> int:
    """Ends one session of a user, or all of them; → how many were open."""
    query = update(sessions).where(sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None))
    if session_id is not None:
        query = query.where(sessions.c.id == session_id)
    return (await conn.execute(query.values(revoked_at=utcnow()))).rowcount


async def open_sessions(conn: AsyncConnection, user_id: int, current: str | None = None) -> list[dict]:
    """The sessions still usable (not revoked, not expired), most recently seen first."""
    result = await conn.execute(select(sessions).where(
        sessions.c.user_id == user_id, sessions.c.revoked_at.is_(None), sessions.c.expires_at > utcnow())
        .order_by(sessions.c.last_seen_at.desc()))
    return [{"id": s.id, "created_at": _iso(s.created_at), "last_seen_at": _iso(s.last_seen_at),
             "expires_at": _iso(s.expires_at), "ip": s.ip, "user_agent": s.user_agent, "current": s.id == current}
            for s in result.all()]


async def set_password(conn: AsyncConnection, user_id: int, username: str, password: str,
                       path: str = "/password") -> None:
    """A new password under the policy: every session of the user ends, older tokens stop working."""
    check_password(password, username, path)
    await conn.execute(update(users).where(users.c.id == user_id).values(
        password_hash=hash_password(password), password_changed_at=utcnow(), failed_logins=0, locked_until=None))
    await revoke_sessions(conn, user_id)


async def change_own_password(engine: AsyncEngine, throttle: LoginThrottle, user: User, old: str, new: str,
                              ip: str) -> None:
    """The signed-in user's own change: the old password must be right (and guessing it is throttled like sign-in)."""
    try:
        await sign_in(engine, throttle, user.username, old, ip)
    except ApiError as e:
        if e.status == 401:
            raise ApiError(422, "validation_failed", [Problem("/old", "wrong_old_password")], count=1) from None
        raise
    async with engine.begin() as conn:
        await set_password(conn, user.id, user.username, new, "/new")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() + "Z" if moment else None
