"""The records the SDK returns: frozen dataclasses with typed fields, each keeping its JSON.

Times are aware datetimes (the API answers in UTC). ``raw`` is the JSON the record was read from,
left out of ``repr`` and comparisons; the CLI prints it for ``--output json``.

Every key record says what the key may do: ``expires_at`` (None: never), ``scopes`` (the effective
list, sorted; every one of ``SCOPES`` for a key with full access) and ``project_id`` (the one
project it reaches; None: every project of its account).

Organizations (``Organization``), their members (``Member``, and ``OrganizationMember`` with the
member's e-mail address) and who a key acts for (``AuthDetails``) are records too.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

Json = Any
# Every scope a key may hold (API.md, "Key lifecycle"); ``X:write`` implies ``X:read``.
SCOPES: tuple[str, ...] = (
    "account:read",
    "api_keys:read",
    "api_keys:write",
    "audit_log:read",
    "organizations:read",
    "organizations:write",
    "projects:read",
    "projects:write",
)
# What ``api_keys.create(..., read_only=True)`` asks for: every ``:read`` scope.
READ_ONLY_SCOPES: tuple[str, ...] = tuple(scope for scope in SCOPES if scope.endswith(":read"))
_TIME_TYPES = (datetime, datetime | None)


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


class _Record(Protocol):
    """What ``_read`` makes: a record that keeps the JSON it was read from."""

    @property
    def raw(self) -> Json: ...


R = TypeVar("R", bound=_Record)


@functools.cache
def _fields(record: type) -> Mapping[str, bool]:
    """Each field of the record type ``record``, and whether it is a time (which the API sends
    as an ISO 8601 string)."""
    return {name: hint in _TIME_TYPES for name, hint in typing.get_type_hints(record).items()}


def _read(record: type[R], data: Json, **given: Any) -> R:
    """A ``record`` from the API's JSON object ``data``, so that each record names its fields
    once, in its class: ``raw`` is ``data`` itself, the fields in ``given`` are as given (those
    that need more than reading), and every other field is the member of its name in ``data``,
    parsed when it is a time."""
    values = {"raw": data, **given}
    for name, is_time in _fields(record).items():
        if name not in values:
            values[name] = _time(data[name]) if is_time else data[name]
    return record(**values)


def _access(data: Json) -> dict[str, Any]:
    """A key's access fields that need more than reading: ``project_id`` is absent (not null)
    for a key that reaches every project, and a server older than scopes and expiry sends
    neither, for a key that has full access and never expires."""
    return {
        "expires_at": _time(data.get("expires_at")),
        "scopes": list(data.get("scopes", SCOPES)),
        "project_id": data.get("project_id"),
    }


class _KeyAccess:
    """What every key record says about what the key may do, and the usual questions about it."""

    expires_at: datetime | None
    scopes: list[str]
    project_id: str | None

    @property
    def full_access(self) -> bool:
        """Every scope, every project of the account (it may still expire)."""
        return self.project_id is None and set(SCOPES) <= set(self.scopes)

    @property
    def read_only(self) -> bool:
        """Only ``:read`` scopes: the key can change nothing."""
        return all(scope.endswith(":read") for scope in self.scopes)

    def expired(self, now: datetime | None = None) -> bool:
        """Whether the key has stopped working by ``now`` (default: the present moment)."""
        moment = now if now is not None else datetime.now(UTC)
        return self.expires_at is not None and self.expires_at <= moment


@dataclass(frozen=True)
class KeyCreator:
    id: str
    name: str
    image: str


@dataclass(frozen=True)
class ApiKey(_KeyAccess):
    """An active key as listed (expired ones included, until revoked): everything but the
    secret, which is never shown again."""

    id: int
    name: str
    created_at: datetime
    created_by: KeyCreator
    last_used_at: datetime | None
    last_used_from_addr: str
    expires_at: datetime | None
    scopes: list[str]
    project_id: str | None
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> ApiKey:
        return _read(cls, data, created_by=KeyCreator(**data["created_by"]), **_access(data))


@dataclass(frozen=True)
class CreatedApiKey(_KeyAccess):
    """A new key. ``key`` is the secret: store it now; it is left out of ``repr``."""

    id: int
    name: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    scopes: list[str]
    project_id: str | None
    key: str = field(repr=False)
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> CreatedApiKey:
        return _read(cls, data, **_access(data))


@dataclass(frozen=True)
class RotatedApiKey(CreatedApiKey):
    """The key that replaces a rotated one (``rotated_from`` is the old key's id), with the same
    name, scopes and project. ``key`` is its secret: store it now; it is left out of ``repr``.
    The old key keeps working until the grace period given to ``rotate`` ends."""

    rotated_from: int

    @classmethod
    def from_json(cls, data: Json) -> RotatedApiKey:
        return _read(cls, data, **_access(data))


@dataclass(frozen=True)
class RevokedApiKey(_KeyAccess):
    id: int
    name: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    last_used_from_addr: str
    revoked: bool
    expires_at: datetime | None
    scopes: list[str]
    project_id: str | None
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> RevokedApiKey:
        return _read(cls, data, **_access(data))


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    region_id: str
    platform_id: str
    pg_version: int
    proxy_host: str
    creation_source: str
    owner_id: str
    created_at: datetime
    updated_at: datetime
    raw: Json = field(repr=False, compare=False)
    # The whole answer the project came in (``{"project": ..., "operations": [...]}``), when
    # it came alone; for a project from a listing, the same shape around it.
    response: Json = field(default=None, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> Project:
        return _read(cls, data, response={"project": data})

    @classmethod
    def from_envelope(cls, data: Json) -> Project:
        return dataclasses.replace(cls.from_json(data["project"]), response=data)


@dataclass(frozen=True)
class ProjectPage:
    """One page of projects, as a listing's ``first_page()`` and ``pages()`` give it.

    ``cursor`` marks the position after its last project: pass it to ``projects.list`` to
    continue from there.
    """

    projects: list[Project]
    cursor: str | None
    raw: Json = field(repr=False, compare=False)

    def __iter__(self) -> Iterator[Project]:
        return iter(self.projects)

    def __len__(self) -> int:
        return len(self.projects)

    @classmethod
    def from_json(cls, data: Json) -> ProjectPage:
        return cls(
            projects=[Project.from_json(item) for item in data["projects"]],
            cursor=(data.get("pagination") or {}).get("cursor"),
            raw=data,
        )


@dataclass(frozen=True)
class User:
    id: str
    email: str
    login: str
    name: str
    image: str
    projects_limit: int
    plan: str
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> User:
        return _read(cls, data)


@dataclass(frozen=True)
class Organization:
    """An organization the key's owner is a member of (to anyone else it does not exist)."""

    id: str
    name: str
    handle: str
    plan: str
    managed_by: str
    created_at: datetime
    updated_at: datetime
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> Organization:
        return _read(cls, data)


@dataclass(frozen=True)
class Member:
    """A membership of an organization: ``id`` is the membership's own id (what
    ``get_member``, ``change_role`` and ``remove_member`` take), ``user_id`` the member's;
    ``role`` is ``admin`` or ``member``."""

    id: str
    user_id: str
    org_id: str
    role: str
    joined_at: datetime
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> Member:
        return _read(cls, data)


@dataclass(frozen=True)
class OrganizationMember:
    """A member as ``organizations.members`` lists them: the membership and the member's
    e-mail address."""

    member: Member
    email: str
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> OrganizationMember:
        return _read(
            cls, data, member=Member.from_json(data["member"]), email=data["user"]["email"]
        )


@dataclass(frozen=True)
class AuthDetails:
    """Who a key acts for: ``account_id`` is its owner's user id (``auth_method``
    ``api_key_user``) or an organization's id (``api_key_org``)."""

    account_id: str
    auth_method: str
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> AuthDetails:
        return _read(cls, data)
