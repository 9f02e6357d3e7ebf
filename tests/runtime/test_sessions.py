"""Staying signed in safely: sessions behind every token, sign-out, password changes that end sessions,
throttled sign-in, and API keys. Both databases."""
from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from sqlalchemy import update

from runtime import sessions as sessions_module
from runtime.auth import password_problems
from runtime.models import api_keys, sessions, users
from tests.runtime.people import CRM_APP, PASSWORD, add_user, bearer, login, row, token_of, with_key
from tests.runtime.apps import records_url


def utcnow() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


async def set_row(api, table, key, **values):
    async with api.platform.engine.begin() as conn:
        await conn.execute(update(table).where(table.c.id == key).values(**values))


# ---- sessions ----------------------------------------------------------------------------------------------

async def test_each_sign_in_is_a_session_listed_with_its_address_and_browser(api):
    await add_user(api, "amy")
    response = await login(api, "amy", **{"User-Agent": "TestBrowser/1.0"})
    token = response.json()["access_token"]
    other = await token_of(api, "amy")
    listed = (await api.client.get("/api/me/sessions", headers=bearer(token))).json()
    assert len(listed) == 2
    mine = next(s for s in listed if s["current"])
    assert mine["ip"] == "127.0.0.1" and mine["user_agent"] == "TestBrowser/1.0"
    assert mine["id"] == jwt.decode(token, options={"verify_signature": False})["jti"]
    assert [s["current"] for s in (await api.client.get("/api/me/sessions", headers=bearer(other))).json()].count(True) == 1


async def test_logout_ends_this_session_only(api):
    await add_user(api, "amy")
    first, second = await token_of(api, "amy"), await token_of(api, "amy")
    assert (await api.client.post("/api/auth/logout", headers=bearer(first))).status_code == 204
    assert (await api.client.get("/api/me", headers=bearer(first))).status_code == 401
    assert (await api.client.get("/api/me", headers=bearer(second))).status_code == 200


async def test_signing_out_elsewhere_ends_that_device_and_nobody_elses(api):
    await add_user(api, "amy")
    await add_user(api, "bob")
    here, there = await token_of(api, "amy"), await token_of(api, "amy")
    bobs = await token_of(api, "bob")
    there_id = jwt.decode(there, options={"verify_signature": False})["jti"]
    bobs_id = jwt.decode(bobs, options={"verify_signature": False})["jti"]
    assert (await api.client.delete(f"/api/me/sessions/{bobs_id}", headers=bearer(here))).status_code == 404
    assert (await api.client.delete("/api/me/sessions/no-such-session", headers=bearer(here))).status_code == 404
    assert (await api.client.delete(f"/api/me/sessions/{there_id}", headers=bearer(here))).status_code == 204
    assert (await api.client.get("/api/me", headers=bearer(there))).status_code == 401
    assert (await api.client.get("/api/me", headers=bearer(here))).status_code == 200
    assert (await api.client.get("/api/me", headers=bearer(bobs))).status_code == 200
    assert [s["id"] for s in (await api.client.get("/api/me/sessions", headers=bearer(here))).json()] != [there_id]


async def test_last_seen_is_written_at_most_once_a_minute(api):
    await add_user(api, "amy")
    token = await token_of(api, "amy")
    session_id = jwt.decode(token, options={"verify_signature": False})["jti"]
    long_ago = utcnow() - timedelta(minutes=5)
    await set_row(api, sessions, session_id, last_seen_at=long_ago)
    await api.client.get("/api/me", headers=bearer(token))
    seen = (await row(api, sessions, id=session_id)).last_seen_at
    assert seen > long_ago + timedelta(minutes=4)
    await api.client.get("/api/me", headers=bearer(token))
    assert (await row(api, sessions, id=session_id)).last_seen_at == seen


