"""Who is calling: passwords (argon2) and their policy, signed bearer tokens tied to sessions, API keys."""
from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.problems import MESSAGES, Problem, ProblemsError
from runtime.errors import ApiError
from runtime.models import api_keys, apps, sessions, user_roles, users
from runtime.write import utcnow

MESSAGES.update({
    "password_too_short": ("密码至少需要 {min} 个字符", "the password needs at least {min} characters"),
    "password_too_simple": ("密码不能只有数字或只有字母，请混合使用", "the password cannot be only digits or only letters; mix them"),
    "password_is_username": ("密码不能与用户名相同", "the password cannot be the username"),
    "password_too_common": ("这个密码太常见，容易被猜到，请换一个", "this password is too common and easy to guess; choose another"),
    "api_key_not_allowed": ("API 密钥不能用于此操作，请用账号登录", "an API key cannot do this; sign in as a person"),
})

_hasher = PasswordHasher()
# Verifying against this keeps the time of "no such user" equal to "wrong password".
_DUMMY_HASH = _hasher.hash("not a password")

PASSWORD_MIN_LENGTH = 8
# The passwords tried first by anyone guessing (checked case-insensitively); a short list on purpose.
COMMON_PASSWORDS = frozenset({
    "12345678", "123456789", "1234567890", "87654321", "11111111", "00000000", "88888888", "66666666",
    "password", "password1", "password123", "passw0rd", "p@ssw0rd", "p@ssword", "qwerty123", "qwertyuiop",
    "1qaz2wsx", "1q2w3e4r", "1q2w3e4r5t", "qwer1234", "asdf1234", "zxcv1234", "abc12345", "abcd1234",
    "a1234567", "a12345678", "a123456789", "aa123456", "aa12345678", "admin123", "admin1234", "admin888",
    "root1234", "iloveyou", "iloveyou1", "woaini1314", "woaini520", "5201314a", "a5201314", "letmein1",
    "welcome1", "welcome123", "changeme", "changeme1", "test1234", "test12345", "123456abc", "123456aa",
    "12345678a", "123123123", "123qweasd", "qweasdzxc", "1234qwer", "qwe123456", "abc123456",
})
# Sessions are looked up on every request; writing "last seen" and "last used" once a minute is plenty.
TOUCH_EVERY = timedelta(minutes=1)
API_KEY_PREFIX = "nk_"


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str
    is_admin: bool
    # (app id, role key) when the request came with an X-API-Key: the key's one app and one role, nothing else.
    api_key: tuple[int, str] | None = None
    session_id: str | None = None  # the sign-in session (the token's jti) of a bearer token
    # (app key, app id, current version) of the app the request is about, read with the session (a saved round
    # trip for SchemaCache.get); app id None: no such app
    app_head: tuple[str, int | None, int | None] | None = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Constant-ish time: without a hash (no such user) the dummy is verified, so both cost the same."""
    try:
        _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def password_problems(password: str, username: str = "", path: str = "/password") -> list[Problem]:
    """What is wrong with a new password, each at `path` (empty when it is acceptable)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(Problem(path, "password_too_short", {"min": PASSWORD_MIN_LENGTH}))
    if password.isdigit() or password.isalpha():
        problems.append(Problem(path, "password_too_simple"))
    if username and password.lower() == username.lower():
        problems.append(Problem(path, "password_is_username"))
    if password.lower() in COMMON_PASSWORDS:
        problems.append(Problem(path, "password_too_common"))
    return problems


def check_password(password: str, username: str = "", path: str = "/password") -> None:
    problems = password_problems(password, username, path)
    if problems:
        raise ProblemsError(problems)


def issue_token(user: User, secret: str, ttl_seconds: int, session_id: str | None = None) -> str:
    now = int(time.time())
    claims = {"sub": str(user.id), "iat": now, "exp": now + ttl_seconds}
    if session_id:
        claims["jti"] = session_id
    return jwt.encode(claims, secret, algorithm="HS256")


def _as_epoch(moment: datetime) -> int:
    """Stored times are naive UTC; tokens count whole seconds."""
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


_VERIFIED: dict[tuple[str, str], dict] = {}  # (token, secret) → its claims, signature checked once per process
_VERIFIED_SIZE = 10_000


