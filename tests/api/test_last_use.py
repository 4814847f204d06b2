"""Every request authenticated by a key records when and from which address it was used."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import text

from tests.helpers import TEST_CLIENT_ADDR, Account, Service, running_service
from unique.config import Settings
from unique.db.tables import ApiKey, utcnow
from unique.last_use import LastUse, LastUseRecorder

# The writer's interval here: the smallest UNIQUE_LAST_USE_FLUSH_SECONDS allows, so that a test
# waiting for the writer waits a few milliseconds, not the production second.
FLUSH_SECONDS = 0.05
# How long a test waits for the writer before failing: many intervals, only a guard against a hang.
VISIBLE_WITHIN_SECONDS = 2.0


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return replace(settings, last_use_flush_seconds=FLUSH_SECONDS)


@pytest.fixture
async def idle_writer_service(settings: Settings) -> AsyncIterator[Service]:
    """A service whose writer never flushes by itself during a test: only the test flushes."""
    async with running_service(replace(settings, last_use_flush_seconds=3600)) as service:
        yield service


async def second_key(service: Service, account: Account) -> Account:
    """Another key of the same account: used by the test while ``account``'s key only observes.

    Observing through the watched key itself would count as a use and overwrite what we check.
    """
    return await service.another_key(account, "watched")


async def key_entry(service: Service, observer: Account, key_id: int) -> dict[str, object]:
    listed = (await service.client.get("/api_keys", headers=observer.headers)).json()
    return next(entry for entry in listed if entry["id"] == key_id)


async def wait_for_last_use(service: Service, observer: Account, key_id: int, address: str) -> None:
    """Wait until the key's listed last use shows ``address``, written by the periodic writer
    alone; fails after ``VISIBLE_WITHIN_SECONDS``."""
    deadline = time.monotonic() + VISIBLE_WITHIN_SECONDS
    while time.monotonic() < deadline:
        entry = await key_entry(service, observer, key_id)
        if entry["last_used_at"] is not None:
            assert entry["last_used_from_addr"] == address
            return
        await asyncio.sleep(FLUSH_SECONDS)
    raise AssertionError(f"last use of key {key_id} not visible after {VISIBLE_WITHIN_SECONDS}s")


def test_uses_are_written_about_once_a_second_by_default() -> None:
    """What the README promises; the writer keeping to its interval is checked below."""
    assert Settings().last_use_flush_seconds == 1.0


async def test_a_use_becomes_visible_at_the_writers_next_flush(
    service: Service, account: Account
) -> None:
    watched = await second_key(service, account)
    await service.client.get("/projects", headers=watched.headers)
    await wait_for_last_use(service, account, watched.key_id, TEST_CLIENT_ADDR)


async def test_an_unused_key_shows_never_used(service: Service, account: Account) -> None:
    watched = await second_key(service, account)
    entry = await key_entry(service, account, watched.key_id)
    assert entry["last_used_at"] is None
    assert entry["last_used_from_addr"] == ""


async def test_forwarded_for_is_ignored_from_an_untrusted_peer(
    service: Service, account: Account
) -> None:
    watched = await second_key(service, account)
    await service.client.get(
        "/projects", headers={**watched.headers, "X-Forwarded-For": "198.51.100.9"}
    )
    await wait_for_last_use(service, account, watched.key_id, TEST_CLIENT_ADDR)


@pytest.mark.parametrize(
    "forwarded_for",
    [
        # 10.0.0.5 is another trusted proxy, 198.51.100.9 the client; 192.0.2.1 is only what the
        # client claimed, and is not believed.
        pytest.param(["192.0.2.1, 198.51.100.9, 10.0.0.5"], id="one-line"),
        # A proxy may add its own header line: the client's own line must not decide.
        pytest.param(["192.0.2.66", "198.51.100.9"], id="a-line-per-proxy"),
    ],
)
async def test_forwarded_for_is_honoured_from_a_trusted_proxy(
    settings: Settings, forwarded_for: list[str]
) -> None:
    trusted = replace(settings, trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    async with running_service(trusted) as service:
        account = await service.new_account()
        watched = await second_key(service, account)
        headers = [
            ("Authorization", f"Bearer {watched.key}"),
            *(("X-Forwarded-For", line) for line in forwarded_for),
        ]
        async with service.client_from("10.1.2.3") as via_proxy:
            assert (await via_proxy.get("/projects", headers=headers)).status_code == 200
        await wait_for_last_use(service, account, watched.key_id, "198.51.100.9")


async def test_a_hot_key_is_written_once_per_flush_not_once_per_request(
    idle_writer_service: Service,
) -> None:
    service = idle_writer_service
    account = await service.new_account()
    recorder = service.runtime.last_use
    await recorder.flush()
    writes_before = recorder.writes
    for _ in range(3):  # three flush intervals, 20 requests in each
        for _ in range(20):
            response = await service.client.get("/users/me", headers=account.headers)
            assert response.status_code == 200
        await recorder.flush()
    await recorder.flush()  # nothing new: nothing written
    assert recorder.writes - writes_before == 3


async def test_pending_uses_are_written_on_shutdown(settings: Settings) -> None:
    never_flushes_by_itself = replace(settings, last_use_flush_seconds=3600)
    async with running_service(never_flushes_by_itself) as service:
        account = await service.new_account()
        await service.client.get("/projects", headers=account.headers)
    async with running_service(never_flushes_by_itself) as service:
        observer = await service.new_account()
        async with service.runtime.sessions() as session:
            stored = await session.get(ApiKey, account.key_id)
        assert stored is not None
        assert stored.last_used_at is not None
        assert stored.last_used_from_addr == TEST_CLIENT_ADDR
        assert observer.key_id != account.key_id


async def refuse_overlong_addresses(service: Service) -> None:
    """PostgreSQL refuses an address longer than its column; SQLite, which does not check
    lengths, is made to refuse it the same way."""
    if not service.runtime.settings.is_sqlite:
        return
    async with service.runtime.engine.begin() as connection:
        await connection.execute(
            text(
                "CREATE TRIGGER refuse_overlong_address BEFORE UPDATE ON api_keys "
                "WHEN length(NEW.last_used_from_addr) > 45 "
                "BEGIN SELECT RAISE(ABORT, 'value too long'); END"
            )
        )


async def test_a_use_the_database_refuses_is_dropped_and_the_others_are_written(
    idle_writer_service: Service, caplog: pytest.LogCaptureFixture
) -> None:
    service = idle_writer_service
    account = await service.new_account()
    await refuse_overlong_addresses(service)
    refused = await second_key(service, account)
    recorder = service.runtime.last_use
    await recorder.flush()
    used_at = utcnow()
    recorder.note(refused.key_id, LastUse(at=used_at, address="x" * 100))
    recorder.note(account.key_id, LastUse(at=used_at, address="198.51.100.9"))

    with caplog.at_level(logging.WARNING, logger="unique.last_use"):
        await recorder.flush()
        await recorder.flush()

    async with service.runtime.sessions() as session:
        written = await session.get(ApiKey, account.key_id)
        dropped = await session.get(ApiKey, refused.key_id)
    assert written is not None and written.last_used_from_addr == "198.51.100.9"
    assert dropped is not None and dropped.last_used_at is None
    # Logged once, then forgotten: the second flush had nothing to retry.
    assert len(caplog.records) == 1
    assert (
        caplog.records[0]
        .getMessage()
        .startswith(f"dropped the last use of key {refused.key_id}: the database refused it")
    )
    assert recorder.take(refused.key_id) is None
    # The writer goes on: a later use is written at the next flush.
    later = LastUse(at=used_at + timedelta(seconds=5), address="198.51.100.10")
    recorder.note(account.key_id, later)
    await recorder.flush()
    async with service.runtime.sessions() as session:
        written = await session.get(ApiKey, account.key_id)
    assert written is not None and written.last_used_from_addr == "198.51.100.10"


async def test_a_use_being_written_is_still_handed_to_a_caller_that_writes_it_itself(
    idle_writer_service: Service,
) -> None:
    """Revoking reads the row right after taking the key's unwritten use: a use the flusher has
    begun to write but not committed must be taken too, or the answer would miss it."""
    service = idle_writer_service
    account = await service.new_account()
    recorder = service.runtime.last_use
    await recorder.flush()
    use = LastUse(at=utcnow(), address="198.51.100.9")
    recorder.note(account.key_id, use)
    async with service.runtime.sessions() as blocker:
        # Holding the key's row (on SQLite, the database's write lock) keeps the flush waiting.
        await blocker.execute(
            text("UPDATE api_keys SET name = name WHERE id = :id"), {"id": account.key_id}
        )
        flushing = asyncio.create_task(recorder.flush())
        await asyncio.sleep(0.2)
        assert not flushing.done()
        assert recorder.take(account.key_id) == use
        await blocker.rollback()
    await flushing
    assert recorder.take(account.key_id) is None


async def test_stopping_while_a_batch_is_being_written_loses_none_of_it(
    idle_writer_service: Service,
) -> None:
    service = idle_writer_service
    account = await service.new_account()
    await service.runtime.last_use.flush()
    recorder = LastUseRecorder(service.runtime.sessions, flush_seconds=FLUSH_SECONDS)
    recorder.note(account.key_id, LastUse(at=utcnow(), address="198.51.100.9"))
    async with service.runtime.sessions() as blocker:
        # Holding the key's row (on SQLite, the database's write lock) keeps the batch in flight.
        await blocker.execute(
            text("UPDATE api_keys SET name = name WHERE id = :id"), {"id": account.key_id}
        )
        recorder.start()
        await asyncio.sleep(0.2)
        stopping = asyncio.create_task(recorder.stop())
        await asyncio.sleep(0.1)
        assert not stopping.done()
        await blocker.rollback()
    await stopping
    async with service.runtime.sessions() as session:
        stored = await session.get(ApiKey, account.key_id)
    assert stored is not None and stored.last_used_from_addr == "198.51.100.9"
