"""What one server process holds for its lifetime: settings, database, last-use recorder, limits."""

from __future__ import annotations

from dataclasses import dataclass

from redis.asyncio import Redis
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from unique import accounts
from unique.auth.verify import Verifier
from unique.config import Settings
from unique.db.engine import create_engine, session_factory
from unique.db.reads import Reads, open_reads
from unique.instance import shared_secret_key
from unique.last_use import LastUseRecorder
from unique.ratelimit import Counter, LocalCounter, RedisCounter, connect_redis
from unique.throttle import AttemptWindow, LocalWindow, RedisWindow

LOGIN_WINDOW_SECONDS = 15 * 60
# Failed sign-ins allowed within the window for one account from one address, and from one
# address whatever the accounts: a stranger's guesses never lock the owner out of their address.
LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = 5
LOGIN_FAILURES_PER_ADDRESS = 20
SIGNUP_WINDOW_SECONDS = 60 * 60


@dataclass
class Throttles:
    """The Console's brakes (see unique.throttle)."""

    login_failures_by_account_and_address: AttemptWindow
    login_failures_by_address: AttemptWindow
    signups_by_address: AttemptWindow


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    # The hot path's reads (keys, listings), outside any session: see unique.db.reads.
    reads: Reads
    last_use: LastUseRecorder
    throttles: Throttles
    # The key's path (see unique.auth).
    verifier: Verifier
    redis: Redis | None = None
    secret_key: str = ""

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        accounts.use_password_hash_cost(settings.password_hash_cost)
        engine = create_engine(settings)
        sessions = session_factory(engine)
        redis = connect_redis(settings.redis_url) if settings.redis_url else None
        reads = open_reads(settings)
        last_use = LastUseRecorder(sessions, settings.last_use_flush_seconds)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            reads=reads,
            last_use=last_use,
            throttles=_throttles(settings, redis),
            verifier=Verifier(reads, last_use, settings, _counter(settings, redis)),
            redis=redis,
        )

    async def start(self) -> None:
        self.secret_key = self.settings.secret_key or await shared_secret_key(self.sessions)
        self.verifier.warm_up()
        self.last_use.start()

    async def stop(self) -> None:
        await self.last_use.stop()
        if self.redis is not None:
            await self.redis.aclose()
        await self.reads.close()
        await self.engine.dispose()


def _counter(settings: Settings, redis: Redis | None) -> Counter | None:
    if not settings.rate_limits:
        return None
    return RedisCounter(redis) if redis is not None else LocalCounter()


def _throttles(settings: Settings, redis: Redis | None) -> Throttles:
    def window(name: str, limit: int, seconds: float) -> AttemptWindow:
        if redis is None:
            return LocalWindow(limit, seconds)
        return RedisWindow(redis, name, limit, seconds)

    return Throttles(
        login_failures_by_account_and_address=window(
            "login-account-address", LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS, LOGIN_WINDOW_SECONDS
        ),
        login_failures_by_address=window(
            "login-address", LOGIN_FAILURES_PER_ADDRESS, LOGIN_WINDOW_SECONDS
        ),
        signups_by_address=window(
            "signup-address", settings.signups_per_hour, SIGNUP_WINDOW_SECONDS
        ),
    )
