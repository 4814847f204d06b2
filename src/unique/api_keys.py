"""API keys: create, list, revoke and rotate.

Only a key's SHA-256 and a short hint are stored; the plain key exists in the return value of
:func:`create_key` (or :func:`rotate_key`) and nowhere else. What a key may do is its ``Access``
(``unique.auth.access``); checking a presented key is ``unique.auth``'s.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from sqlalchemy import String, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unique import audit, keys
from unique.actor import Actor
from unique.auth.access import (
    FULL_ACCESS,
    Access,
    Scope,
    scopes_from_column,
    stored_scopes,
)
from unique.db.reads import Query, Reads, Row
from unique.db.tables import ApiKey, Project, User, utcnow
from unique.errors import Conflict, Forbidden, InvalidInput, NotFound
from unique.last_use import LastUseRecorder
from unique.names import clean_name
from unique.projects import reachable_by

KEY_NAME_MAX_LENGTH = 64
# A key asked to expire sooner would be gone before its creator had stored it.
SHORTEST_LIFETIME = timedelta(seconds=60)
LONGEST_GRACE_PERIOD = timedelta(days=7)


@dataclass(frozen=True)
class NewKey:
    """A freshly created key. ``secret`` must reach the user once and then be forgotten."""

    id: int
    secret: str
    name: str
    created_at: datetime
    created_by: uuid.UUID
    access: Access = FULL_ACCESS

    def __repr__(self) -> str:
        return f"NewKey(id={self.id}, name={self.name!r}, secret=<hidden>)"


def clean_key_name(value: object) -> str:
    return clean_name(value, field="key_name", max_length=KEY_NAME_MAX_LENGTH)


def whole_seconds(instant: datetime) -> datetime:
    """An end as the API shows it: a key expires at the very second its listing states."""
    return instant.replace(microsecond=0)


@dataclass(frozen=True)
class Requested:
    """The access a creator asks for; None where it asked nothing, so the key gets the most its
    creator may give: every scope, the creator's project and end (for a key, its own)."""

    scopes: frozenset[Scope] | None = None
    project_id: str | None = None
    expires_at: datetime | None = None


@dataclass(frozen=True)
class LifetimePolicy:
    """The deployment's rule for how long a key may live (``UNIQUE_KEY_MAX_LIFETIME_DAYS``)."""

    max_days: int | None = None

    def latest_end(self, now: datetime) -> datetime | None:
        if self.max_days is None:
            return None
        return whole_seconds(now + timedelta(days=self.max_days))


async def _granted(
    session: AsyncSession,
    owner_id: uuid.UUID,
    requested: Requested,
    grantor: Access,
    policy: LifetimePolicy,
    now: datetime,
) -> Access:
    """The access a new key gets: what was asked, checked (400 naming the field), with the
    grantor's own limits where nothing was asked, never more than the grantor holds (403)."""
    latest = policy.latest_end(now)
    expires_at = requested.expires_at
    if expires_at is not None:
        if expires_at < now + SHORTEST_LIFETIME:
            raise InvalidInput("expires_at", "expires_at must be at least 60 seconds from now.")
        if latest is not None and expires_at > latest:
            raise InvalidInput(
                "expires_at",
                f"expires_at must be at most {policy.max_days} days from now "
                "(this deployment's longest key lifetime).",
            )
    else:
        expires_at = grantor.expires_at or latest
    project_id = requested.project_id
    if project_id is not None:
        found = await session.scalar(
            select(Project.id).where(Project.id == project_id, reachable_by(owner_id))
        )
        if found is None:
            raise InvalidInput(
                "project_id", f"project_id: no project {project_id} in this account."
            )
    else:
        project_id = grantor.project_id
    scopes = requested.scopes if requested.scopes is not None else grantor.scopes
    granted = Access(scopes, project_id, expires_at)
    escalation = grantor.escalation_in(granted)
    if escalation:
        raise Forbidden(escalation)
    return granted


