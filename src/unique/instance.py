"""Deployment-wide values every node must share, generated once and kept in the database."""

from __future__ import annotations

import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from unique.db.tables import InstanceSetting

SIGNING_SETTING = "console_signing_key"


async def shared_secret_key(sessions: async_sessionmaker[AsyncSession]) -> str:
    """The key that signs Console CSRF tokens: the first node to start creates it."""
    async with sessions() as session:
        stored = await session.get(InstanceSetting, SIGNING_SETTING)
        if stored is not None:
            return stored.value
        session.add(InstanceSetting(name=SIGNING_SETTING, value=secrets.token_urlsafe(48)))
        try:
            await session.commit()
        except IntegrityError:
            await session.rollback()
    async with sessions() as session:
        stored = await session.get(InstanceSetting, SIGNING_SETTING)
        assert stored is not None
        return stored.value
