"""Bring a database to the current schema, and tell whether it is there (for /readyz)."""

from __future__ import annotations

import functools
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(_config())


def head_revision() -> str | None:
    return _scripts().get_current_head()


def schema_serves_this_code(revision: str | None) -> bool:
    """True at our head, and at a revision we do not know: one a newer release applied during a
    rolling upgrade (migrations are additive, so this code still works). False when older."""
    if revision is None:
        return False
    known = {script.revision for script in _scripts().walk_revisions()}
    return revision == head_revision() or revision not in known


async def upgrade(engine: AsyncEngine) -> None:
    """Apply every pending migration in one transaction."""

    def run(connection: Connection) -> None:
        command.upgrade(_config(connection), "head")

    async with engine.begin() as connection:
        await connection.run_sync(run)


async def current_revision(engine: AsyncEngine) -> str | None:
    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)