async def test_tokens_without_a_live_session_are_refused(api):
    secret = api.platform.settings.secret_key
    now = int(time.time())
    no_session = jwt.encode({"sub": str(api.user_id), "iat": now, "exp": now + 100}, secret, algorithm="HS256")
    made_up = jwt.encode({"sub": str(api.user_id), "iat": now, "exp": now + 100, "jti": "invented"}, secret,
                         algorithm="HS256")
    mine = api.client.headers["Authorization"].split()[1]
    claims = jwt.decode(mine, secret, algorithms=["HS256"])
    someone_elses = jwt.encode({**claims, "sub": str(await add_user(api, "amy"))}, secret, algorithm="HS256")
    for token in (no_session, made_up, someone_elses):
        assert (await api.client.get("/api/me", headers=bearer(token))).status_code == 401


# ---- passwords ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("password, codes", [
    ("Ab1-x", ["password_too_short"]),
    ("1234567890123", ["password_too_simple"]),
    ("onlyletters", ["password_too_simple"]),
    ("Amy.Lee2024", ["password_is_username"]),
    ("Password1", ["password_too_common"]),
    ("88888888", ["password_too_simple", "password_too_common"]),
    ("a123456789", ["password_too_common"]),
    ("Tea-time at 5", []),
    ("红茶两杯不加糖2", []),
])
def test_the_password_policy(password, codes):
    problems = password_problems(password, "amy.lee2024")
    assert [p.code for p in problems] == codes
    assert all(p.path == "/password" for p in problems)


async def test_changing_the_password_ends_every_session_and_old_tokens(api):
    await add_user(api, "amy")
    laptop, phone = await token_of(api, "amy"), await token_of(api, "amy")
    wrong = await api.client.post("/api/me/password", json={"old": "nope", "new": "New-pass-42"}, headers=bearer(laptop))
    assert wrong.status_code == 422
    assert [(d["path"], d["code"]) for d in wrong.json()["error"]["details"]] == [("/old", "wrong_old_password")]
    weak = await api.client.post("/api/me/password", json={"old": PASSWORD, "new": "12345678"}, headers=bearer(laptop))
    assert weak.status_code == 422
    assert {(d["path"], d["code"]) for d in weak.json()["error"]["details"]} == {
        ("/new", "password_too_simple"), ("/new", "password_too_common")}
    assert (await api.client.get("/api/me", headers=bearer(phone))).status_code == 200  # nothing changed yet

    changed = await api.client.post("/api/me/password", json={"old": PASSWORD, "new": "New-pass-42"},
                                    headers=bearer(laptop))
    assert changed.status_code == 200, changed.text
    fresh = changed.json()["access_token"]
    for old in (laptop, phone):
        assert (await api.client.get("/api/me", headers=bearer(old))).status_code == 401
    assert (await api.client.get("/api/me", headers=bearer(fresh))).status_code == 200
    assert (await login(api, "amy")).status_code == 401
    assert (await login(api, "amy", "New-pass-42")).status_code == 200
    assert (await row(api, users, username="amy")).password_changed_at is not None


async def test_a_token_issued_before_the_last_password_change_is_refused(api):
    """Even should its session survive (say, a change made on another server), the token's age decides."""
    user_id = await add_user(api, "amy")
    token = await token_of(api, "amy")
    await set_row(api, users, user_id, password_changed_at=utcnow() + timedelta(seconds=5))
    assert (await api.client.get("/api/me", headers=bearer(token))).status_code == 401


# ---- throttled sign-in -------------------------------------------------------------------------------------

async def test_five_failures_lock_the_username_for_fifteen_minutes_even_with_the_right_password(api):
    user_id = await add_user(api, "amy")
    await add_user(api, "bob")
    for _ in range(4):
        assert (await login(api, "amy", "wrong")).status_code == 401
    assert (await login(api, "amy")).status_code == 200  # success resets the count
    for _ in range(5):
        assert (await login(api, "amy", "wrong")).status_code == 401
    locked = await login(api, "amy")
    assert locked.status_code == 429
    error = locked.json()["error"]
    assert error["code"] == "too_many_attempts" and 14 * 60 < error["retry_after"] <= 15 * 60
    assert locked.headers["Retry-After"] == str(error["retry_after"])
    assert (await login(api, "bob")).status_code == 200  # others are not affected

    await set_row(api, users, user_id, locked_until=utcnow() - timedelta(seconds=1))  # fifteen minutes later
    assert (await login(api, "amy")).status_code == 200
    assert (await row(api, users, id=user_id)).failed_logins == 0


