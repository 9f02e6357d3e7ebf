"""Passwords (argon2), signed bearer tokens with expiry, and the current user."""
from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from runtime.errors import ApiError
from runtime.models import users
from runtime.write import utcnow

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not a password")


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    is_admin: bool


def hash_password(password: str) -> str:
    return _hasher.hash(password)


async def authenticate(conn: AsyncConnection, username: str, password: str) -> User:
    row = (await conn.execute(select(users).where(users.c.username == username))).first()
    try:
        _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        row = None
    if row is None or not row.is_active:
        raise ApiError(401, "bad_credentials")
    return User(row.id, row.username, row.name, row.is_admin)


def issue_token(user: User, secret: str, ttl_seconds: int) -> str:
    now = int(time.time())
    return jwt.encode({"sub": str(user.id), "iat": now, "exp": now + ttl_seconds}, secret, algorithm="HS256")


async def user_from_token(conn: AsyncConnection, token: str, secret: str) -> User:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"]})
        user_id = int(claims["sub"])
    except (jwt.PyJWTError, ValueError):
        raise ApiError(401, "unauthorized") from None
    row = (await conn.execute(select(users).where(users.c.id == user_id))).first()
    if row is None or not row.is_active:
        raise ApiError(401, "unauthorized")
    return User(row.id, row.username, row.name, row.is_admin)


async def create_user(conn: AsyncConnection, username: str, password: str, name: str = "", is_admin: bool = False) -> int:
    return (await conn.execute(insert(users).values(
        username=username, password_hash=hash_password(password), name=name or username, is_admin=is_admin,
        is_active=True, created_at=utcnow()).returning(users.c.id))).scalar_one()
