"""Every operation of the API as a ``Call``: what to send, how to read the answer, and whether
it may be sent again. The clients only send Calls, so sync and async cannot drift apart."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar
from urllib.parse import quote

from unique.client._models import (
    ApiKey,
    CreatedApiKey,
    Json,
    Project,
    ProjectPage,
    RevokedApiKey,
    User,
)

T = TypeVar("T")


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API operation, independent of how it is sent (sync or async).

    ``idempotent`` Calls (reads, and revocations, which the server makes idempotent) are retried
    on 429, 503 and connection failures; the others are sent once.
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


def create_key(name: str) -> Call[CreatedApiKey]:
    return Call("POST", "/api_keys", CreatedApiKey.from_json, False, {"key_name": name})


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
