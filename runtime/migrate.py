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


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as conn:
        await conn.run_sync(upgrade_sync, revision)


def upgrade_sync(sync_conn, revision: str = "head") -> None:
    """Inside the caller's transaction (a restore migrates and loads in one)."""
    command.upgrade(_config(sync_conn), revision)


def head_revision() -> str:
    return ScriptDirectory.from_config(_config()).get_current_head()


def known_revisions() -> list[str]:
    """Every revision this code ships, oldest first."""
    return [script.revision for script in reversed(list(ScriptDirectory.from_config(_config()).walk_revisions()))]


async def current_revision(engine: AsyncEngine) -> tuple[str | None, str]:
    """(revision of the database, newest revision shipped)."""
    head = head_revision()
    async with engine.connect() as conn:
        current = await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
    return current, head
