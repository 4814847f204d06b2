"""The one query every authenticated request makes, sent straight to the database driver.

It runs before the request's own statements, so it needs no transaction of its own; skipping
SQLAlchemy's execution layers here halves what checking a key costs. The statement is the
same on both databases but for the placeholders and the way each stores timestamps and UUIDs
(matching how ``unique.db.tables`` declares them).
"""

from __future__ import annotations

import sqlite3
import uuid
from datetime import UTC, datetime

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncConnection

_ACTIVE_KEY = (
    "SELECT id, owner_id FROM api_keys WHERE token_hash = {hash} AND revoked_at IS NULL "
    "AND (expires_at IS NULL OR expires_at > {now})"
)
_POSTGRES = _ACTIVE_KEY.format(hash="$1", now="$2")
_SQLITE = _ACTIVE_KEY.format(hash="?", now="?")
# How SQLAlchemy's SQLite dialect writes a DateTime: comparable as text.
_SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"


async def find_active_key(
    connection: AsyncConnection, token_hash: bytes, now: datetime
) -> tuple[int, uuid.UUID] | None:
    """(key id, owner id) of the unrevoked, unexpired key with this hash, or None.

    A driver error is raised as SQLAlchemy's OperationalError (the API answers 503) after the
    connection is invalidated, so that a connection broken by a database restart is not handed
    out again.
    """
    driver = (await connection.get_raw_connection()).driver_connection
    naive_now = now.astimezone(UTC).replace(tzinfo=None)
    try:
        if connection.dialect.name == "postgresql":
            row = await driver.fetchrow(_POSTGRES, token_hash, naive_now)  # type: ignore[union-attr]
            return None if row is None else (row[0], row[1])
        cursor = await driver.execute(  # type: ignore[union-attr]
            _SQLITE, (token_hash, naive_now.strftime(_SQLITE_TIMESTAMP))
        )
        try:
            row = await cursor.fetchone()
        finally:
            await cursor.close()
    except (OSError, sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        await connection.invalidate(error)
        raise OperationalError(_ACTIVE_KEY, None, error) from error
    return None if row is None else (row[0], uuid.UUID(row[1]))
