"""Reads outside any transaction (unique.db.reads): what the hot path sees, on both databases."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import admin_statement, create_account
from unique import api_keys, keys, projects
from unique.actor import Actor
from unique.auth.verify import KEY_BY_HASH, Principal, Verifier
from unique.config import Settings
from unique.db.engine import create_engine, session_factory
from unique.db.reads import Query, Reads, SQLiteReads, open_reads
from unique.db.tables import ApiKey, Project, User
from unique.last_use import LastUseRecorder


@dataclass
class Database:
    reads: Reads
    sessions: async_sessionmaker[AsyncSession]


async def principal_of(reads: Reads, key: str) -> Principal | None:
    """Whom the key's path finds behind ``key`` with these reads (no limits, no writes)."""
    recorder = LastUseRecorder(async_sessionmaker())
    verification = await Verifier(reads, recorder, Settings()).verify(f"Bearer {key}", "", "GET:/")
    return verification.principal


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Database]:
    engine = create_engine(settings)
    reads = open_reads(settings)
    reads.warm(KEY_BY_HASH)  # as a server process does when it starts
    try:
        yield Database(reads, session_factory(engine))
    finally:
        await reads.close()
        await engine.dispose()


async def test_a_revocation_committed_elsewhere_fails_the_next_read(database: Database) -> None:
    reads, sessions = database.reads, database.sessions
    account = await create_account(sessions)
    principal = await principal_of(reads, account.key)
    assert principal == Principal(account.key_id, account.user_id)

    async with sessions.begin() as session:
        await session.execute(
            update(ApiKey).where(ApiKey.id == account.key_id).values(revoked_at=datetime.now(UTC))
        )

    assert await principal_of(reads, account.key) is None


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
        assert (await principal_of(reads, account.key) is not None) is accepted


async def test_listed_values_have_the_types_the_orm_gives(database: Database) -> None:
    reads, sessions = database.reads, database.sessions
    account = await create_account(sessions)
    async with sessions.begin() as session:
        owner = await session.get(User, account.user_id)
        assert owner is not None
        created = await projects.create_project(
            session,
            owner,
            regions=("aws-us-east-2",),
            name="Ünïcode ✓",
            creation_source="api",
            actor=Actor(owner.id),
        )
    async with sessions() as session:
        stored = await session.get(Project, created.seq)

    page = await projects.list_projects(reads, account.user_id, limit=10)

    [listed] = page.projects
    assert stored is not None
    assert listed._asdict() == {field: getattr(stored, field) for field in listed._fields}
    assert isinstance(listed.owner_id, uuid.UUID)
    assert listed.created_at.tzinfo is UTC
    assert listed.store_passwords is True
    [key] = await api_keys.list_active_keys(reads, account.user_id)
    assert key.creator_id == account.user_id
    assert key.created_at.tzinfo is UTC
    assert key.last_used_at is None


@pytest.fixture
def local_time_not_utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A process whose local time is not UTC, where mistaking naive UTC for local time shows."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("local_time_not_utc")
async def test_timestamps_compare_as_utc_whether_given_naive_or_aware(database: Database) -> None:
    reads, sessions = database.reads, database.sessions
    account = await create_account(sessions)
    [(created_at,)] = await reads.all(
        Query(select(ApiKey.created_at).where(ApiKey.id == bindparam("id"))), id=account.key_id
    )
    created_up_to = Query(
        select(func.count()).select_from(ApiKey).where(ApiKey.created_at <= bindparam("moment"))
    )
    two_hours_east = timezone(timedelta(hours=2))

    for moment, expected in (
        (created_at, 1),
        (created_at.replace(tzinfo=None), 1),
        (created_at.astimezone(two_hours_east), 1),
        (created_at - timedelta(microseconds=1), 0),
        (created_at.replace(tzinfo=None) - timedelta(microseconds=1), 0),
    ):
        assert await reads.all(created_up_to, moment=moment) == [(expected,)], moment


async def test_an_unreadable_database_raises_an_operational_error(tmp_path: Path) -> None:
    reads = SQLiteReads(str(tmp_path / "empty.db"))
    try:
        reads.warm(KEY_BY_HASH)  # nothing to warm: no error until a lookup needs the table
        with pytest.raises(OperationalError):
            await principal_of(reads, keys.generate())
    finally:
        await reads.close()


async def test_postgresql_that_is_down_raises_an_operational_error() -> None:
    reads = open_reads(Settings(database_url="postgresql://postgres@127.0.0.1:1/none"))
    try:
        with pytest.raises(OperationalError):
            await principal_of(reads, keys.generate())
    finally:
        await reads.close()


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_a_failed_lookup_leaves_the_next_one_free_to_succeed(database_url: str) -> None:
    engine = create_engine(Settings(database_url=database_url))
    account = await create_account(session_factory(engine))
    await engine.dispose()
    name = database_url.rsplit("/", 1)[1]
    reads = open_reads(Settings(database_url=f"{database_url}_back"))
    try:
        with pytest.raises(OperationalError):
            await principal_of(reads, account.key)
        await admin_statement(f'CREATE DATABASE "{name}_back" TEMPLATE "{name}"')
        principal = await principal_of(reads, account.key)
        assert principal == Principal(account.key_id, account.user_id)
    finally:
        await reads.close()
        await admin_statement(f'DROP DATABASE IF EXISTS "{name}_back" WITH (FORCE)')


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
        assert await principal_of(reads, account.key) is not None
    finally:
        await reads.close()
        await engine.dispose()


