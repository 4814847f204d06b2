"""Reads outside any transaction (unique.db.reads): what the hot path sees, on both databases."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import create_account
from unique import api_keys, keys, projects
from unique.config import Settings
from unique.db.engine import create_engine, session_factory
from unique.db.reads import Reads, SQLiteReads, open_reads
from unique.db.tables import ApiKey, Project, User


@dataclass
class Database:
    reads: Reads
    sessions: async_sessionmaker[AsyncSession]


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    engine = create_engine(settings)
    reads = open_reads(settings)
    try:
        yield Database(reads, session_factory(engine))
    finally:
        await reads.close()
        await engine.dispose()


async def test_a_revocation_committed_elsewhere_fails_the_next_read(database: Database) -> None:
    reads, sessions = database.reads, database.sessions
    account = await create_account(sessions)
    principal = await api_keys.authenticate(reads, account.key)
    assert principal == api_keys.Principal(account.key_id, account.user_id)

    async with sessions.begin() as session:
        await session.execute(
            update(ApiKey).where(ApiKey.id == account.key_id).values(revoked_at=datetime.now(UTC))
        )

    assert await api_keys.authenticate(reads, account.key) is None


async def test_an_expired_key_is_refused_and_an_unexpired_one_accepted(database: Database) -> None:
    reads, sessions = database.reads, database.sessions
    account = await create_account(sessions)
    for expires_in, accepted in ((timedelta(hours=1), True), (timedelta(seconds=-1), False)):
        async with sessions.begin() as session:
            await session.execute(
                update(ApiKey)
                .where(ApiKey.id == account.key_id)
                .values(expires_at=datetime.now(UTC) + expires_in)
            )
        assert (await api_keys.authenticate(reads, account.key) is not None) is accepted


async def test_listed_values_have_the_types_the_orm_gives(database: Database) -> None:
    reads, sessions = database.reads, database.sessions
    account = await create_account(sessions)
    async with sessions.begin() as session:
        owner = await session.get(User, account.user_id)
        assert owner is not None
        created = await projects.create_project(
            session, owner, regions=("aws-us-east-2",), name="Ünïcode ✓", creation_source="api"
        )
    async with sessions() as session:
        stored = await session.get(Project, created.seq)

    page = await projects.list_projects(reads, account.user_id, limit=10)

    [listed] = page.projects
    assert stored is not None
    assert listed == projects.ListedProject(
        *(getattr(stored, field) for field in projects.ListedProject._fields)
    )
    assert isinstance(listed.owner_id, uuid.UUID)
    assert listed.created_at.tzinfo is UTC
    assert listed.store_passwords is True
    [key] = await api_keys.list_active_keys(reads, account.user_id)
    assert key.created_by.id == account.user_id
    assert key.created_at.tzinfo is UTC
    assert key.last_used_at is None


async def test_an_unreadable_database_raises_an_operational_error(tmp_path: Path) -> None:
    reads = SQLiteReads(str(tmp_path / "empty.db"))
    try:
        with pytest.raises(OperationalError):
            await api_keys.authenticate(reads, keys.generate())
    finally:
        await reads.close()


async def test_postgresql_that_is_down_raises_an_operational_error() -> None:
    reads = open_reads(Settings(database_url="postgresql://postgres@127.0.0.1:1/none"))
    try:
        with pytest.raises(OperationalError):
            await api_keys.authenticate(reads, keys.generate())
    finally:
        await reads.close()


@pytest.mark.parametrize(
    ("database_kind", "options"),
    [
        ("postgresql", "?ssl=disable&prepared_statement_cache_size=0"),
        ("sqlite", "?timeout=30"),
    ],
)
async def test_reads_take_the_url_as_the_engine_does(database_url: str, options: str) -> None:
    """URL options reach the driver as the engine passes them; SQLite opens the same file."""
    settings = Settings(database_url=database_url + options)
    engine = create_engine(settings)
    reads = open_reads(settings)
    try:
        account = await create_account(session_factory(engine))
        assert await api_keys.authenticate(reads, account.key) is not None
    finally:
        await reads.close()
        await engine.dispose()