async def create_key(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    name: str,
    actor: Actor,
    requested: Requested = Requested(),
    grantor: Access = FULL_ACCESS,
    policy: LifetimePolicy = LifetimePolicy(),
) -> NewKey:
    """A new key of ``owner_id``'s, created by the actor's user, with the access ``requested``
    of ``grantor`` (the creating key's access; full for a person in the Console)."""
    now = utcnow()
    name = clean_key_name(name)
    access = await _granted(session, owner_id, requested, grantor, policy, now)
    new_key = await _insert_key(session, owner_id, name, access, actor, now)
    audit.record(session, "api_key.create", actor, account_id=owner_id, target_id=str(new_key.id))
    return new_key


async def _insert_key(
    session: AsyncSession,
    owner_id: uuid.UUID,
    name: str,
    access: Access,
    actor: Actor,
    now: datetime,
) -> NewKey:
    created_by = actor.acting_user()
    secret = keys.generate()
    row = ApiKey(
        owner_id=owner_id,
        created_by=created_by,
        name=name,
        token_hash=keys.digest(secret),
        hint=keys.hint(secret),
        created_at=now,
        last_used_from_addr="",
        scopes=stored_scopes(access.scopes),
        project_id=access.project_id,
        expires_at=access.expires_at,
    )
    session.add(row)
    await session.flush()
    return NewKey(row.id, secret, row.name, row.created_at, created_by, access)


@dataclass(frozen=True)
class RotatedKey:
    new_key: NewKey
    rotated_from: int


async def rotate_key(
    session: AsyncSession,
    *,
    owner_id: uuid.UUID,
    key_id: int,
    grace_period: timedelta,
    actor: Actor,
    grantor: Access = FULL_ACCESS,
) -> RotatedKey:
    """Replace one of the account's keys by a new one with the same name, access and lifetime
    length; the old key keeps working for ``grace_period`` (none: revoked at once).

    A key is rotated once (409 after that): a second replacement would leave two keys the
    owner believes current. The row is locked first, so two concurrent rotations of one key
    cannot both succeed."""
    if not timedelta(0) <= grace_period <= LONGEST_GRACE_PERIOD:
        raise InvalidInput(
            "grace_period_seconds", "grace_period_seconds must be between 0 and 604800."
        )
    old = await session.scalar(
        select(ApiKey).where(ApiKey.id == key_id, ApiKey.owner_id == owner_id).with_for_update()
    )
    if old is None:
        raise NotFound(f"API key {key_id} not found")
    if old.rotated_to is not None:
        raise Conflict(f"API key {key_id} was already rotated to key {old.rotated_to}.")
    if old.revoked_at is not None:
        raise Conflict(f"API key {key_id} is revoked; a revoked key cannot be rotated.")
    now = utcnow()
    lifetime = None if old.expires_at is None else old.expires_at - old.created_at
    expires_at = None if lifetime is None else whole_seconds(now + lifetime)
    access = Access(scopes_from_column(old.scopes), old.project_id, expires_at)
    escalation = grantor.escalation_in(access)
    if escalation:
        raise Forbidden(escalation)
    new_key = await _insert_key(session, owner_id, old.name, access, actor, now)
    old.rotated_to = new_key.id
    if grace_period:
        grace_end = whole_seconds(now + grace_period)
        old.expires_at = grace_end if old.expires_at is None else min(old.expires_at, grace_end)
    else:
        old.revoked_at = now
        old.revoked_by = actor.user_id
    await session.flush()
    audit.record(session, "api_key.rotate", actor, account_id=owner_id, target_id=str(key_id))
    return RotatedKey(new_key, rotated_from=key_id)


