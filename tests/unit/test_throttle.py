"""Attempt windows: at most ``limit`` attempts per key within the window, in process or in
Redis, with a clock the tests move by hand."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from unique.ratelimit import connect_redis
from unique.throttle import AttemptWindow, LocalWindow, RedisWindow

REDIS_URL = "redis://127.0.0.1:6379/0"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    client = connect_redis(REDIS_URL)
    try:
        await client.ping()
    except OSError:
        pytest.skip("Redis is not reachable")
    yield client
    await client.aclose()


@pytest.fixture(params=["local", "redis"])
async def window(request: pytest.FixtureRequest, clock: Clock, redis: Redis) -> AttemptWindow:
    if request.param == "local":
        return LocalWindow(3, 60, clock)
    # A name of its own, so that runs never see each other's attempts.
    return RedisWindow(redis, f"test-{uuid.uuid4().hex}", 3, 60, clock)


async def test_attempts_past_the_limit_are_refused_until_the_oldest_expires(
    window: AttemptWindow, clock: Clock
) -> None:
    for _ in range(3):
        assert (await window.reserve("k")).retry_after is None
        clock.now += 10
    refused = await window.reserve("k")
    assert refused.retry_after == 30
    clock.now += 30
    assert (await window.reserve("k")).retry_after is None


async def test_a_refused_attempt_does_not_extend_the_wait(
    window: AttemptWindow, clock: Clock
) -> None:
    for _ in range(3):
        await window.reserve("k")
    for _ in range(5):
        assert (await window.reserve("k")).retry_after == 60
    clock.now += 60
    assert (await window.reserve("k")).retry_after is None


async def test_a_released_attempt_frees_its_place(window: AttemptWindow) -> None:
    first = await window.reserve("k")
    await window.reserve("k")
    await window.reserve("k")
    await window.release(first)
    assert (await window.reserve("k")).retry_after is None
    assert (await window.reserve("k")).retry_after is not None


async def test_keys_are_counted_apart_and_cleared_alone(window: AttemptWindow) -> None:
    for _ in range(3):
        await window.reserve("a")
    assert (await window.reserve("b")).retry_after is None
    await window.clear("a")
    assert (await window.reserve("a")).retry_after is None


async def test_without_redis_each_process_still_counts(clock: Clock) -> None:
    unreachable = connect_redis("redis://127.0.0.1:1/0")
    window = RedisWindow(unreachable, "gone", 2, 60, clock)
    try:
        assert (await window.reserve("k")).retry_after is None
        assert (await window.reserve("k")).retry_after is None
        assert (await window.reserve("k")).retry_after == 60
    finally:
        await unreachable.aclose()
