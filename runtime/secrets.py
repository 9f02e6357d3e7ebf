"""The platform's secret store: values connectors authenticate with (API keys, client secrets, signing keys), kept
out of app JSON and sealed at rest with a key derived from NOCODE_SECRET_KEY. The API writes and lists names only.

Sealing uses the standard library alone (private deployments install no native crypto wheel): HMAC-SHA256 as a
keystream in counter mode with a random nonce, then HMAC-SHA256 over nonce and ciphertext (encrypt-then-MAC), with
separate keys for the two. A value sealed under another platform key, or altered, does not open.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from datetime import datetime, timezone

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from engines.problems import MESSAGES
from runtime.errors import ApiError
from runtime.models import platform_secrets

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{0,99}$")
_VERSION = b"s1"

MESSAGES.update({
    "secret_missing": ("密钥「{name}」未设置（平台管理员：PUT /api/admin/secrets/{name}）",
                       "secret {name!r} is not set (platform admins: PUT /api/admin/secrets/{name})"),
    "secret_unreadable": ("密钥「{name}」无法解密（平台密钥已更换？请重新设置）",
                          "secret {name!r} cannot be opened (was the platform key changed? set it again)"),
    "bad_secret_name": ("密钥名只能用小写字母、数字和 _ . -，以字母开头", "a secret name is lower-case letters, digits and _ . -, "
                        "starting with a letter"),
})


def _keys(platform_key: str, purpose: str) -> tuple[bytes, bytes]:
    root = hashlib.sha256(b"nocode-secrets\x00" + platform_key.encode()).digest()
    derive = lambda label: hmac.new(root, f"{purpose}:{label}".encode(), hashlib.sha256).digest()  # noqa: E731
    return derive("encrypt"), derive("authenticate")


def _stream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (hmac.new(key, nonce + n.to_bytes(8, "big"), hashlib.sha256).digest() for n in range(length // 32 + 1))
    return b"".join(blocks)[:length]


def seal(platform_key: str, plaintext: str, purpose: str = "secret") -> str:
    encrypt, authenticate = _keys(platform_key, purpose)
    data, nonce = plaintext.encode(), os.urandom(16)
    cipher = bytes(a ^ b for a, b in zip(data, _stream(encrypt, nonce, len(data))))
    tag = hmac.new(authenticate, _VERSION + nonce + cipher, hashlib.sha256).digest()
    return (_VERSION + b":" + base64.urlsafe_b64encode(nonce + cipher + tag)).decode()


def unseal(platform_key: str, sealed: str, purpose: str = "secret") -> str | None:
    """The plaintext, or None when the value was sealed under another key or altered."""
    version, _, body = sealed.encode().partition(b":")
    try:
        raw = base64.urlsafe_b64decode(body)
    except ValueError:
        return None
    if version != _VERSION or len(raw) < 48:
        return None
    nonce, cipher, tag = raw[:16], raw[16:-32], raw[-32:]
    encrypt, authenticate = _keys(platform_key, purpose)
    if not hmac.compare_digest(tag, hmac.new(authenticate, _VERSION + nonce + cipher, hashlib.sha256).digest()):
        return None
    return bytes(a ^ b for a, b in zip(cipher, _stream(encrypt, nonce, len(cipher)))).decode()


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        from engines.problems import Problem

        raise ApiError(422, "validation_failed", [Problem("/name", "bad_secret_name")], count=1)


async def put_secret(conn: AsyncConnection, platform_key: str, name: str, value: str, user_id: int | None) -> None:
    check_name(name)
    now = _now()
    make = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    statement = make(platform_secrets).values(name=name, value=seal(platform_key, value), updated_by=user_id,
                                              created_at=now, updated_at=now)
    await conn.execute(statement.on_conflict_do_update(
        index_elements=["name"], set_={"value": statement.excluded.value, "updated_by": user_id, "updated_at": now}))


async def secret_names(conn: AsyncConnection) -> list[dict]:
    rows = (await conn.execute(select(platform_secrets.c.name, platform_secrets.c.created_at,
                                      platform_secrets.c.updated_at).order_by(platform_secrets.c.name))).all()
    return [{"name": r.name, "created_at": r.created_at.isoformat() + "Z", "updated_at": r.updated_at.isoformat() + "Z"}
            for r in rows]


async def delete_secret(conn: AsyncConnection, name: str) -> bool:
    return (await conn.execute(delete(platform_secrets).where(platform_secrets.c.name == name))).rowcount > 0


async def read_secret(conn: AsyncConnection, platform_key: str, name: str) -> str:
    """The plaintext for the runtime's own use (signing, authenticating); ApiError 422 when missing or unreadable."""
    sealed = (await conn.execute(select(platform_secrets.c.value).where(platform_secrets.c.name == name))).scalar()
    if sealed is None:
        raise ApiError(422, "secret_missing", name=name)
    value = unseal(platform_key, sealed)
    if value is None:
        raise ApiError(422, "secret_unreadable", name=name)
    return value
