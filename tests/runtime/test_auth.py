"""Sign-in and tokens: every /api route but health and login needs a valid, unexpired token."""
from __future__ import annotations

import time

import jwt
import pytest


async def test_login_gives_a_token_that_opens_the_api(api):
    anonymous = api.client.headers.pop("Authorization")
    assert (await api.client.get("/api/apps")).status_code == 401
    login = await api.client.post("/api/auth/login", json={"username": "admin", "password": "admin-password"})
    assert login.status_code == 200
    body = login.json()
    assert body["token_type"] == "bearer" and body["expires_in"] > 0
    me = await api.client.get("/api/me", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert me.json() == {"id": api.user_id, "username": "admin", "name": "管理员", "is_admin": True,
                         "departments": [], "roles": []}
    assert anonymous


async def test_wrong_password_and_unknown_user_look_the_same(api):
    api.client.headers.pop("Authorization")
    wrong = await api.client.post("/api/auth/login", json={"username": "admin", "password": "nope"})
    nobody = await api.client.post("/api/auth/login", json={"username": "ghost", "password": "nope"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json()
    assert wrong.json()["error"]["code"] == "bad_credentials"


async def test_expired_tampered_and_foreign_tokens_are_refused(api):
    secret = api.platform.settings.secret_key
    now = int(time.time())
    expired = jwt.encode({"sub": str(api.user_id), "iat": now - 100, "exp": now - 10}, secret, algorithm="HS256")
    foreign = jwt.encode({"sub": str(api.user_id), "exp": now + 100}, "another-secret-key-of-enough-length!", algorithm="HS256")
    good = api.client.headers["Authorization"].split()[1]
    tampered = good[:-4] + ("AAAA" if not good.endswith("AAAA") else "BBBB")
    for token in (expired, foreign, tampered, "garbage"):
        response = await api.client.get("/api/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, token
        assert response.json()["error"]["code"] == "unauthorized"


async def test_health_and_schema_are_public(api):
    api.client.headers.pop("Authorization")
    health = await api.client.get("/api/health")
    assert health.status_code == 200 and health.json()["database"] == "ok"  # the rest: tests/runtime/test_health.py
    schema = await api.client.get("/api/schema/app.json")
    assert schema.status_code == 200 and schema.json()["title"] == "nocode.app/v1"
    for url in ("/api/apps", "/api/field-types", "/api/apps/x/forms/y/records"):
        assert (await api.client.get(url)).status_code == 401, url


async def test_api_docs_work_without_the_internet(api):
    page = await api.client.get("/api/docs")
    assert page.status_code == 200 and "/api/docs/assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    script = await api.client.get("/api/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    spec = (await api.client.get("/api/openapi.json")).json()
    assert "/api/apps/{app}/forms/{form}/records" in spec["paths"]


def test_a_token_seen_before_is_still_refused_once_it_expires(monkeypatch):
    """Signatures are checked once per token and process; expiry on every request."""
    from runtime.auth import User, issue_token, token_claims

    secret = "s" * 40
    token = issue_token(User(7, "alice", "Alice", False), secret, ttl_seconds=60, session_id="abc")
    assert token_claims(token, secret)["sub"] == "7"
    assert token_claims(token, secret)["sub"] == "7"  # from the cache
    with pytest.raises(jwt.InvalidSignatureError):
        token_claims(token, "t" * 40)
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() + 61)
    with pytest.raises(jwt.ExpiredSignatureError):
        token_claims(token, secret)
