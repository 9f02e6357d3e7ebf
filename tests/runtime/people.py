"""Helpers for tests with several people: add a user, sign them in, call the API as them or with an API key."""
from __future__ import annotations

from sqlalchemy import select

from runtime.auth import create_user

PASSWORD = "Passw0rd-x"

# A small app with roles, so roles can be granted and API keys scoped.
CRM_APP = {
    "format": "nocode.app/v1", "key": "crm", "name": "客户管理",
    "forms": [{"key": "customer", "name": "客户", "title_field": "name", "fields": [
        {"key": "name", "type": "text", "required": True}]}],
    "roles": [
        {"key": "sales", "name": "销售", "permissions": [{"form": "customer", "ops": ["read", "create"]}]},
        {"key": "viewer", "name": "只读", "permissions": [{"form": "customer", "ops": ["read"]}]},
    ],
}


async def add_user(api, username: str, password: str = PASSWORD, is_admin: bool = False) -> int:
    async with api.platform.engine.begin() as conn:
        return await create_user(conn, username, password, name=username.title(), is_admin=is_admin)


async def login(api, username: str, password: str = PASSWORD, **headers):
    return await api.client.post("/api/auth/login", json={"username": username, "password": password},
                                 headers={"Authorization": "", **headers})


async def token_of(api, username: str, password: str = PASSWORD) -> str:
    response = await login(api, username, password)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def with_key(key: str) -> dict:
    """Headers for a call made with an API key only (the shared client otherwise sends the admin's token)."""
    return {"Authorization": "", "X-API-Key": key}


async def row(api, table, **where):
    async with api.platform.engine.connect() as conn:
        query = select(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return (await conn.execute(query)).first()
