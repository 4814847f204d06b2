"""Project records: the resource API keys protect. (This service runs no databases itself.)"""

from __future__ import annotations

import json
import re
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, String, and_, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unique import audit
from unique.actor import Actor
from unique.db.reads import Query, Reads, Row
from unique.db.tables import Member, Project, User, utcnow
from unique.errors import Forbidden, InvalidInput, LimitExceeded, NotFound
from unique.names import clean_name

PROJECT_NAME_MAX_LENGTH = 256
PG_VERSIONS = range(14, 19)
DEFAULT_PG_VERSION = 17
SEARCH_MAX_LENGTH = 256
DEFAULT_PROVISIONER = "k8s-pod"
DEFAULT_HISTORY_RETENTION_SECONDS = 86400
# Positions are int64; 18 digits always fit, so no cursor can overflow the database column.
CURSOR_PATTERN = re.compile(r"[0-9]{1,18}")

_ADJECTIVES = (
    "autumn bold brave bright calm cool crimson damp dawn delicate divine dry empty falling "
    "floral fragrant frosty gentle green hidden holy icy jolly late lingering little lively long "
    "misty morning muddy nameless old patient plain polished proud purple quiet rapid red restless "
    "rough shy silent small snowy solitary sparkling spring still summer super sweet throbbing "
    "tight tiny twilight wandering weathered white wild winter wispy withered young"
).split()
_NOUNS = (
    "art band bar base bird block boat bonus bread breeze brook bush butterfly cake cell cherry "
    "cloud credit darkness dawn dew disk dream dust feather field fire firefly flower fog forest "
    "frog frost glade glitter grass hall hat haze heart hill king lab lake leaf limit math meadow "
    "mode moon morning mountain mouse mud night paper pine poetry pond queen rain recipe resonance "
    "rice river salad scene sea shadow shape silence sky smoke snow snowflake sound star sun "
    "sunset surf term thunder tooth tree truth union unit violet voice water waterfall wave "
    "wildflower wind wood"
).split()


@dataclass(frozen=True)
class Page:
    # Rows of the listing query, read by column name (the route writes them out).
    projects: Sequence[Row]
    cursor: str | None


def generate_project_id() -> str:
    return "-".join(
        (secrets.choice(_ADJECTIVES), secrets.choice(_NOUNS), f"{secrets.randbelow(10**8):08d}")
    )


def clean_project_name(value: object) -> str:
    return clean_name(value, field="name", max_length=PROJECT_NAME_MAX_LENGTH)


def _encode_cursor(seq: int) -> str:
    return str(seq)


def _decode_cursor(cursor: str) -> int:
    if not CURSOR_PATTERN.fullmatch(cursor):
        raise InvalidInput("cursor", "cursor is not one this API returned")
    return int(cursor)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def reachable_by(user_id: uuid.UUID) -> ColumnElement[bool]:
    """The projects a user's keys reach: their personal ones, and those of every organization
    they are a member of at the moment the statement runs (read afresh on every request, so a
    removal holds from the moment it is answered)."""
    return or_(
        and_(Project.owner_id == user_id, Project.org_id.is_(None)),
        Project.org_id.in_(select(Member.org_id).where(Member.user_id == user_id)),
    )


_MEMBERSHIP = Query(
    select(Member.role)
    .where(Member.org_id == bindparam("org_id"), Member.user_id == bindparam("user_id"))
    .limit(1)
)


# A project as listings show it.
_LISTED = select(
    Project.seq,
    Project.id,
    Project.owner_id,
    Project.org_id,
    Project.name,
    Project.platform_id,
    Project.region_id,
    Project.pg_version,
    Project.provisioner,
    Project.branch_logical_size_limit,
    Project.history_retention_seconds,
    Project.store_passwords,
    Project.creation_source,
    Project.created_at,
    Project.updated_at,
)