async def test_unknown_usernames_lock_like_real_ones(api):
    """Otherwise locking would tell which usernames exist."""
    for _ in range(5):
        assert (await login(api, "ghost", "wrong")).status_code == 401
    assert (await login(api, "ghost", "wrong")).status_code == 429


async def test_one_address_failing_for_many_usernames_is_throttled(api, monkeypatch):
    monkeypatch.setattr(sessions_module, "MAX_FAILURES_PER_IP", 3)
    for name in ("a", "b", "c"):
        assert (await login(api, name, "wrong")).status_code == 401
    assert (await login(api, "admin", "admin-password")).status_code == 429


async def test_a_deactivated_user_cannot_sign_in_and_their_token_stops(api):
    user_id = await add_user(api, "amy")
    token = await token_of(api, "amy")
    await set_row(api, users, user_id, is_active=False)
    assert (await api.client.get("/api/me", headers=bearer(token))).status_code == 401
    refused = await login(api, "amy")
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "bad_credentials"


# ---- API keys ----------------------------------------------------------------------------------------------

async def test_an_api_key_works_for_its_app_and_role_until_revoked(api):
    await api.import_app(CRM_APP)
    other = {**CRM_APP, "key": "hr", "name": "人事"}
    await api.import_app(other)
    made = await api.client.post("/api/admin/api-keys", json={"name": "小程序", "app": "crm", "role": "sales"})
    assert made.status_code == 201, made.text
    key = made.json()["key"]
    assert key.startswith("nk_") and len(key) > 40 and made.json()["prefix"] == key[:11]

    me = (await api.client.get("/api/me", headers=with_key(key))).json()
    assert me["is_admin"] is False and me["api_key"] is True and me["roles"] == [{"app": "crm", "roles": ["sales"]}]
    created = await api.client.post(records_url("customer", "crm"), json={"name": "张三"}, headers=with_key(key))
    assert created.status_code == 201, created.text
    listed = await api.client.get(records_url("customer", "crm"), headers=with_key(key))
    assert listed.status_code == 200 and listed.json()["total"] == 1
    assert (await api.client.get(records_url("customer", "hr"), headers=with_key(key))).status_code == 403

    for url in ("/api/admin/users", "/api/admin/api-keys", "/api/me/sessions"):
        refused = await api.client.get(url, headers=with_key(key))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "api_key_not_allowed", url
    keys = (await api.client.get("/api/admin/api-keys")).json()
    assert keys[0]["last_used_at"] is not None and keys[0]["app"] == "crm" and keys[0]["role"] == "sales"
    assert key not in str(keys) and "hash" not in str(keys)

    assert (await api.client.delete(f"/api/admin/api-keys/{made.json()['id']}")).status_code == 204
    revoked = await api.client.get(records_url("customer", "crm"), headers=with_key(key))
    assert revoked.status_code == 401
    assert (await api.client.get("/api/admin/api-keys")).json()[0]["revoked_at"] is not None


async def test_forged_keys_are_refused(api):
    await api.import_app(CRM_APP)
    key = (await api.client.post("/api/admin/api-keys", json={"name": "k", "app": "crm", "role": "viewer"})).json()["key"]
    for forged in (key[:-2] + ("AA" if not key.endswith("AA") else "BB"), "nk_" + "x" * 43, "", "garbage"):
        assert (await api.client.get("/api/me", headers=with_key(forged))).status_code == 401, forged


async def test_last_used_is_written_at_most_once_a_minute(api):
    await api.import_app(CRM_APP)
    made = (await api.client.post("/api/admin/api-keys", json={"name": "k", "app": "crm", "role": "viewer"})).json()
    await api.client.get("/api/me", headers=with_key(made["key"]))
    first = (await row(api, api_keys, id=made["id"])).last_used_at
    await api.client.get("/api/me", headers=with_key(made["key"]))
    assert (await row(api, api_keys, id=made["id"])).last_used_at == first
    await set_row(api, api_keys, made["id"], last_used_at=first - timedelta(minutes=2))
    await api.client.get("/api/me", headers=with_key(made["key"]))
    assert (await row(api, api_keys, id=made["id"])).last_used_at > first - timedelta(seconds=1)