def token_claims(token: str, secret: str) -> dict:
    """The claims of a bearer token with a good signature that has not expired (jwt.PyJWTError otherwise). A
    token comes with every request of a session: its signature is checked the first time, its expiry every time."""
    key = (token, secret)
    claims = _VERIFIED.get(key)
    if claims is None:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub", "iat", "jti"]})
        if len(_VERIFIED) >= _VERIFIED_SIZE:
            _VERIFIED.pop(next(iter(_VERIFIED)))
        _VERIFIED[key] = claims
    elif claims["exp"] <= time.time():
        del _VERIFIED[key]
        raise jwt.ExpiredSignatureError("Signature has expired")
    return claims


async def user_from_token(conn: AsyncConnection, token: str, secret: str, app_key: str | None = None) -> User:
    """The user of a bearer token whose session is still open. Refused: bad signature, expired, no session
    (or one signed out / revoked), issued before the last password change, or a deactivated user."""
    try:
        claims = token_claims(token, secret)
        user_id, session_id, issued_at = int(claims["sub"]), str(claims["jti"]), int(claims["iat"])
    except (jwt.PyJWTError, ValueError, TypeError):
        raise ApiError(401, "unauthorized") from None
    if not 0 < user_id < 2**63 or len(session_id) > 64:
        raise ApiError(401, "unauthorized")
    query = (select(users.c.id, users.c.username, users.c.name, users.c.is_admin, users.c.is_active,
                    users.c.password_changed_at, sessions.c.revoked_at, sessions.c.last_seen_at)
             .join(sessions, sessions.c.user_id == users.c.id)
             .where(sessions.c.id == session_id, users.c.id == user_id))
    if app_key is not None:  # app keys are unique: one row still, with the app's head or NULLs
        query = query.add_columns(apps.c.id.label("app_id"), apps.c.current_version).outerjoin(
            apps, apps.c.key == app_key)
    row = (await conn.execute(query)).first()
    if row is None or not row.is_active or row.revoked_at is not None:
        raise ApiError(401, "unauthorized")
    if row.password_changed_at is not None and issued_at < _as_epoch(row.password_changed_at):
        raise ApiError(401, "unauthorized")
    now = utcnow()
    if now - row.last_seen_at >= TOUCH_EVERY:
        await conn.execute(update(sessions).where(sessions.c.id == session_id).values(last_seen_at=now))
        await conn.commit()
    head = (app_key, row.app_id, row.current_version) if app_key is not None else None
    return User(row.id, row.username, row.name, row.is_admin, session_id=session_id, app_head=head)


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def user_from_api_key(conn: AsyncConnection, key: str) -> User:
    """The principal of an X-API-Key: never an admin, limited to the key's app and role. It acts in the name
    of the admin who created the key (records it creates are theirs), with only the key's role."""
    row = (await conn.execute(select(api_keys).where(api_keys.c.key_hash == hash_api_key(key.strip())))).first()
    if row is None or row.revoked_at is not None:
        raise ApiError(401, "unauthorized")
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at >= TOUCH_EVERY:
        await conn.execute(update(api_keys).where(api_keys.c.id == row.id).values(last_used_at=now))
        await conn.commit()
    return User(row.created_by or 0, f"api-key:{row.prefix}", row.name, False, api_key=(row.app_id, row.role))


async def roles_by_app(conn: AsyncConnection, user_id: int) -> list[dict]:
    """[{"app": key, "roles": [role keys]}] for every app where the user holds a role."""
    result = await conn.execute(select(apps.c.key, user_roles.c.role).join(apps, apps.c.id == user_roles.c.app_id)
                                .where(user_roles.c.user_id == user_id).order_by(apps.c.key, user_roles.c.role))
    grouped: dict[str, list[str]] = {}
    for app_key, role in result.all():
        grouped.setdefault(app_key, []).append(role)
    return [{"app": key, "roles": roles} for key, roles in grouped.items()]


async def create_user(conn: AsyncConnection, username: str, password: str, name: str = "", is_admin: bool = False,
                      manager_id: int | None = None) -> int:
    """A user row; the caller checks the password policy (tests and bootstrap create users directly)."""
    return (await conn.execute(insert(users).values(
        username=username, password_hash=hash_password(password), name=name or username, is_admin=is_admin,
        is_active=True, created_at=utcnow(), manager_id=manager_id).returning(users.c.id))).scalar_one()
