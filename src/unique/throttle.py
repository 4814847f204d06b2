"""Brakes on the Console's costly anonymous forms: password guessing at sign-in, mass sign-up.

Each brake is a sliding window of attempts per key (an address, or an account and an address):
at most ``limit`` within ``window`` seconds. An attempt is *reserved* before the work it guards
(an Argon2 hash, deliberately slow), so concurrent attempts cannot all slip past one check, and
*released* when it should not count after all (a sign-in that succeeded, a form sent back for a
typo). With Redis configured the windows live there, shared by every worker and node; without it,
or while Redis cannot be reached, each process counts on its own.
"""

from __future__ import annotations

import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Reservation:
    """One attempt counted in a window; ``retry_after`` is set when it was refused."""

    key: str
    token: str
    retry_after: int | None = None


class AttemptWindow(Protocol):
    limit: int
    window: float

    async def reserve(self, key: str) -> Reservation:
        """Count an attempt for ``key``; refused (and not counted) when the window is full."""

    async def release(self, reservation: Reservation) -> None:
        """Stop counting an attempt that should not count after all."""

    async def clear(self, key: str) -> None:
        """Forget every attempt of ``key``."""


def _wait(times: list[float], limit: int, window: float, now: float) -> int:
    """Seconds until fewer than ``limit`` of the attempts at ``times`` (oldest first) remain."""
    frees_a_place = times[len(times) - limit]
    return max(1, math.ceil(frees_a_place + window - now))


class LocalWindow:
    """A window in this process: exact for one process, per process when there are several."""

    def __init__(
        self, limit: int, window: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._attempts: dict[str, dict[str, float]] = {}

    def _recent(self, key: str, now: float) -> dict[str, float]:
        attempts = self._attempts.get(key, {})
        horizon = now - self.window
        recent = {token: at for token, at in attempts.items() if at > horizon}
        if recent:
            self._attempts[key] = recent
        else:
            self._attempts.pop(key, None)
        return recent

    async def reserve(self, key: str) -> Reservation:
        now = self._clock()
        recent = self._recent(key, now)
        if len(recent) >= self.limit:
            times = sorted(recent.values())
            return Reservation(key, "", _wait(times, self.limit, self.window, now))
        token = secrets.token_hex(8)
        self._attempts.setdefault(key, {})[token] = now
        return Reservation(key, token)

    async def release(self, reservation: Reservation) -> None:
        self._attempts.get(reservation.key, {}).pop(reservation.token, None)

    async def clear(self, key: str) -> None:
        self._attempts.pop(key, None)


class RedisWindow:
    """A window in Redis (a sorted set of attempts by time), the same for every process.

    While Redis cannot be reached the process counts in its own window instead, and says so in
    the log once per outage: a brake that fails open would let guessing run free."""

    def __init__(
        self,
        redis: Redis,
        name: str,
        limit: int,
        window: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.limit = limit
        self.window = window
        self._redis = redis
        self._name = name
        self._clock = clock
        self._fallback = LocalWindow(limit, window, clock)
        self._healthy = True

    def _redis_key(self, key: str) -> str:
        return f"unique:throttle:{self._name}:{key}"

    async def reserve(self, key: str) -> Reservation:
        now = self._clock()
        redis_key = self._redis_key(key)
        token = f"{now:.6f}:{secrets.token_hex(8)}"
        try:
            async with self._redis.pipeline(transaction=True) as pipeline:
                pipeline.zremrangebyscore(redis_key, "-inf", now - self.window)
                pipeline.zadd(redis_key, {token: now})
                pipeline.zcard(redis_key)
                pipeline.expire(redis_key, math.ceil(self.window) + 1)
                _, _, count, _ = await pipeline.execute()
            if int(count) <= self.limit:
                self._back()
                return Reservation(key, token)
            async with self._redis.pipeline(transaction=True) as pipeline:
                pipeline.zrem(redis_key, token)
                pipeline.zrange(redis_key, 0, -1, withscores=True)
                _, entries = await pipeline.execute()
        except (RedisError, OSError) as error:
            self._gone(error)
            return await self._fallback.reserve(key)
        self._back()
        times = [float(score) for _, score in entries]
        if len(times) < self.limit:
            # Another attempt was released in between: rare enough to ask for a retry at once.
            return Reservation(key, "", 1)
        return Reservation(key, "", _wait(times, self.limit, self.window, now))

    async def release(self, reservation: Reservation) -> None:
        try:
            await self._redis.zrem(self._redis_key(reservation.key), reservation.token)
        except (RedisError, OSError) as error:
            self._gone(error)
        await self._fallback.release(reservation)

    async def clear(self, key: str) -> None:
        try:
            await self._redis.delete(self._redis_key(key))
        except (RedisError, OSError) as error:
            self._gone(error)
        await self._fallback.clear(key)

    def _gone(self, error: BaseException) -> None:
        if self._healthy:
            log.warning(
                "Console throttles counted per process: Redis unreachable (%s)",
                type(error).__name__,
            )
            self._healthy = False

    def _back(self) -> None:
        if not self._healthy:
            log.warning("Console throttles shared again: Redis answers")
            self._healthy = True
