"""The async engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from unique.config import Settings, sqlite_path

# How long a SQLite writer waits for another process's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.async_database_url
    if settings.is_sqlite:
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(
            url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True
        )
        event.listen(engine.sync_engine, "connect", _configure_sqlite)
        return engine
    # Key checks and listings have connections of their own (unique.db.reads); this pool serves
    # writes and the rarer ORM reads. Together a process holds at most 30 connections.
    return create_async_engine(
        url,
        pool_size=10,
        max_overflow=10,
        pool_timeout=5,
        connect_args={"timeout": 5, "command_timeout": 10},
        # Errors and logs must never echo submitted values (emails, hashes, names).
        hide_parameters=True,
    )


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """WAL lets readers run beside one writer across processes; SQLite leaves FKs off by default."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
    configure_sqlite_reader(dbapi_connection, SQLITE_BUSY_TIMEOUT_MS)


def configure_sqlite_reader(dbapi_connection: Any, busy_timeout_ms: int) -> None:
    """What every connection needs for the application's queries, read-only ones included."""
    cursor = dbapi_connection.cursor()
    cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
    cursor.close()
    # SQLite's own lower() folds ASCII only; search is case-insensitive in every script.
    dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
