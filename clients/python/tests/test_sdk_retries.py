"""Reads and revocations (idempotent) are sent again after a 429, a 503 or no answer, waiting
as ``Retry-After`` says (capped) or backing off; creating, renaming, deleting, changing a
member's role and removing a member never are."""

from __future__ import annotations

import pytest
from sdk_support import (
    IDEMPOTENT,
    NOT_IDEMPOTENT,
    UNREACHABLE,
    USER_JSON,
    FakeApi,
    Reply,
    Route,
    Sdk,
    ok,
    rate_limited,
    unavailable,
)
from unique.client import (
    MAX_RETRY_DELAY,
    APIConnectionError,
    RateLimitError,
    ServerError,
    UniqueError,
)


@pytest.mark.parametrize("route", IDEMPOTENT.values(), ids=IDEMPOTENT.keys())
def test_reads_and_revocations_are_retried_after_503_and_no_answer(
    sdk: Sdk, fake_api: FakeApi, waits: list[float], route: Route
) -> None:
    fake_api.script = [unavailable("0"), UNREACHABLE, route.success]

    assert sdk(route.operation) is not None

    assert fake_api.sent == [(route.method, route.path)] * 3
    assert len(waits) == 2


@pytest.mark.parametrize("route", NOT_IDEMPOTENT.values(), ids=NOT_IDEMPOTENT.keys())
def test_creating_renaming_and_deleting_are_never_retried(
    sdk: Sdk, fake_api: FakeApi, waits: list[float], route: Route
) -> None:
    fake_api.script = [unavailable(), route.success]

    with pytest.raises(ServerError) as caught:
        sdk(route.operation)

    assert (caught.value.status, caught.value.request_id) == (503, "fake-503")
    assert fake_api.sent == [(route.method, route.path)]
    assert waits == []


@pytest.mark.parametrize("route", NOT_IDEMPOTENT.values(), ids=NOT_IDEMPOTENT.keys())
def test_creating_without_an_answer_is_not_sent_again(
    sdk: Sdk, fake_api: FakeApi, waits: list[float], route: Route
) -> None:
    fake_api.script = [UNREACHABLE, route.success]

    with pytest.raises(APIConnectionError):
        sdk(route.operation)

    assert len(fake_api.requests) == 1


def test_retry_after_is_waited_for_and_capped(
    sdk: Sdk, fake_api: FakeApi, waits: list[float]
) -> None:
    fake_api.script = [rate_limited("3"), unavailable("86400"), ok(USER_JSON)]

    sdk(lambda client: client.users.me())

    assert waits == [3.0, MAX_RETRY_DELAY]


def test_without_retry_after_the_wait_backs_off_exponentially_with_jitter(
    sdk: Sdk, fake_api: FakeApi, waits: list[float]
) -> None:
    fake_api.script = [unavailable(None), UNREACHABLE, unavailable("soon"), ok(USER_JSON)]

    sdk(lambda client: client.users.me(), max_retries=3)

    first, second, third = waits
    assert 0.25 <= first <= 0.5
    assert 0.5 <= second <= 1.0
    assert 1.0 <= third <= 2.0


@pytest.mark.parametrize("status", [400, 401, 404, 500, 502])
def test_other_failures_are_not_retried(
    sdk: Sdk, fake_api: FakeApi, waits: list[float], status: int
) -> None:
    fake_api.script = [Reply(status, {"code": "X", "message": "No."}), ok(USER_JSON)]

    with pytest.raises(UniqueError, match=r"No\."):
        sdk(lambda client: client.users.me())

    assert len(fake_api.requests) == 1


@pytest.mark.parametrize(
    ("failure", "error_type"),
    [(unavailable(), ServerError), (UNREACHABLE, APIConnectionError)],
    ids=["503", "no answer"],
)
def test_a_read_gives_up_after_max_retries(
    sdk: Sdk, fake_api: FakeApi, waits: list[float], failure: Reply, error_type: type[UniqueError]
) -> None:
    fake_api.script = [failure, failure, failure, ok(USER_JSON)]

    with pytest.raises(error_type):
        sdk(lambda client: client.users.me(), max_retries=2)

    assert len(fake_api.requests) == 3


def test_rate_limit_error_carries_retry_after_once_retries_run_out(
    sdk: Sdk, fake_api: FakeApi, waits: list[float]
) -> None:
    fake_api.script = [rate_limited("7")]

    with pytest.raises(RateLimitError) as caught:
        sdk(lambda client: client.users.me(), max_retries=0)

    assert (caught.value.status, caught.value.code, caught.value.retry_after) == (
        429,
        "RATE_LIMITED",
        7.0,
    )
    assert waits == []
