"""The records the SDK returns: frozen dataclasses with typed fields, each keeping its JSON.

Times are aware datetimes (the API answers in UTC). ``raw`` is the JSON the record was read from,
left out of ``repr`` and comparisons; the CLI prints it for ``--output json``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

Json = Any


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value.replace("Z", "+00:00"))


@dataclass(frozen=True)
class KeyCreator:
    id: str
    name: str
    image: str


@dataclass(frozen=True)
class ApiKey:
    """An active key as listed: everything but the secret, which is never shown again."""

    id: int
    name: str
    created_at: datetime
    created_by: KeyCreator
    last_used_at: datetime | None
    last_used_from_addr: str
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> ApiKey:
        return cls(
            id=data["id"],
            name=data["name"],
            created_at=_time(data["created_at"]),  # type: ignore[arg-type]
            created_by=KeyCreator(**data["created_by"]),
            last_used_at=_time(data["last_used_at"]),
            last_used_from_addr=data["last_used_from_addr"],
            raw=data,
        )


@dataclass(frozen=True)
class CreatedApiKey:
    """A new key. ``key`` is the secret: store it now; it is left out of ``repr``."""

    id: int
    name: str
    created_at: datetime
    created_by: str
    key: str = field(repr=False)
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> CreatedApiKey:
        return cls(
            id=data["id"],
            key=data["key"],
            name=data["name"],
            created_at=_time(data["created_at"]),  # type: ignore[arg-type]
            created_by=data["created_by"],
            raw=data,
        )


@dataclass(frozen=True)
class RevokedApiKey:
    id: int
    name: str
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    last_used_from_addr: str
    revoked: bool
    raw: Json = field(repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Json) -> RevokedApiKey:
        return cls(
            id=data["id"],
            name=data["name"],
            created_at=_time(data["created_at"]),  # type: ignore[arg-type]
            created_by=data["created_by"],
            last_used_at=_time(data["last_used_at"]),
            last_used_from_addr=data["last_used_from_addr"],
            revoked=data["revoked"],
            raw=data,
        )


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
        return cls(
            id=data["id"],
            name=data["name"],
            region_id=data["region_id"],
            platform_id=data["platform_id"],
            pg_version=data["pg_version"],
            proxy_host=data["proxy_host"],
            creation_source=data["creation_source"],
            owner_id=data["owner_id"],
            created_at=_time(data["created_at"]),  # type: ignore[arg-type]
            updated_at=_time(data["updated_at"]),  # type: ignore[arg-type]
            raw=data,
            response={"project": data},
        )

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
        return cls(
            id=data["id"],
            email=data["email"],
            login=data["login"],
            name=data["name"],
            image=data["image"],
            projects_limit=data["projects_limit"],
            plan=data["plan"],
            raw=data,
        )
