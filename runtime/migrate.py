"""Bring the platform tables to the newest migration."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

_SCRIPTS = str(Path(__file__).resolve().parent / "migrations")


def _config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", _SCRIPTS)
    config.attributes["connection"] = connection
    return config


async def upgrade(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync_conn: command.upgrade(_config(sync_conn), "head"))


async def current_revision(engine: AsyncEngine) -> tuple[str | None, str]:
    """(revision of the database, newest revision shipped)."""
    head = ScriptDirectory.from_config(_config()).get_current_head()
    async with engine.connect() as conn:
        current = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    return current, head
