"""Every operation of the API as a ``Call``: what to send, how to read the answer, and whether
it may be sent again. The clients only send Calls, so sync and async cannot drift apart."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from unique.client._models import (
    READ_ONLY_SCOPES,
    ApiKey,
    AuthDetails,
    CreatedApiKey,
    Json,
    Member,
    Organization,
    OrganizationMember,
    Project,
    ProjectPage,
    RevokedApiKey,
    RotatedApiKey,
    User,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API operation, independent of how it is sent (sync or async).

    ``idempotent`` Calls (reads, and revocations, which the server makes idempotent) are retried
    on 429, 503 and connection failures; the others (creating, rotating, renaming, deleting,
    changing a role, removing a member) are sent once.
    """

    method: str
    path: str
    parse: Callable[[Json], T]
    idempotent: bool
    json: Json = None
    params: dict[str, Any] | None = None


def _segment(value: str) -> str:
    """A path segment, escaped so that an odd id can never reach another route."""
    return quote(str(value), safe="")


def _list_of_keys(data: Json) -> list[ApiKey]:
    return [ApiKey.from_json(item) for item in data]


def rfc3339(moment: datetime) -> str:
    """``moment`` as the API takes a time: RFC 3339 in UTC (``...Z``). A naive datetime is
    refused rather than guessed at."""
    if moment.utcoffset() is None:
        raise ValueError("expires_at must be an aware datetime, e.g. datetime.now(UTC) + ...")
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def create_key(
    name: str,
    *,
    expires_at: datetime | None = None,
    expires_in: timedelta | None = None,
    scopes: Iterable[str] | None = None,
    read_only: bool = False,
    project_id: str | None = None,
) -> Call[CreatedApiKey]:
    """The create request, with only the fields given: a plain create sends ``key_name`` alone.

    ``expires_in`` becomes an ``expires_at`` from the present moment; ``read_only`` is every
    ``:read`` scope. Contradictory arguments are a ``ValueError``, before anything is sent;
    values the server refuses (an unknown scope, a time too soon) are its 400.
    """
    if expires_at is not None and expires_in is not None:
        raise ValueError("give expires_at or expires_in, not both")
    if read_only and scopes is not None:
        raise ValueError("give scopes or read_only, not both")
    if expires_in is not None:
        if expires_in <= timedelta(0):
            raise ValueError("expires_in must be a positive duration")
        expires_at = datetime.now(UTC) + expires_in
    body: dict[str, Any] = {"key_name": name}
    if expires_at is not None:
        body["expires_at"] = rfc3339(expires_at)
    if read_only:
        body["scopes"] = list(READ_ONLY_SCOPES)
    elif scopes is not None:
        if isinstance(scopes, str):
            raise TypeError("scopes must be an iterable of scope names, not one string")
        body["scopes"] = list(scopes)
    if project_id is not None:
        body["project_id"] = project_id
    return Call("POST", "/api_keys", CreatedApiKey.from_json, False, body)


def rotate_key(key_id: int, grace_period: timedelta | None = None) -> Call[RotatedApiKey]:
    """Rotating creates a key, so it is never retried: a retry after a lost answer would find
    the key rotated (409) and the new secret gone with the answer."""
    body = None
    if grace_period is not None:
        seconds = grace_period.total_seconds()
        if seconds != int(seconds):
            raise ValueError("grace_period must be a whole number of seconds")
        body = {"grace_period_seconds": int(seconds)}
    path = f"/api_keys/{int(key_id)}/rotate"
    return Call("POST", path, RotatedApiKey.from_json, False, body)


def list_keys() -> Call[list[ApiKey]]:
    return Call("GET", "/api_keys", _list_of_keys, True)


def revoke_key(key_id: int) -> Call[RevokedApiKey]:
    # Revocation is idempotent on the server, so it is safe to retry.
    return Call("DELETE", f"/api_keys/{int(key_id)}", RevokedApiKey.from_json, True)


def list_projects(limit: int | None, cursor: str | None, search: str | None) -> Call[ProjectPage]:
    given = {"limit": limit, "cursor": cursor, "search": search}
    params = {name: value for name, value in given.items() if value is not None}
    return Call("GET", "/projects", ProjectPage.from_json, True, params=params)


def create_project(
    name: str | None, region_id: str | None, pg_version: int | None
) -> Call[Project]:
    given = {"name": name, "region_id": region_id, "pg_version": pg_version}
    body = {"project": {key: value for key, value in given.items() if value is not None}}
    return Call("POST", "/projects", Project.from_envelope, False, body)


def get_project(project_id: str) -> Call[Project]:
    return Call("GET", f"/projects/{_segment(project_id)}", Project.from_envelope, True)


def update_project(project_id: str, name: str) -> Call[Project]:
    path = f"/projects/{_segment(project_id)}"
    return Call("PATCH", path, Project.from_envelope, False, {"project": {"name": name}})


def delete_project(project_id: str) -> Call[Project]:
    return Call("DELETE", f"/projects/{_segment(project_id)}", Project.from_envelope, False)


def me() -> Call[User]:
    return Call("GET", "/users/me", User.from_json, True)


def auth_details() -> Call[AuthDetails]:
    return Call("GET", "/auth", AuthDetails.from_json, True)


# --- organizations ---------------------------------------------------------------------------


def _list_of_organizations(data: Json) -> list[Organization]:
    return [Organization.from_json(item) for item in data["organizations"]]


def _list_of_members(data: Json) -> list[OrganizationMember]:
    return [OrganizationMember.from_json(item) for item in data["members"]]


def _removed(data: Json) -> None:
    """A member's removal answers ``{}``: there is nothing to return."""
    return None


def _organization_path(org_id: str) -> str:
    return f"/organizations/{_segment(org_id)}"


def _member_path(org_id: str, member_id: str | uuid.UUID) -> str:
    return f"{_organization_path(org_id)}/members/{_segment(str(member_id))}"


def list_organizations() -> Call[list[Organization]]:
    return Call("GET", "/users/me/organizations", _list_of_organizations, True)


def create_organization(name: str) -> Call[Organization]:
    body = {"organization": {"name": name}}
    return Call("POST", "/organizations", Organization.from_json, False, body)


def get_organization(org_id: str) -> Call[Organization]:
    return Call("GET", _organization_path(org_id), Organization.from_json, True)


def rename_organization(org_id: str, name: str) -> Call[Organization]:
    path = _organization_path(org_id)
    return Call("PATCH", path, Organization.from_json, False, {"name": name})


def delete_organization(org_id: str) -> Call[Organization]:
    return Call("DELETE", _organization_path(org_id), Organization.from_json, False)


def list_members(org_id: str) -> Call[list[OrganizationMember]]:
    return Call("GET", f"{_organization_path(org_id)}/members", _list_of_members, True)


def get_member(org_id: str, member_id: str | uuid.UUID) -> Call[Member]:
    return Call("GET", _member_path(org_id, member_id), Member.from_json, True)


def change_role(org_id: str, member_id: str | uuid.UUID, role: str) -> Call[Member]:
    path = _member_path(org_id, member_id)
    return Call("PATCH", path, Member.from_json, False, {"role": role})


def remove_member(org_id: str, member_id: str | uuid.UUID) -> Call[None]:
    # Unlike a revocation, removing a member again answers 404: a retry after a lost answer
    # would report a failure for a removal that happened, so it is sent once.
    return Call("DELETE", _member_path(org_id, member_id), _removed, False)
