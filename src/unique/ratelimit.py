"""Rate limits: fixed-window counters, in Redis when configured (shared by every node), else in
this process.

When Redis cannot be reached the service keeps serving without limits (fails open) and says so
in the log, once per outage; counting resumes as soon as Redis answers again.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Verdict:
    """The state of one counter after a hit."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int


class Counter(Protocol):
    async def hit(self, name: str, limit: int, window_seconds: int) -> Verdict | None:
        """Count one event against ``name``; None when the count could not be kept."""


def _window(window_seconds: int, now: float) -> tuple[int, int]:
    """The current window's number and the seconds until it ends."""
    index = int(now // window_seconds)
    return index, max(1, math.ceil((index + 1) * window_seconds - now))


def _verdict(count: int, limit: int, reset: int) -> Verdict:
    return Verdict(count <= limit, limit, max(0, limit - count), reset)


class LocalCounter:
    """Counters in this process: exact for one process, per process when there are several."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        # name -> (end of its window, count in it)
        self._counts: dict[str, tuple[float, int]] = {}
        self._next_sweep = 0.0

    async def hit(self, name: str, limit: int, window_seconds: int) -> Verdict:
        now = self._clock()
        index, reset = _window(window_seconds, now)
        ends = (index + 1) * window_seconds
        window_end, count = self._counts.get(name, (ends, 0))
        count = count + 1 if window_end == ends else 1
        self._counts[name] = (ends, count)
        if now >= self._next_sweep:
            self._forget_ended(now)
        return _verdict(count, limit, reset)

    def _forget_ended(self, now: float) -> None:
        """Drop counters whose window is over; at most once a second, so it stays cheap."""
        self._counts = {name: entry for name, entry in self._counts.items() if entry[0] > now}
        self._next_sweep = now + 1


class RedisCounter:
    """Counters in Redis, so that every node sees the same totals."""

    def __init__(self, redis: Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock
        self._healthy = True

    async def hit(self, name: str, limit: int, window_seconds: int) -> Verdict | None:
        index, reset = _window(window_seconds, self._clock())
        key = f"unique:rl:{name}:{index}"
        try:
            async with self._redis.pipeline(transaction=True) as pipeline:
                pipeline.incr(key)
                pipeline.expire(key, window_seconds + 1)
                count, _ = await pipeline.execute()
        except (RedisError, OSError) as error:
            if self._healthy:
                log.warning("rate limits off: Redis unreachable (%s)", type(error).__name__)
                self._healthy = False
            return None
        if not self._healthy:
            log.warning("rate limits on again: Redis answers")
            self._healthy = True
        return _verdict(int(count), limit, reset)


def connect_redis(url: str) -> Redis:
    """A client that gives up quickly: every limit fails over rather than hold a request."""
    return Redis.from_url(url, socket_timeout=0.25, socket_connect_timeout=0.25)
