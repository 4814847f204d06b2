"""A key may expire: `expires_at` at creation, a deployment's longest lifetime, and from the
stated second on the key answers like an unknown one, while its owner still sees it listed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.helpers import Account, Service, assert_error, running_service
from unique.config import Settings, SettingsError, load_settings
from unique.keys import generate

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def in_utc(offset: timedelta) -> datetime:
    return (datetime.now(UTC) + offset).replace(microsecond=0)


def stamp(instant: datetime) -> str:
    return instant.strftime(TIMESTAMP_FORMAT)


async def listed_keys(service: Service, account: Account) -> dict[int, dict[str, object]]:
    response = await service.client.get("/api_keys", headers=account.headers)
    assert response.status_code == 200, response.text
    return {entry["id"]: entry for entry in response.json()}


async def test_a_key_is_created_with_its_end_in_utc_whole_seconds(
    service: Service, account: Account
) -> None:
    end = in_utc(timedelta(days=3))
    # The same instant, written two hours east of UTC with milliseconds.
    sent = end.astimezone(timezone(timedelta(hours=2))).isoformat(timespec="milliseconds")
    response = await service.post_key(account, "short-lived", expires_at=sent)
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["expires_at"] == stamp(end)
    assert (await listed_keys(service, account))[created["id"]]["expires_at"] == stamp(end)


async def test_a_key_without_an_end_never_expires(service: Service, account: Account) -> None:
    created = await service.create_key(account, "forever")
    assert created["expires_at"] is None
    assert (await listed_keys(service, account))[created["id"]]["expires_at"] is None


async def test_from_the_stated_second_the_key_answers_like_an_unknown_one(
    service: Service, account: Account
) -> None:
    end = in_utc(timedelta(hours=1))
    expiring = await service.another_key(account, "expiring", expires_at=stamp(end))
    verifier = service.runtime.verifier

    verifier.clock = lambda: end - timedelta(seconds=1)
    assert (await service.client.get("/projects", headers=expiring.headers)).status_code == 200

    verifier.clock = lambda: end
    refused = await service.client.get("/projects", headers=expiring.headers)
    unknown = await service.client.get(
        "/projects", headers={"Authorization": f"Bearer {generate()}"}
    )
    assert_error(refused, 401, code="UNAUTHORIZED")
    assert refused.json()["message"] == unknown.json()["message"]
    assert refused.headers["www-authenticate"] == unknown.headers["www-authenticate"]


async def test_an_expired_key_stays_listed_until_its_owner_revokes_it(
    service: Service, account: Account
) -> None:
    end = in_utc(timedelta(hours=1))
    expiring = await service.another_key(account, "expiring", expires_at=stamp(end))
    service.runtime.verifier.clock = lambda: end + timedelta(days=30)
    # The account's own key has no end, so it still works and still lists the expired one.
    assert (await listed_keys(service, account))[expiring.key_id]["expires_at"] == stamp(end)
    revoked = await service.client.delete(f"/api_keys/{expiring.key_id}", headers=account.headers)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["expires_at"] == stamp(end)
    assert expiring.key_id not in await listed_keys(service, account)


@pytest.mark.parametrize(
    "expires_at",
    [
        pytest.param(timedelta(hours=-1), id="in-the-past"),
        pytest.param(timedelta(seconds=10), id="under-a-minute-away"),
        pytest.param("tomorrow", id="words"),
        pytest.param("2030-01-01", id="date-only"),
        pytest.param("2030-01-01T00:00:00", id="no-offset"),
        pytest.param("2030-02-30T00:00:00Z", id="no-such-day"),
        pytest.param("2030-01-01 00:00:00Z", id="space-for-T"),
        pytest.param(1_900_000_000, id="unix-seconds"),
        pytest.param(["2030-01-01T00:00:00Z"], id="array"),
        pytest.param("\uff12\uff10\uff13\uff10-01-01T00:00:00Z", id="fullwidth-digits"),
    ],
)
async def test_a_bad_end_is_400_naming_expires_at_and_creates_nothing(
    service: Service, account: Account, expires_at: object
) -> None:
    if isinstance(expires_at, timedelta):  # from now
        expires_at = stamp(in_utc(expires_at))
    before = await listed_keys(service, account)
    response = await service.post_key(account, "bad-end", expires_at=expires_at)
    assert_error(response, 400, field="expires_at")
    assert await listed_keys(service, account) == before


@pytest.fixture
async def thirty_day_policy(settings: Settings) -> AsyncIterator[Service]:
    async with running_service(replace(settings, key_max_lifetime_days=30)) as service:
        yield service


async def test_under_a_lifetime_policy_a_key_without_an_end_gets_the_longest_allowed(
    thirty_day_policy: Service,
) -> None:
    service = thirty_day_policy
    account = await service.new_account()
    earliest = in_utc(timedelta(days=30))
    created = await service.create_key(account, "policy")
    latest = in_utc(timedelta(days=30))
    ends = datetime.strptime(created["expires_at"], TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    assert earliest <= ends <= latest


async def test_under_a_lifetime_policy_a_later_end_is_400(thirty_day_policy: Service) -> None:
    service = thirty_day_policy
    account = await service.new_account()
    too_late = await service.post_key(account, "k", expires_at=stamp(in_utc(timedelta(days=31))))
    assert_error(too_late, 400, field="expires_at")
    assert "30 days" in too_late.json()["message"]
    allowed = await service.post_key(account, "k", expires_at=stamp(in_utc(timedelta(days=29))))
    assert allowed.status_code == 200, allowed.text


def test_the_lifetime_policy_is_read_from_the_environment() -> None:
    assert load_settings({}).key_max_lifetime_days is None
    assert load_settings({"UNIQUE_KEY_MAX_LIFETIME_DAYS": "90"}).key_max_lifetime_days == 90
    for bad in ("0", "-1", "ninety", "1.5"):
        with pytest.raises(SettingsError, match="UNIQUE_KEY_MAX_LIFETIME_DAYS"):
            load_settings({"UNIQUE_KEY_MAX_LIFETIME_DAYS": bad})
