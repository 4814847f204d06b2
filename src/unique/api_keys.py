"""API keys: create, list, revoke, and authenticate a presented key.

Only a key's SHA-256 and a short hint are stored; the plain key exists in the return value of
:func:`create_key` and nowhere else. Checking a presented key is ``unique.auth``'s.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unique import audit, keys
from unique.actor import Actor
from unique.db.reads import Query, Reads, Row
from unique.db.tables import ApiKey, User, utcnow
from unique.errors import NotFound
from unique.last_use import LastUseRecorder
from unique.names import clean_name

KEY_NAME_MAX_LENGTH = 64


@dataclass(frozen=True)
class NewKey:
    """A freshly created key. ``secret`` must reach the user once and then be forgotten."""

    id: int
    secret: str
    name: str
    created_at: datetime
    created_by: uuid.UUID

    def __repr__(self) -> str:
        return f"NewKey(id={self.id}, name={self.name!r}, secret=<hidden>)"


def clean_key_name(value: object) -> str:
    return clean_name(value, field="key_name", max_length=KEY_NAME_MAX_LENGTH)


async def create_key(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    name: str,
    actor: Actor,
) -> NewKey:
    """A new key of ``owner_id``'s, created by the actor's user."""
    created_by = actor.acting_user()
    secret = keys.generate()
    row = ApiKey(
        owner_id=owner_id,
        created_by=created_by,
        name=clean_key_name(name),
        token_hash=keys.digest(secret),
        hint=keys.hint(secret),
        last_used_from_addr="",
    )
    session.add(row)
    await session.flush()
    audit.record(session, "api_key.create", actor, account_id=owner_id, target_id=str(row.id))
    return NewKey(
        id=row.id, secret=secret, name=row.name, created_at=row.created_at, created_by=created_by
    )


# A key as the API and the Console show it, with its creator; read by column name.
_KEYS = select(
    ApiKey.id,
    ApiKey.name,
    ApiKey.hint,
    ApiKey.created_at,
    ApiKey.last_used_at,
    ApiKey.last_used_from_addr,
    ApiKey.revoked_at.is_not(None).label("revoked"),
    User.id.label("creator_id"),
    User.name.label("creator_name"),
    User.image.label("creator_image"),
).join(User, User.id == ApiKey.created_by)

_ACTIVE_KEYS_OF_OWNER = Query(
    _KEYS.where(ApiKey.owner_id == bindparam("owner_id"), ApiKey.revoked_at.is_(None)).order_by(
        ApiKey.id.desc()
    )
)


async def list_active_keys(reads: Reads, owner_id: uuid.UUID) -> list[Row]:
    """The account's unrevoked keys, newest first (an account may hold 10,000 of them)."""
    return await reads.all(_ACTIVE_KEYS_OF_OWNER, owner_id=owner_id)


async def revoke_key(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    key_id: int,
    actor: Actor,
    last_use: LastUseRecorder | None = None,
) -> Row:
    """Revoke one of the account's keys; revoking a revoked key changes nothing.

    A use of the key this process has noted but not yet written (the revoking request itself,
    when a key revokes itself) is written here, so the answer shows the key's latest use.
    """
    owned = and_(ApiKey.id == key_id, ApiKey.owner_id == owner_id)
    if await session.scalar(select(ApiKey.id).where(owned)) is None:
        raise NotFound(f"API key {key_id} not found")
    revoked = await session.execute(
        update(ApiKey)
        .where(owned, ApiKey.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_by=actor.user_id)
    )
    pending_use = last_use.take(key_id) if last_use is not None else None
    if pending_use is not None:
        await session.execute(
            update(ApiKey)
            .where(
                owned,
                or_(ApiKey.last_used_at.is_(None), ApiKey.last_used_at <= pending_use.at),
            )
            .values(last_used_at=pending_use.at, last_used_from_addr=pending_use.address)
        )
    if revoked.rowcount:  # type: ignore[attr-defined]
        audit.record(session, "api_key.revoke", actor, account_id=owner_id, target_id=str(key_id))
    return (await session.execute(_KEYS.where(owned))).one()


async def revoked_key_name(session: AsyncSession, owner_id: uuid.UUID, key_id: int) -> str | None:
    """The name of one of the account's revoked keys (for a confirmation notice), else None."""
    return await session.scalar(
        select(ApiKey.name).where(
            ApiKey.id == key_id, ApiKey.owner_id == owner_id, ApiKey.revoked_at.is_not(None)
        )
    )