# A key as the API and the Console show it, with its creator; read by column name.
_KEYS = select(
    ApiKey.id,
    ApiKey.name,
    ApiKey.hint,
    ApiKey.created_at,
    ApiKey.last_used_at,
    ApiKey.last_used_from_addr,
    ApiKey.expires_at,
    ApiKey.scopes,
    ApiKey.project_id,
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


# Console listing: a page of keys at a time, found by name, narrowed to the keys that need care.
KEY_SEARCH_MAX_LENGTH = KEY_NAME_MAX_LENGTH
KEY_PAGE_MAX_LIMIT = 200
UNUSED_FOR = timedelta(days=90)


class KeyFilter(StrEnum):
    """Which of the account's active keys a page lists."""

    ALL = "all"
    EXPIRED = "expired"
    NEVER_USED = "never-used"
    UNUSED_90_DAYS = "unused-90-days"


@dataclass(frozen=True)
class KeyPage:
    """Up to ``limit`` keys, newest first, and whether keys lie beyond each end of the page
    (the ids to page on are the first and last key's)."""

    keys: list[Row]
    has_newer: bool
    has_older: bool


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@cache
def _page_query(direction: str, searching: bool, key_filter: KeyFilter) -> Query:
    """One page of an owner's active keys; every variant walks ix_api_keys_active_by_owner
    (owner_id, id where not revoked) in id order from the cursor, and stops after ``limit``
    matching rows. ``direction``: "first" (newest), "older" (id < before, newest first) or
    "newer" (id > after, oldest first: the caller turns the page round)."""
    statement = _KEYS.add_columns(ApiKey.rotated_to).where(
        ApiKey.owner_id == bindparam("owner_id"), ApiKey.revoked_at.is_(None)
    )
    if direction == "older":
        statement = statement.where(ApiKey.id < bindparam("cursor"))
    elif direction == "newer":
        statement = statement.where(ApiKey.id > bindparam("cursor"))
    if searching:
        pattern = bindparam("pattern", type_=String)
        statement = statement.where(func.lower(ApiKey.name).like(pattern, escape="\\"))
    now = bindparam("now", type_=ApiKey.expires_at.type)
    cutoff = bindparam("cutoff", type_=ApiKey.last_used_at.type)
    if key_filter is KeyFilter.EXPIRED:
        statement = statement.where(ApiKey.expires_at.is_not(None), ApiKey.expires_at <= now)
    elif key_filter is KeyFilter.NEVER_USED:
        statement = statement.where(ApiKey.last_used_at.is_(None))
    elif key_filter is KeyFilter.UNUSED_90_DAYS:
        # Not used since the cutoff; a key never used counts once it is older than that.
        statement = statement.where(
            or_(
                ApiKey.last_used_at < cutoff,
                and_(ApiKey.last_used_at.is_(None), ApiKey.created_at < cutoff),
            )
        )
    order = ApiKey.id.asc() if direction == "newer" else ApiKey.id.desc()
    return Query(statement.order_by(order).limit(bindparam("limit")))


async def page_of_keys(
    reads: Reads,
    owner_id: uuid.UUID,
    *,
    search: str = "",
    key_filter: KeyFilter = KeyFilter.ALL,
    before: int | None = None,
    after: int | None = None,
    limit: int = 50,
    now: datetime | None = None,
) -> KeyPage:
    """A page of the account's active keys, newest first: the newest, those older than
    ``before`` or those newer than ``after`` (keyset paging: keys created or revoked meanwhile
    never make a key appear twice or not at all as one pages on). ``search`` matches a part of
    the name, case-insensitively. With ``after``, a page that reaches the newest key is the
    first page."""
    if not 1 <= limit <= KEY_PAGE_MAX_LIMIT:
        raise InvalidInput("limit", f"limit must be between 1 and {KEY_PAGE_MAX_LIMIT}.")
    search = search.strip()
    if len(search) > KEY_SEARCH_MAX_LENGTH:
        raise InvalidInput("search", f"search must be at most {KEY_SEARCH_MAX_LENGTH} characters.")
    if before is not None and after is not None:
        raise InvalidInput("before", "before and after cannot be given together.")
    now = now or utcnow()
    params: dict[str, object] = {
        "owner_id": owner_id,
        "limit": limit + 1,
        "now": now,
        "cutoff": now - UNUSED_FOR,
    }
    if search:
        params["pattern"] = f"%{_escape_like(search.lower())}%"

    async def rows(direction: str, cursor: int | None) -> list[Row]:
        query = _page_query(direction, bool(search), key_filter)
        if cursor is not None:
            return await reads.all(query, cursor=cursor, **params)
        return await reads.all(query, **params)

    if after is not None:
        newer = await rows("newer", after)
        if len(newer) > limit:
            return KeyPage(newer[:limit][::-1], has_newer=True, has_older=True)
        before = None  # back at the newest keys: the first page, full
    if before is not None:
        older = await rows("older", before)
        return KeyPage(older[:limit], has_newer=True, has_older=len(older) > limit)
    first = await rows("first", None)
    return KeyPage(first[:limit], has_newer=False, has_older=len(first) > limit)


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
