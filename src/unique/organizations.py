"""Organizations: accounts that belong to no one person, and the members who share them.

A member is an ``admin`` (renames and deletes the organization, changes roles, removes members)
or a ``member``. An organization always keeps an admin: the last one can be neither demoted nor
removed, however many such changes arrive at once, on any node. To someone who is not a member an
organization does not exist (``NotFound``), so its id cannot be probed; a member whose role does
not allow a change is ``Forbidden``.

Membership is read from the database on every request that needs it, like a key's revocation: a
member's keys reach the organization's projects from the moment they join until the moment their
removal is answered.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from unique import audit
from unique.actor import Actor
from unique.db.tables import Member, Organization, Project, User, utcnow
from unique.errors import Conflict, Forbidden, InvalidInput, NotFound
from unique.names import clean_name
from unique.projects import generate_project_id

ORGANIZATION_NAME_MAX_LENGTH = 64
# "org-" and a project-style id: at most 60 characters, as Neon's ids of organizations.
ORG_ID_PATTERN = r"^org-[a-z0-9-]{1,56}$"
_HANDLE_SLUG_MAX_LENGTH = 40


class Role(StrEnum):
    ADMIN = "admin"
    MEMBER = "member"


@dataclass(frozen=True)
class ListedMember:
    member: Member
    email: str


def clean_organization_name(value: object) -> str:
    return clean_name(value, field="name", max_length=ORGANIZATION_NAME_MAX_LENGTH)


def parse_role(value: object) -> Role:
    try:
        return Role(value) if isinstance(value, str) else Role("")
    except ValueError:
        raise InvalidInput("role", "role must be admin or member") from None


def _handle(name: str, org_id: str) -> str:
    """A readable, unique handle: the name as ASCII letters, digits and dashes, then the id's
    random digits (Neon's handles look the same: ``acme-12345678``)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:_HANDLE_SLUG_MAX_LENGTH]
    digits = org_id.rsplit("-", 1)[1]
    return f"{slug.strip('-') or 'org'}-{digits}"


async def create_organization(
    session: AsyncSession, creator_id: uuid.UUID, name: object, actor: Actor
) -> Organization:
    """A new organization with its creator as its one admin."""
    clean = clean_organization_name(name)
    org_id = f"org-{generate_project_id()}"
    now = utcnow()
    organization = Organization(
        id=org_id, name=clean, handle=_handle(clean, org_id), created_at=now, updated_at=now
    )
    session.add(organization)
    await session.flush()
    session.add(Member(org_id=org_id, user_id=creator_id, role=Role.ADMIN, joined_at=now))
    audit.record(session, "organization.create", actor, account_id=creator_id, target_id=org_id)
    await session.flush()
    return organization


async def organizations_of(session: AsyncSession, user_id: uuid.UUID) -> Sequence[Organization]:
    """The organizations ``user_id`` is a member of, oldest membership first."""
    found = await session.scalars(
        select(Organization)
        .join(Member, Member.org_id == Organization.id)
        .where(Member.user_id == user_id)
        .order_by(Member.joined_at, Organization.id)
    )
    return found.all()


async def _membership(
    session: AsyncSession, org_id: str, user_id: uuid.UUID
) -> tuple[Organization, Member]:
    row = (
        await session.execute(
            select(Organization, Member)
            .join(Member, Member.org_id == Organization.id)
            .where(Organization.id == org_id, Member.user_id == user_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound(f"organization {org_id} was not found")
    return row[0], row[1]


async def _as_admin(session: AsyncSession, org_id: str, user_id: uuid.UUID) -> Organization:
    organization, member = await _membership(session, org_id, user_id)
    if member.role != Role.ADMIN:
        raise Forbidden("Only an admin of the organization may do this.")
    return organization


async def _hold(session: AsyncSession, org_id: str) -> None:
    """Take the organization's row for the rest of the transaction, before reading who its
    admins are: a no-op update that PostgreSQL locks and that opens SQLite's write transaction,
    so two changes to one organization's members never both see the same admins."""
    held = await session.scalar(
        update(Organization)
        .where(Organization.id == org_id)
        .values(id=Organization.id)
        .returning(Organization.id)
        .execution_options(synchronize_session=False)
    )
    if held is None:
        raise NotFound(f"organization {org_id} was not found")


async def get_organization(session: AsyncSession, org_id: str, user_id: uuid.UUID) -> Organization:
    organization, _ = await _membership(session, org_id, user_id)
    return organization


async def rename_organization(
    session: AsyncSession, org_id: str, user_id: uuid.UUID, name: object, actor: Actor
) -> Organization:
    clean = clean_organization_name(name)
    organization = await _as_admin(session, org_id, user_id)
    organization.name = clean
    organization.updated_at = utcnow()
    audit.record(session, "organization.rename", actor, account_id=user_id, target_id=org_id)
    await session.flush()
    return organization


async def delete_organization(
    session: AsyncSession, org_id: str, user_id: uuid.UUID, actor: Actor
) -> Organization:
    """Delete an organization that owns no projects (they would be left without an owner)."""
    await _hold(session, org_id)
    organization = await _as_admin(session, org_id, user_id)
    projects = await session.scalar(
        select(func.count()).select_from(Project).where(Project.org_id == org_id)
    )
    if projects:
        raise Conflict(
            f"The organization still owns {projects} project{'s' if projects != 1 else ''}: "
            "delete them first."
        )
    await session.delete(organization)
    audit.record(session, "organization.delete", actor, account_id=user_id, target_id=org_id)
    await session.flush()
    return organization


async def list_members(
    session: AsyncSession, org_id: str, user_id: uuid.UUID
) -> list[ListedMember]:
    """Every member with their e-mail address, admins first, then by when they joined."""
    await _membership(session, org_id, user_id)
    rows = await session.execute(
        select(Member, User.email)
        .join(User, User.id == Member.user_id)
        .where(Member.org_id == org_id)
        .order_by(Member.role, Member.joined_at, Member.id)
    )
    return [ListedMember(member, email) for member, email in rows]


async def add_member(
    session: AsyncSession, org_id: str, user_id: uuid.UUID, role: Role, actor: Actor
) -> Member:
    """Make ``user_id`` a member (what accepting an invitation does). From the moment this
    commits, their keys reach the organization's projects."""
    await _hold(session, org_id)
    already = await session.scalar(
        select(Member.id).where(Member.org_id == org_id, Member.user_id == user_id)
    )
    if already is not None:
        raise Conflict("This user is already a member of the organization.")
    member = Member(org_id=org_id, user_id=user_id, role=role, joined_at=utcnow())
    session.add(member)
    audit.record(session, "member.add", actor, account_id=user_id, target_id=org_id)
    await session.flush()
    return member


async def _member(session: AsyncSession, org_id: str, member_id: uuid.UUID) -> Member:
    member = await session.scalar(
        select(Member).where(Member.org_id == org_id, Member.id == member_id)
    )
    if member is None:
        raise NotFound(f"member {member_id} was not found")
    return member


async def get_member(
    session: AsyncSession, org_id: str, member_id: uuid.UUID, user_id: uuid.UUID
) -> Member:
    await _as_admin(session, org_id, user_id)
    return await _member(session, org_id, member_id)


async def _refuse_losing_the_last_admin(session: AsyncSession, member: Member) -> None:
    if member.role != Role.ADMIN:
        return
    admins = await session.scalar(
        select(func.count())
        .select_from(Member)
        .where(Member.org_id == member.org_id, Member.role == Role.ADMIN)
    )
    if (admins or 0) <= 1:
        raise Conflict("An organization must keep an admin: make another member admin first.")


async def change_role(
    session: AsyncSession,
    org_id: str,
    member_id: uuid.UUID,
    role: object,
    user_id: uuid.UUID,
    actor: Actor,
) -> Member:
    new_role = parse_role(role)
    await _hold(session, org_id)
    await _as_admin(session, org_id, user_id)
    member = await _member(session, org_id, member_id)
    if new_role != Role.ADMIN:
        await _refuse_losing_the_last_admin(session, member)
    member.role = new_role
    audit.record(
        session, f"member.role.{new_role}", actor, account_id=user_id, target_id=str(member_id)
    )
    await session.flush()
    return member


async def remove_member(
    session: AsyncSession, org_id: str, member_id: uuid.UUID, user_id: uuid.UUID, actor: Actor
) -> None:
    """Remove a member (an admin may remove anyone, a member only themself). From the moment
    this commits, the removed user's keys no longer reach the organization."""
    await _hold(session, org_id)
    _, caller = await _membership(session, org_id, user_id)
    member = await _member(session, org_id, member_id)
    if caller.id != member.id and caller.role != Role.ADMIN:
        raise Forbidden("Only an admin of the organization may remove another member.")
    await _refuse_losing_the_last_admin(session, member)
    await session.delete(member)
    audit.record(session, "member.remove", actor, account_id=user_id, target_id=str(member_id))
    await session.flush()
