"""What one server process holds for its lifetime: settings, database, last-use recorder."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from unique.config import Settings
from unique.db.engine import create_engine, session_factory
from unique.last_use import LastUseRecorder


@dataclass
class Runtime:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    last_use: LastUseRecorder

    @classmethod
    def create(cls, settings: Settings) -> Runtime:
        engine = create_engine(settings)
        sessions = session_factory(engine)
        return cls(
            settings=settings,
            engine=engine,
            sessions=sessions,
            last_use=LastUseRecorder(sessions, settings.last_use_flush_seconds),
        )

    async def start(self) -> None:
        self.last_use.start()

    async def stop(self) -> None:
        await self.last_use.stop()
        await self.engine.dispose()
