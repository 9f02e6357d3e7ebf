"""Shared fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL, and API clients.

PostgreSQL tests use postgresql+asyncpg://postgres@127.0.0.1:5432 (NOCODE_TEST_PG_URL overrides). Each test
gets its own database cloned from a migrated template, dropped afterwards. Without a server the PostgreSQL
cases are skipped locally; with CI=true they fail, so CI never passes on half the suite.
"""
from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from runtime.auth import create_user, hash_password  # noqa: F401  (warms argon2 import)
from runtime.db import create_engine
from runtime.migrate import upgrade
from runtime.settings import Settings

PG_URL = os.environ.get("NOCODE_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432")
_RUN = uuid.uuid4().hex[:8]
_counter = itertools.count()


def run(coroutine_function, *args):
    """Run a coroutine to the end on its own loop in a worker thread, so it works whether or not
    this thread already runs a loop (browser tests' sync Playwright does)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(coroutine_function(*args))).result()


def _pg_dsn(database: str) -> str:
    return PG_URL.replace("postgresql+asyncpg://", "postgresql://") + "/" + database


async def _pg_admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_dsn("postgres"), timeout=5)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _pg_available() -> str | None:
    try:
        run(_pg_admin, "SELECT 1")
        return None
    except Exception as e:  # any failure to reach the server
        return f"{type(e).__name__}: {e}"


@pytest.fixture(scope="session")
def pg_template():
    problem = _pg_available()
    if problem:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is required in CI and is not reachable at {PG_URL}: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    name = f"nocode_tpl_{_RUN}"
    run(_pg_admin, f"CREATE DATABASE {name}")

    async def migrate():
        engine = create_engine(f"{PG_URL}/{name}")
        await upgrade(engine)
        await engine.dispose()

    run(migrate)
    yield name
    run(_pg_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "template.db"

    async def migrate():
        engine = create_engine(f"sqlite+aiosqlite:///{path}")
        await upgrade(engine)
        await engine.dispose()

    run(migrate)
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh migrated database for one test."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        path = tmp_path / "nocode.db"
        shutil.copy(template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    template = request.getfixturevalue("pg_template")
    name = f"nocode_t_{_RUN}_{next(_counter)}"
    run(_pg_admin, f"CREATE DATABASE {name} TEMPLATE {template}")
    yield f"{PG_URL}/{name}"
    run(_pg_admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(database_url, tmp_path) -> Settings:
    return Settings(database_url=database_url, data_dir=tmp_path / "data", secret_key="test-secret-key-" + "x" * 32,
                    frontend_dir=tmp_path / "no-frontend")


@dataclass
class Api:
    """An API client signed in as an admin, plus the app underneath for direct checks."""
    client: httpx.AsyncClient
    app: object
    user_id: int

    @property
    def platform(self):
        return self.app.state.platform

    async def import_app(self, doc: dict, demo_data: bool = False) -> dict:
        response = await self.client.post("/api/apps/import", params={"demo_data": demo_data}, json=doc)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture
async def api(settings):
    from runtime.app import create_app

    app = create_app(settings)
    engine = app.state.platform.engine
    async with engine.begin() as conn:
        user_id = await create_user(conn, "admin", "admin-password", name="管理员", is_admin=True)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.post("/api/auth/login", json={"username": "admin", "password": "admin-password"})
        client.headers["Authorization"] = "Bearer " + response.json()["access_token"]
        client.headers["Accept-Language"] = "en"
        yield Api(client, app, user_id)
    await engine.dispose()


TEMPLATE_PATH = Path(__file__).resolve().parent.parent / "templates" / "scrm_app.json"
