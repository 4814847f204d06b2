"""API keys: create, list, revoke, and authenticate a presented key.

Only a key's SHA-256 and a short hint are stored; the plain key exists in the return value of
:func:`create_key` and nowhere else. Authentication reads the database on every call, with no
cache, so that a revocation committed on any node is seen by the very next request on every node.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Select, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unique import audit, keys
from unique.db.reads import BOOLEAN, TIMESTAMP, UUID, VALUE, Lookup, Reads, Statement
from unique.db.tables import ApiKey, User, utcnow
from unique.errors import NotFound
from unique.last_use import LastUseRecorder
from unique.names import clean_name

KEY_NAME_MAX_LENGTH = 64


@dataclass(frozen=True)
class Principal:
    """Who a valid key speaks for."""

    key_id: int
    owner_id: uuid.UUID


# Named tuples rather than dataclasses: a listing builds 10,000 of them, and a tuple is the
# cheapest immutable record Python has.
class Creator(NamedTuple):
    id: uuid.UUID
    name: str
    image: str


class KeyRecord(NamedTuple):
    id: int
    name: str
    hint: str
    created_at: datetime
    created_by: Creator
    last_used_at: datetime | None
    last_used_from_addr: str
    revoked: bool


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
    created_by: uuid.UUID,
    name: str,
    actor_key_id: int | None = None,
    source_addr: str = "",
) -> NewKey:
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
    audit.record(
        session,
        "api_key.create",
        account_id=owner_id,
        actor_user_id=created_by,
        actor_key_id=actor_key_id,
        target_id=str(row.id),
        source_addr=source_addr,
    )
    return NewKey(
        id=row.id, secret=secret, name=row.name, created_at=row.created_at, created_by=created_by
    )


def _records_query() -> Select[*tuple[Any, ...]]:
    return select(
        ApiKey.id,
        ApiKey.name,
        ApiKey.hint,
        ApiKey.created_at,
        ApiKey.last_used_at,
        ApiKey.last_used_from_addr,
        ApiKey.revoked_at,
        User.id.label("creator_id"),
        User.name.label("creator_name"),
        User.image.label("creator_image"),
    ).join(User, User.id == ApiKey.created_by)


def _record(row: Sequence[Any], creators: dict[uuid.UUID, Creator]) -> KeyRecord:
    (key_id, name, hint, created_at, last_used_at, address, revoked_at) = row[:7]
    creator_id = row[7]
    creator = creators.get(creator_id)
    if creator is None:
        creator = creators[creator_id] = Creator(creator_id, row[8], row[9])
    return KeyRecord(
        key_id, name, hint, created_at, creator, last_used_at, address, revoked_at is not None
    )


_ACTIVE_KEYS_OF_OWNER = Statement(
    "SELECT k.id, k.name, k.hint, k.created_at, k.last_used_at, k.last_used_from_addr, "
    "k.revoked_at, u.id, u.name, u.image FROM api_keys k JOIN users u ON u.id = k.created_by "
    "WHERE k.owner_id = ? AND k.revoked_at IS NULL ORDER BY k.id DESC",
    (VALUE, VALUE, VALUE, TIMESTAMP, TIMESTAMP, VALUE, TIMESTAMP, UUID, VALUE, VALUE),
)


async def list_active_keys(reads: Reads, owner_id: uuid.UUID) -> list[KeyRecord]:
    """The account's unrevoked keys, newest first (an account may hold 10,000 of them)."""
    creators: dict[uuid.UUID, Creator] = {}
    return [_record(row, creators) for row in await reads.all(_ACTIVE_KEYS_OF_OWNER, owner_id)]


async def revoke_key(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    key_id: int,
    actor_user_id: uuid.UUID | None,
    actor_key_id: int | None = None,
    last_use: LastUseRecorder | None = None,
    source_addr: str = "",
) -> KeyRecord:
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
        .values(revoked_at=utcnow(), revoked_by=actor_user_id)
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
        audit.record(
            session,
            "api_key.revoke",
            account_id=owner_id,
            actor_user_id=actor_user_id,
            actor_key_id=actor_key_id,
            target_id=str(key_id),
            source_addr=source_addr,
        )
    return _record((await session.execute(_records_query().where(owned))).one(), {})


# By the hash alone, so that both databases use its unique index whatever their statistics say
# (PostgreSQL would otherwise pick the index of active keys and filter every row in it).
_KEY_BY_HASH = Lookup(
    table="api_keys",
    key="token_hash",
    selected="id, owner_id, revoked_at IS NULL, expires_at",
    columns=(VALUE, UUID, BOOLEAN, TIMESTAMP),
)


def warm_up(reads: Reads) -> None:
    """Bring the index of key hashes into memory before the first request needs it."""
    reads.warm(_KEY_BY_HASH)


async def authenticate(reads: Reads, presented: str) -> Principal | None:
    """The principal of a valid, unrevoked, unexpired key; None for anything else.

    Malformed strings and bad checksums are turned away before storage is touched; a
    well-formed key costs one indexed read outside any transaction.
    """
    try:
        key = keys.check(presented)
    except keys.MalformedKey:
        return None
    found = await reads.look_up(_KEY_BY_HASH, keys.digest(key))
    if found is None:
        return None
    key_id, owner_id, active, expires_at = found
    if expires_at is not None and expires_at.tzinfo is None:
        # Only PostgreSQL's ±infinity, set by hand, arrives naive (as datetime.max or .min).
        expires_at = expires_at.replace(tzinfo=UTC)
    if not active or (expires_at is not None and expires_at <= utcnow()):
        return None
    return Principal(key_id=key_id, owner_id=owner_id)


async def revoked_key_name(session: AsyncSession, owner_id: uuid.UUID, key_id: int) -> str | None:
    """The name of one of the account's revoked keys (for a confirmation notice), else None."""
    return await session.scalar(
        select(ApiKey.name).where(
            ApiKey.id == key_id, ApiKey.owner_id == owner_id, ApiKey.revoked_at.is_not(None)
        )
    )
