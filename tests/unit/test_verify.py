"""The key's path (unique.auth.verify): one verdict, with its reason, for every credential."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.helpers import Account, create_account
from unique import keys, metrics
from unique.auth.verify import Limit, Principal, Reason, Verifier
from unique.config import Settings
from unique.db.engine import create_engine, session_factory
from unique.db.reads import open_reads
from unique.db.tables import ApiKey
from unique.last_use import LastUseRecorder
from unique.ratelimit import LocalCounter

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
ADDRESS = "192.0.2.21"
ROUTE = "GET:/api_keys"


@dataclass
class Path:
    verifier: Verifier
    last_use: LastUseRecorder
    sessions: async_sessionmaker[AsyncSession]
    account: Account


@pytest.fixture
async def path(settings: Settings) -> AsyncIterator[Path]:
    engine = create_engine(settings)
    sessions = session_factory(engine)
    reads = open_reads(settings)
    last_use = LastUseRecorder(sessions)
    account = await create_account(sessions)
    verifier = Verifier(reads, last_use, settings, clock=lambda: NOW)
    try:
        yield Path(verifier, last_use, sessions, account)
    finally:
        await reads.close()
        await engine.dispose()


async def expire(path: Path, at: datetime) -> None:
    async with path.sessions.begin() as session:
        await session.execute(
            update(ApiKey).where(ApiKey.id == path.account.key_id).values(expires_at=at)
        )


async def test_a_valid_key_names_its_key_and_account_and_notes_its_use(path: Path) -> None:
    verification = await path.verifier.verify(f"Bearer {path.account.key}", ADDRESS, ROUTE)

    assert verification.reason is Reason.VALID
    assert verification.principal == Principal(path.account.key_id, path.account.user_id)
    use = path.last_use.take(path.account.key_id)
    assert use is not None and (use.at, use.address) == (NOW, ADDRESS)


async def test_the_scheme_is_case_insensitive(path: Path) -> None:
    verification = await path.verifier.verify(f"bEaReR {path.account.key}", ADDRESS, ROUTE)
    assert verification.reason is Reason.VALID


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "unq_x"])
async def test_no_bearer_credential_is_missing(path: Path, header: str | None) -> None:
    verification = await path.verifier.verify(header, ADDRESS, ROUTE)
    assert (verification.reason, verification.principal) == (Reason.MISSING, None)


async def test_what_cannot_be_a_key_is_malformed(path: Path) -> None:
    key = path.account.key
    for credential in (key + "x", key[:-1] + ("1" if key[-1] == "0" else "0"), "a" * 10_240):
        verification = await path.verifier.verify(f"Bearer {credential}", ADDRESS, ROUTE)
        assert verification.reason is Reason.MALFORMED, credential


async def test_a_well_formed_key_never_issued_is_unknown(path: Path) -> None:
    verification = await path.verifier.verify(f"Bearer {keys.generate()}", ADDRESS, ROUTE)
    assert verification.reason is Reason.UNKNOWN


async def test_a_revoked_key_is_revoked_and_its_use_is_not_noted(path: Path) -> None:
    async with path.sessions.begin() as session:
        await session.execute(
            update(ApiKey).where(ApiKey.id == path.account.key_id).values(revoked_at=NOW)
        )

    verification = await path.verifier.verify(f"Bearer {path.account.key}", ADDRESS, ROUTE)

    assert (verification.reason, verification.principal) == (Reason.REVOKED, None)
    assert path.last_use.take(path.account.key_id) is None


async def test_a_key_expires_at_its_expiry_by_the_verifiers_clock(path: Path) -> None:
    header = f"Bearer {path.account.key}"
    await expire(path, NOW + timedelta(seconds=1))
    assert (await path.verifier.verify(header, ADDRESS, ROUTE)).reason is Reason.VALID

    await expire(path, NOW)
    assert (await path.verifier.verify(header, ADDRESS, ROUTE)).reason is Reason.EXPIRED


async def test_failures_past_the_allowance_of_an_address_are_throttled(path: Path) -> None:
    settings = replace(path.verifier.settings, auth_failures_per_minute=2)
    verifier = Verifier(path.verifier.reads, path.last_use, settings, LocalCounter(), lambda: NOW)
    unknown = f"Bearer {keys.generate()}"

    reasons = [(await verifier.verify(unknown, ADDRESS, ROUTE)).reason for _ in range(3)]
    from_elsewhere = await verifier.verify(unknown, "198.51.100.7", ROUTE)
    valid = await verifier.verify(f"Bearer {path.account.key}", ADDRESS, ROUTE)

    assert reasons == [Reason.UNKNOWN, Reason.UNKNOWN, Reason.THROTTLED]
    assert from_elsewhere.reason is Reason.UNKNOWN
    assert valid.reason is Reason.VALID


async def test_a_valid_key_past_its_accounts_burst_is_throttled_with_its_verdict(
    path: Path,
) -> None:
    settings = replace(path.verifier.settings, rate_limit_burst=1)
    verifier = Verifier(path.verifier.reads, path.last_use, settings, LocalCounter(), lambda: NOW)
    header = f"Bearer {path.account.key}"

    first = await verifier.verify(header, ADDRESS, ROUTE)
    second = await verifier.verify(header, ADDRESS, ROUTE)
    other_route = await verifier.verify(header, ADDRESS, "GET:/projects")

    assert first.reason is Reason.VALID and first.verdict is not None
    assert (second.reason, second.limit) == (Reason.THROTTLED, Limit.BURST)
    assert second.principal == first.principal
    assert second.verdict is not None and not second.verdict.allowed
    assert other_route.reason is Reason.VALID


async def test_every_outcome_is_counted_by_its_reason(path: Path) -> None:
    def counted(reason: Reason) -> float:
        labels = {"outcome": reason.value}
        return metrics.registry.get_sample_value("unique_auth_outcomes_total", labels) or 0.0

    before = {reason: counted(reason) for reason in Reason}
    await path.verifier.verify(None, ADDRESS, ROUTE)
    await path.verifier.verify("Bearer nope", ADDRESS, ROUTE)
    await path.verifier.verify(f"Bearer {path.account.key}", ADDRESS, ROUTE)

    after = {reason: counted(reason) - before[reason] for reason in Reason}
    assert after[Reason.MISSING] == after[Reason.MALFORMED] == after[Reason.VALID] == 1
    assert after[Reason.UNKNOWN] == after[Reason.REVOKED] == after[Reason.THROTTLED] == 0