@cache
def _listing(
    after_cursor: bool, matching_search: bool, one_project: bool, in_organization: bool
) -> Query:
    """One page of an owner's personal projects or of an organization's, newest first; sixteen
    variants, each compiled once."""
    if in_organization:
        statement = _LISTED.where(Project.org_id == bindparam("org_id"))
    else:
        statement = _LISTED.where(
            Project.owner_id == bindparam("owner_id"), Project.org_id.is_(None)
        )
    if one_project:
        statement = statement.where(Project.id == bindparam("project_id"))
    if after_cursor:
        statement = statement.where(Project.seq < bindparam("before_seq"))
    if matching_search:
        pattern = bindparam("pattern", type_=String)
        statement = statement.where(
            or_(
                func.lower(Project.name).like(pattern, escape="\\"),
                Project.id.like(pattern, escape="\\"),
            )
        )
    return Query(statement.order_by(Project.seq.desc()).limit(bindparam("limit")))


async def list_projects(
    reads: Reads,
    owner_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None = None,
    search: str | None = None,
    only_project: str | None = None,
    org_id: str | None = None,
) -> Page:
    """One page, newest first: ``owner_id``'s personal projects, or with ``org_id`` the
    projects of that organization, which ``owner_id`` must be a member of. The cursor is the
    position after the page's last project. ``only_project``: list that one project at most
    (what a key limited to it may see)."""
    if search and any(unicodedata.category(char) in ("Cc", "Cs") for char in search):
        raise InvalidInput("search", "search must not contain control characters")
    params: dict[str, object] = {"owner_id": owner_id, "limit": limit}
    if org_id is not None:
        if await reads.first(_MEMBERSHIP, org_id=org_id, user_id=owner_id) is None:
            raise NotFound(f"organization {org_id} was not found")
        params = {"org_id": org_id, "limit": limit}
    if cursor:
        params["before_seq"] = _decode_cursor(cursor)
    if search:
        params["pattern"] = f"%{_escape_like(search.lower())}%"
    if only_project is not None:
        params["project_id"] = only_project
    query = _listing(bool(cursor), bool(search), only_project is not None, org_id is not None)
    listed = await reads.all(query, **params)
    return Page(projects=listed, cursor=_encode_cursor(listed[-1].seq) if listed else None)


async def get_project(session: AsyncSession, owner_id: uuid.UUID, project_id: str) -> Project:
    """A project ``owner_id``'s keys reach (their own, or an organization's they are in)."""
    result = await session.execute(
        select(Project).where(Project.id == project_id, reachable_by(owner_id))
    )
    project = result.scalar_one_or_none()
    if project is None:
        raise NotFound(f"project {project_id} not found")
    return project


async def _hold_owner_for_creation(session: AsyncSession, owner_id: uuid.UUID) -> int:
    """Lock the owner's row until the transaction ends, and return their current project limit.

    Counting then inserting is only safe if no other creation for the same owner counts in
    between, on any process or node. The owner's row is the lock: a write to it (one that changes
    nothing) makes PostgreSQL hold concurrent creations for the owner until this transaction ends,
    and opens SQLite's write transaction before the count, so the count sees every committed
    project and no other writer can add one before this one commits.
    """
    limit = await session.scalar(
        update(User)
        .where(User.id == owner_id)
        .values(projects_limit=User.projects_limit)
        .returning(User.projects_limit)
        .execution_options(synchronize_session=False)
    )
    if limit is None:
        raise NotFound(f"user {owner_id} not found")
    return int(limit)


