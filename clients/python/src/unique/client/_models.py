"""The records the SDK returns: frozen dataclasses with typed fields, each keeping its JSON.

Times are aware datetimes (the API answers in UTC). ``raw`` is the JSON the record was read from,
left out of ``repr`` and comparisons; the CLI prints it for ``--output json``.
"""

from __future__ import annotations

import dataclasses
import functools
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, TypeVar

Json = Any
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
        return _read(cls, data, created_by=KeyCreator(**data["created_by"]))


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
        return _read(cls, data)


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
        return _read(cls, data)


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
