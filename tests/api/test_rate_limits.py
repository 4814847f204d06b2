"""Rate limits: per account a budget per minute and a burst per route and second; failed
authentications throttled per client address. Counted here in process, with a frozen clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from tests.helpers import Service, assert_error, running_service
from unique.config import Settings
from unique.keys import generate
from unique.ratelimit import LocalCounter


@pytest.fixture
async def limited(settings: Settings) -> AsyncIterator[Service]:
    strict = replace(
        settings,
        rate_limits=True,
        rate_limit_burst=5,
        rate_limit_per_minute=8,
        auth_failures_per_minute=3,
    )
    async with running_service(strict) as service:
        # A frozen clock: every request below falls in the same second and minute.
        service.runtime.verifier.limits = LocalCounter(clock=lambda: 1_000_000.5)
        yield service


async def test_a_burst_past_the_route_limit_gets_429_with_retry_after(limited: Service) -> None:
    account = await limited.new_account()
    for _ in range(5):
        assert (await limited.client.get("/projects", headers=account.headers)).status_code == 200
    refused = await limited.client.get("/projects", headers=account.headers)
    assert_error(refused, 429, code="RATE_LIMITED")
    assert refused.headers["retry-after"] == "1"
    assert refused.headers["ratelimit-remaining"] == "0"
    # The burst is per route: another route still answers.
    assert (await limited.client.get("/users/me", headers=account.headers)).status_code == 200


async def test_the_minute_budget_spans_routes(limited: Service) -> None:
    account = await limited.new_account()
    answers = []
    for path in ["/projects"] * 4 + ["/users/me"] * 4 + ["/api_keys"]:
        answers.append((await limited.client.get(path, headers=account.headers)).status_code)
    assert answers == [200] * 8 + [429]


async def test_successful_answers_say_how_much_budget_is_left(limited: Service) -> None:
    account = await limited.new_account()
    first = await limited.client.get("/users/me", headers=account.headers)
    assert first.headers["ratelimit-limit"] == "8"
    assert first.headers["ratelimit-remaining"] == "7"
    # The frozen clock stands 19.5 s before its minute ends.
    assert first.headers["ratelimit-reset"] == "20"


async def test_accounts_do_not_share_a_budget(limited: Service) -> None:
    first, second = await limited.new_account(), await limited.new_account()
    for _ in range(6):
        await limited.client.get("/projects", headers=first.headers)
    assert (await limited.client.get("/projects", headers=second.headers)).status_code == 200


async def test_failed_authentications_are_throttled_per_address(limited: Service) -> None:
    account = await limited.new_account()
    guesses = [
        (await limited.client.get("/projects", headers={"Authorization": f"Bearer {generate()}"}))
        for _ in range(5)
    ]
    assert [guess.status_code for guess in guesses] == [401, 401, 401, 429, 429]
    assert_error(guesses[-1], 429, code="RATE_LIMITED")
    assert "retry-after" in guesses[-1].headers
    # A valid key from the same address keeps working...
    assert (await limited.client.get("/users/me", headers=account.headers)).status_code == 200
    # ...and another address is not affected.
    async with limited.client_from("198.51.100.23") as elsewhere:
        bad = await elsewhere.get("/projects", headers={"Authorization": "Bearer nope"})
        assert bad.status_code == 401


async def test_a_key_check_comes_before_the_rate_limit(limited: Service) -> None:
    account = await limited.new_account()
    for _ in range(6):
        await limited.client.get("/projects", headers=account.headers)
    assert (await limited.client.get("/projects")).status_code == 401


async def test_limits_off_means_no_limits_and_no_headers(service: Service) -> None:
    account = await service.new_account()
    for _ in range(60):
        response = await service.client.get("/projects", headers=account.headers)
        assert response.status_code == 200
    assert "ratelimit-limit" not in response.headers