# On PostgreSQL, key lookups asked for in the same moment travel as one statement. To see how many
# statements are on their way, the tests hold the table locked: each statement then waits in
# plain sight, in pg_stat_activity, until the lock is released.
BATCHED_LOOKUP = "%WHERE api_keys.token_hash = ANY%"


async def lookups_waiting(sessions: async_sessionmaker[AsyncSession], at_least: int) -> int:
    """The number of key lookup statements waiting for the table, once at least ``at_least``."""
    waiting = 0
    for _ in range(100):
        async with sessions() as session:
            waiting = (
                await session.scalar(
                    select(func.count())
                    .select_from(text("pg_stat_activity"))
                    .where(
                        # This test's database only: other workers' tests run beside it.
                        text("datname = current_database()"),
                        text("wait_event_type = 'Lock'"),
                        text("query LIKE :pattern"),
                    )
                    .params(pattern=BATCHED_LOOKUP)
                )
                or 0
            )
        if waiting >= at_least:
            return waiting
        await asyncio.sleep(0.05)
    pytest.fail(f"{waiting} key lookups on their way, expected at least {at_least}")


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_keys_asked_for_together_share_one_statement_and_get_their_own_answers(
    database: Database,
) -> None:
    reads, sessions = database.reads, database.sessions
    holders = [await create_account(sessions) for _ in range(3)]
    revoked = update(ApiKey).where(ApiKey.id == holders[2].key_id)
    async with sessions.begin() as session:
        await session.execute(revoked.values(revoked_at=datetime.now(UTC)))
    presented = [holder.key for holder in holders] + [keys.generate(), holders[0].key]

    async with sessions() as locker:
        await locker.execute(text("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE"))
        checks = [asyncio.create_task(principal_of(reads, key)) for key in presented]
        assert await lookups_waiting(sessions, at_least=1) == 1
        await asyncio.sleep(0.2)
        assert await lookups_waiting(sessions, at_least=1) == 1
        await locker.rollback()

    first, second = (Principal(h.key_id, h.user_id) for h in holders[:2])
    assert await asyncio.gather(*checks) == [first, second, None, None, first]


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_keys_asked_for_after_a_statement_left_share_the_next_one(
    database: Database,
) -> None:
    """Joining a statement already sent could answer from before a revocation the caller has
    seen. The count of statements is the check: here both take their snapshot only once the lock
    is gone, so their answers alone could not tell. A statement slow to answer holds the next one
    back only briefly."""
    reads, sessions = database.reads, database.sessions
    account = await create_account(sessions)

    async with sessions() as locker:
        await locker.execute(text("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE"))
        earlier = asyncio.create_task(principal_of(reads, account.key))
        await lookups_waiting(sessions, at_least=1)
        later = [asyncio.create_task(principal_of(reads, account.key)) for _ in range(3)]
        assert await lookups_waiting(sessions, at_least=2) == 2
        await asyncio.sleep(0.2)
        assert await lookups_waiting(sessions, at_least=2) == 2
        await locker.commit()

    principal = Principal(account.key_id, account.user_id)
    assert await asyncio.gather(earlier, *later) == [principal] * 4


@pytest.mark.parametrize("database_kind", ["postgresql"])
async def test_a_caller_that_gives_up_leaves_the_shared_statement_to_the_others(
    database: Database,
) -> None:
    reads, sessions = database.reads, database.sessions
    account = await create_account(sessions)

    async with sessions() as locker:
        await locker.execute(text("LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE"))
        leaving, staying = (asyncio.create_task(principal_of(reads, account.key)) for _ in range(2))
        await lookups_waiting(sessions, at_least=1)
        leaving.cancel()
        await locker.rollback()

    assert await staying == Principal(account.key_id, account.user_id)
    assert leaving.cancelled()


@pytest.mark.parametrize("database_kind", ["postgresql"])
@pytest.mark.parametrize(("expires_at", "accepted"), [("infinity", True), ("-infinity", False)])
async def test_a_key_set_to_expire_at_infinity_by_hand_is_checked_like_any_other(
    database: Database, expires_at: str, accepted: bool
) -> None:
    reads, sessions = database.reads, database.sessions
    account = await create_account(sessions)
    async with sessions.begin() as session:
        await session.execute(
            text("UPDATE api_keys SET expires_at = CAST(:at AS text)::timestamp WHERE id = :id"),
            {"at": expires_at, "id": account.key_id},
        )

    assert (await principal_of(reads, account.key) is not None) is accepted