async def create_project(
    session: AsyncSession,
    owner: User,
    *,
    regions: tuple[str, ...],
    name: str | None = None,
    region_id: str | None = None,
    pg_version: int | None = None,
    provisioner: str | None = None,
    store_passwords: bool | None = None,
    history_retention_seconds: int | None = None,
    settings: dict[str, Any] | None = None,
    org_id: str | None = None,
    creation_source: str,
    actor: Actor,
) -> Project:
    """A new project of ``owner``'s, or with ``org_id`` of that organization, which ``owner``
    must be a member of (it counts towards ``owner``'s limit). ``settings`` (Neon's
    ProjectSettingsData, already validated) is kept and returned as given; nothing here acts on
    it."""
    region = region_id if region_id is not None else regions[0]
    if region not in regions:
        raise InvalidInput("region_id", f"region_id must be one of: {', '.join(regions)}")
    version = DEFAULT_PG_VERSION if pg_version is None else pg_version
    if version not in PG_VERSIONS:
        raise InvalidInput(
            "pg_version", f"pg_version must be between {PG_VERSIONS[0]} and {PG_VERSIONS[-1]}"
        )
    if org_id is not None and await _role_in(session, org_id, owner.id) is None:
        raise NotFound(f"organization {org_id} was not found")
    limit = await _hold_owner_for_creation(session, owner.id)
    count = await session.scalar(
        select(func.count()).select_from(Project).where(Project.owner_id == owner.id)
    )
    if (count or 0) >= limit:
        raise LimitExceeded(f"the account has reached its limit of {limit} projects")
    project_id = generate_project_id()
    now = utcnow()
    project = Project(
        id=project_id,
        owner_id=owner.id,
        org_id=org_id,
        name=project_id if name is None else clean_project_name(name),
        platform_id=region.split("-", 1)[0],
        region_id=region,
        pg_version=version,
        provisioner=DEFAULT_PROVISIONER if provisioner is None else provisioner,
        branch_logical_size_limit=3072,
        history_retention_seconds=(
            DEFAULT_HISTORY_RETENTION_SECONDS
            if history_retention_seconds is None
            else history_retention_seconds
        ),
        store_passwords=True if store_passwords is None else store_passwords,
        settings=None if settings is None else _encode_settings(settings),
        creation_source=creation_source,
        created_at=now,
        updated_at=now,
    )
    session.add(project)
    await session.flush()
    audit.record(session, "project.create", actor, account_id=owner.id, target_id=project_id)
    return project


async def rename_project(
    session: AsyncSession,
    owner_id: uuid.UUID,
    project_id: str,
    name: str,
    *,
    actor: Actor,
) -> Project:
    project = await get_project(session, owner_id, project_id)
    project.name = clean_project_name(name)
    project.updated_at = utcnow()
    await session.flush()
    audit.record(session, "project.update", actor, account_id=owner_id, target_id=project_id)
    return project


async def update_project(
    session: AsyncSession,
    owner_id: uuid.UUID,
    project_id: str,
    *,
    name: str | None = None,
    settings: dict[str, Any] | None = None,
    history_retention_seconds: int | None = None,
    actor: Actor,
) -> Project:
    """Change what is given (None: unchanged). ``settings`` is merged into the project's: each
    top-level setting given replaces the stored one, the others stay, as in Neon's PATCH."""
    project = await get_project(session, owner_id, project_id)
    if name is None and settings is None and history_retention_seconds is None:
        return project
    if name is not None:
        project.name = clean_project_name(name)
    if settings is not None:
        project.settings = _encode_settings({**(project_settings(project) or {}), **settings})
    if history_retention_seconds is not None:
        project.history_retention_seconds = history_retention_seconds
    project.updated_at = utcnow()
    await session.flush()
    audit.record(session, "project.update", actor, account_id=owner_id, target_id=project_id)
    return project


def _encode_settings(settings: dict[str, Any]) -> str:
    return json.dumps(settings, ensure_ascii=False, separators=(",", ":"))


def project_settings(project: Project) -> dict[str, Any] | None:
    """The settings a client gave the project, or None when it never gave any."""
    if project.settings is None:
        return None
    settings: dict[str, Any] = json.loads(project.settings)
    return settings


async def _role_in(session: AsyncSession, org_id: str, user_id: uuid.UUID) -> str | None:
    role: str | None = await session.scalar(
        select(Member.role).where(Member.org_id == org_id, Member.user_id == user_id)
    )
    return role


async def delete_project(
    session: AsyncSession,
    owner_id: uuid.UUID,
    project_id: str,
    *,
    actor: Actor,
) -> Project:
    """Delete a project; an organization's takes an admin of it."""
    project = await get_project(session, owner_id, project_id)
    if project.org_id is not None and await _role_in(session, project.org_id, owner_id) != "admin":
        raise Forbidden("Only an admin of the organization may delete its projects.")
    await session.delete(project)
    await session.flush()
    audit.record(session, "project.delete", actor, account_id=owner_id, target_id=project_id)
    return project
