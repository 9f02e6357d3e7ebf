"""The connection pool on PostgreSQL: connections the server dropped (a restart, a firewall's idle timeout) are
replaced before a request uses them; connections given back less than IDLE_PING_SECONDS ago are used unchecked
(after a restart under load, the first request to meet a dead one fails and the whole pool is renewed)."""
from __future__ import annotations

import pytest

import runtime.db
from tests.conftest import _pg_admin

postgresql_only = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


async def _drop_connections(api) -> None:
    """What a server restart does to the pool: every connection of the database closed from the server's side."""
    name = api.platform.engine.url.database
    await _pg_admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'")


@postgresql_only
async def test_a_connection_idle_a_while_is_checked_and_replaced_when_the_server_dropped_it(api, monkeypatch):
    assert (await api.client.get("/api/apps")).status_code == 200
    await _drop_connections(api)
    monkeypatch.setattr(runtime.db, "IDLE_PING_SECONDS", 0.0)  # every pooled connection counts as idle
    for _ in range(3):
        response = await api.client.get("/api/apps")
        assert response.status_code == 200, response.text

