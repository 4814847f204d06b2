"""What one server process holds for its lifetime: settings, database, last-use recorder."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from unique import api_keys
from unique.config import Settings
from unique.db.engine import create_engine, session_factory
from unique.db.reads import Reads, open_reads
from unique.instance import shared_secret_key
from unique.last_use import LastUseRecorder
from unique.ratelimit import Counter, LocalCounter, RedisCounter, redis_counter
from unique.throttle import FailureWindow

LOGIN_WINDOW_SECONDS = 15 * 60


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # The hot path's reads (keys, listings), outside any session: see unique.db.reads.
    reads: Reads
    last_use: LastUseRecorder
    # Failed Console logins, per account and per address; when either is exhausted, wait.
    login_failures_by_account: FailureWindow
    login_failures_by_address: FailureWindow
    # Rate-limit counters: None when UNIQUE_RATE_LIMITS is off.
    limits: Counter | None = None
    secret_key: str = ""

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        engine = create_engine(settings)
        sessions = session_factory(engine)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            reads=open_reads(settings),
            last_use=LastUseRecorder(sessions, settings.last_use_flush_seconds),
            login_failures_by_account=FailureWindow(5, LOGIN_WINDOW_SECONDS),
            login_failures_by_address=FailureWindow(20, LOGIN_WINDOW_SECONDS),
            limits=_counter(settings),
        )

    async def start(self) -> None:
        self.secret_key = self.settings.secret_key or await shared_secret_key(self.sessions)
        api_keys.warm_up(self.reads)
        self.last_use.start()

    async def stop(self) -> None:
        await self.last_use.stop()
        if isinstance(self.limits, RedisCounter):
            await self.limits.close()
        await self.reads.close()
        await self.engine.dispose()


def _counter(settings: Settings) -> Counter | None:
    if not settings.rate_limits:
        return None
    return redis_counter(settings.redis_url) if settings.redis_url else LocalCounter()
