"""The Python SDK: ``Client`` and ``AsyncClient`` for the Unique API v2.

    from unique.client import Client
    with Client() as unique:                    # UNIQUE_API_KEY, UNIQUE_API_HOST
        created = unique.api_keys.create("ci")
        print(created.key)                      # the only time the secret is available
        for project in unique.projects.list(search="prod", limit=100):  # every page, lazily
            print(project.id, project.name)

Errors are exceptions carrying ``status``, ``code``, ``message`` and ``request_id``. Reads and
revocations (which are idempotent) are retried on 429, 503 and connection failures, honouring
``Retry-After``; creating, renaming and deleting are never retried silently. The key never appears
in a ``repr``, a log line or an exception message.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import quote

import httpx

DEFAULT_API_HOST = "http://127.0.0.1:8000/api/v2"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 2
MAX_RETRY_DELAY = 30.0
RETRYABLE_STATUSES = {429, 503}

T = TypeVar("T")
Json = Any


# --- errors ----------------------------------------------------------------------------------


class UniqueError(Exception):
    """An API call failed. ``status`` is None when no HTTP answer was received."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str = "",
        request_id: str = "",
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id

    def __str__(self) -> str:
        parts = [str(self.status)] if self.status else []
        if self.code:
            parts.append(self.code)
        text = " ".join([*parts, self.message])
        return f"{text} (request id {self.request_id})" if self.request_id else text


class BadRequestError(UniqueError):
    """400: the request was malformed or a value was invalid."""


class AuthenticationError(UniqueError):
    """401: the key is missing, malformed, unknown, revoked or expired."""


class NotFoundError(UniqueError):
    """404: no such route, or no such resource in your account."""


class RateLimitError(UniqueError):
    """429: slow down; ``retry_after`` says for how many seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(UniqueError):
    """5xx: the server could not answer (503 when its database is unreachable)."""


class APIConnectionError(UniqueError):
    """No HTTP answer: the server is down, unreachable, or too slow."""


_ERRORS_BY_STATUS: dict[int, type[UniqueError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
    429: RateLimitError,
}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return None


def _error_from(response: httpx.Response) -> UniqueError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    details: dict[str, Any] = {
        "status": response.status_code,
        "code": str(body.get("code", "")),
        "request_id": str(body.get("request_id") or response.headers.get("x-request-id", "")),
    }
    message = str(body.get("message") or response.reason_phrase or "request failed")
    if response.status_code == 429:
        return RateLimitError(message, retry_after=_retry_after(response), **details)
    if response.status_code >= 500:
        return ServerError(message, **details)
    return _ERRORS_BY_STATUS.get(response.status_code, UniqueError)(message, **details)


# --- models ----------------------------------------------------------------------------------


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


# --- calls -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API operation, independent of how it is sent (sync or async)."""

    method: str
    path: str
    parse: Callable[[Json], T]
    idempotent: bool
    json: Json = None
    params: dict[str, Any] | None = None


def _page_params(limit: int | None, cursor: str | None, search: str | None) -> dict[str, Any]:
    params = {"limit": limit, "cursor": cursor, "search": search}
    return {name: value for name, value in params.items() if value is not None}


def _project_fields(
    name: str | None, region_id: str | None, pg_version: int | None
) -> dict[str, Any]:
    fields = {"name": name, "region_id": region_id, "pg_version": pg_version}
    return {"project": {key: value for key, value in fields.items() if value is not None}}


def _list_keys(data: Json) -> list[ApiKey]:
    return [ApiKey.from_json(item) for item in data]


class _Calls:
    """Every operation of the API, as Calls; the resource classes only send them."""

    @staticmethod
    def create_key(name: str) -> Call[CreatedApiKey]:
        return Call("POST", "/api_keys", CreatedApiKey.from_json, False, {"key_name": name})

    @staticmethod
    def list_keys() -> Call[list[ApiKey]]:
        return Call("GET", "/api_keys", _list_keys, True)

    @staticmethod
    def revoke_key(key_id: int) -> Call[RevokedApiKey]:
        # Revocation is idempotent on the server, so it is safe to retry.
        return Call("DELETE", f"/api_keys/{int(key_id)}", RevokedApiKey.from_json, True)

    @staticmethod
    def list_projects(
        limit: int | None, cursor: str | None, search: str | None
    ) -> Call[ProjectPage]:
        params = _page_params(limit, cursor, search)
        return Call("GET", "/projects", ProjectPage.from_json, True, params=params)

    @staticmethod
    def create_project(
        name: str | None, region_id: str | None, pg_version: int | None
    ) -> Call[Project]:
        body = _project_fields(name, region_id, pg_version)
        return Call("POST", "/projects", Project.from_envelope, False, body)

    @staticmethod
    def get_project(project_id: str) -> Call[Project]:
        return Call("GET", f"/projects/{_segment(project_id)}", Project.from_envelope, True)

    @staticmethod
    def update_project(project_id: str, name: str) -> Call[Project]:
        path = f"/projects/{_segment(project_id)}"
        return Call("PATCH", path, Project.from_envelope, False, {"project": {"name": name}})

    @staticmethod
    def delete_project(project_id: str) -> Call[Project]:
        return Call("DELETE", f"/projects/{_segment(project_id)}", Project.from_envelope, False)

    @staticmethod
    def me() -> Call[User]:
        return Call("GET", "/users/me", User.from_json, True)


def _segment(value: str) -> str:
    """A path segment, escaped so that an odd id can never reach another route."""
    return quote(str(value), safe="")


class _Base:
    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        timeout: float,
        max_retries: int,
    ) -> None:
        self._api_key = api_key if api_key is not None else os.environ.get("UNIQUE_API_KEY", "")
        self.base_url = (base_url or os.environ.get("UNIQUE_API_HOST") or DEFAULT_API_HOST).rstrip(
            "/"
        )
        self.timeout = timeout
        self.max_retries = max_retries

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "unique-python"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _delay(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before retrying, or None when the answer should stand."""
        if attempt >= self.max_retries:
            return None
        if response is not None:
            if response.status_code not in RETRYABLE_STATUSES:
                return None
            hinted = _retry_after(response)
            if hinted is not None:
                return min(hinted, MAX_RETRY_DELAY)
        backoff: float = 0.25 * 2**attempt * (1 + random.random())  # noqa: S311 - jitter only
        return min(backoff, MAX_RETRY_DELAY)

    @staticmethod
    def _result(call: Call[T], response: httpx.Response) -> T:
        if response.is_success:
            return call.parse(response.json())
        raise _error_from(response)

    @staticmethod
    def _unreachable(error: httpx.TransportError, base_url: str) -> APIConnectionError:
        return APIConnectionError(
            f"could not reach the Unique API at {base_url} ({type(error).__name__})"
        )


class _ProjectListingBase:
    """What a project listing asks for, and where its pages end; sync and async send it."""

    def __init__(self, *, search: str | None, limit: int | None, cursor: str | None) -> None:
        self.search = search
        self.limit = limit
        self.cursor = cursor

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(search={self.search!r}, limit={self.limit!r}, "
            f"cursor={self.cursor!r})"
        )

    def _call(self, cursor: str | None) -> Call[ProjectPage]:
        return _Calls.list_projects(self.limit, cursor, self.search)

    def _cursor_after(self, page: ProjectPage) -> str | None:
        """The cursor of the page after ``page``, or None when ``page`` is the last one.

        A page shorter than ``limit`` is the last: the listing is newest first, so a project
        created meanwhile lands before the first page, never after the cursor. Stopping there
        saves the request whose answer would be ``{"projects": []}``. Without a ``limit`` the
        server's default page size applies, which the client does not assume; only an empty
        page ends the listing then.
        """
        if not page.projects:
            return None
        if self.limit is not None and len(page.projects) < self.limit:
            return None
        return page.cursor


# --- sync ------------------------------------------------------------------------------------


class Client(_Base):
    """Synchronous client. Use as a context manager, or call ``close()``."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries)
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self.api_keys = ApiKeys(self)
        self.projects = Projects(self)
        self.users = Users(self)

    def send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method,
                    self.base_url + call.path,
                    json=call.json,
                    params=call.params,
                    headers=self._headers(),
                )
            except httpx.TransportError as error:
                delay = self._delay(attempt, None) if call.idempotent else None
                if delay is None:
                    raise self._unreachable(error, self.base_url) from None
            else:
                delay = self._delay(attempt, response) if call.idempotent else None
                if delay is None:
                    return self._result(call, response)
            time.sleep(delay)
            attempt += 1

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class ApiKeys:
    def __init__(self, client: Client) -> None:
        self._client = client

    def create(self, name: str) -> CreatedApiKey:
        return self._client.send(_Calls.create_key(name))

    def list(self) -> list[ApiKey]:
        return self._client.send(_Calls.list_keys())

    def revoke(self, key_id: int) -> RevokedApiKey:
        return self._client.send(_Calls.revoke_key(key_id))


class Projects:
    def __init__(self, client: Client) -> None:
        self._client = client

    def list(
        self, *, search: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> ProjectListing:
        """Projects (matching ``search``), newest first, ``limit`` to a page, after ``cursor``.

        Nothing is sent until the listing is used: iterate it for every project, page after
        page, or call ``first_page()`` for one page and its cursor.
        """
        return ProjectListing(self._client, search=search, limit=limit, cursor=cursor)

    def create(
        self,
        *,
        name: str | None = None,
        region_id: str | None = None,
        pg_version: int | None = None,
    ) -> Project:
        return self._client.send(_Calls.create_project(name, region_id, pg_version))

    def get(self, project_id: str) -> Project:
        return self._client.send(_Calls.get_project(project_id))

    def update(self, project_id: str, *, name: str) -> Project:
        return self._client.send(_Calls.update_project(project_id, name))

    def delete(self, project_id: str) -> Project:
        return self._client.send(_Calls.delete_project(project_id))


class ProjectListing(_ProjectListingBase):
    """Every project a ``projects.list`` call matches, fetched a page at a time, lazily.

    Iterating sends one request per page as the previous page runs out, following
    ``pagination.cursor`` from ``cursor`` (the newest project when None) to the end; breaking
    off early sends no more. Each iteration starts again at ``cursor``. ``pages()`` yields the
    pages themselves and ``first_page()`` sends just the one request, for a caller that pages
    itself (showing a page and the cursor to continue from, say). Every request is a read,
    retried like any other.
    """

    def __init__(
        self,
        client: Client,
        *,
        search: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> None:
        super().__init__(search=search, limit=limit, cursor=cursor)
        self._client = client

    def first_page(self) -> ProjectPage:
        """The page at ``cursor``, possibly empty, with the cursor to continue from."""
        return self._client.send(self._call(self.cursor))

    def pages(self) -> Iterator[ProjectPage]:
        """Each non-empty page in turn, fetched when the previous one has been consumed."""
        cursor: str | None = self.cursor
        while True:
            page = self._client.send(self._call(cursor))
            if page.projects:
                yield page
            cursor = self._cursor_after(page)
            if cursor is None:
                return

    def __iter__(self) -> Iterator[Project]:
        for page in self.pages():
            yield from page.projects


class Users:
    def __init__(self, client: Client) -> None:
        self._client = client

    def me(self) -> User:
        return self._client.send(_Calls.me())


# --- async -----------------------------------------------------------------------------------


class AsyncClient(_Base):
    """The same surface as ``Client``, with ``await``."""

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(api_key, base_url, timeout, max_retries)
        self._http = httpx.AsyncClient(timeout=timeout, transport=transport)
        self.api_keys = AsyncApiKeys(self)
        self.projects = AsyncProjects(self)
        self.users = AsyncUsers(self)

    async def send(self, call: Call[T]) -> T:
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    call.method,
                    self.base_url + call.path,
                    json=call.json,
                    params=call.params,
                    headers=self._headers(),
                )
            except httpx.TransportError as error:
                delay = self._delay(attempt, None) if call.idempotent else None
                if delay is None:
                    raise self._unreachable(error, self.base_url) from None
            else:
                delay = self._delay(attempt, response) if call.idempotent else None
                if delay is None:
                    return self._result(call, response)
            await asyncio.sleep(delay)
            attempt += 1

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()


class AsyncApiKeys:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def create(self, name: str) -> CreatedApiKey:
        return await self._client.send(_Calls.create_key(name))

    async def list(self) -> list[ApiKey]:
        return await self._client.send(_Calls.list_keys())

    async def revoke(self, key_id: int) -> RevokedApiKey:
        return await self._client.send(_Calls.revoke_key(key_id))


class AsyncProjects:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    def list(
        self, *, search: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> AsyncProjectListing:
        """Projects (matching ``search``), newest first, ``limit`` to a page, after ``cursor``.

        Not a coroutine: nothing is sent until the listing is used, with ``async for`` for every
        project, page after page, or ``await listing.first_page()`` for one page and its cursor.
        """
        return AsyncProjectListing(self._client, search=search, limit=limit, cursor=cursor)

    async def create(
        self,
        *,
        name: str | None = None,
        region_id: str | None = None,
        pg_version: int | None = None,
    ) -> Project:
        return await self._client.send(_Calls.create_project(name, region_id, pg_version))

    async def get(self, project_id: str) -> Project:
        return await self._client.send(_Calls.get_project(project_id))

    async def update(self, project_id: str, *, name: str) -> Project:
        return await self._client.send(_Calls.update_project(project_id, name))

    async def delete(self, project_id: str) -> Project:
        return await self._client.send(_Calls.delete_project(project_id))


class AsyncProjectListing(_ProjectListingBase):
    """``ProjectListing`` for an ``AsyncClient``: ``async for`` over it, or over ``pages()``,
    and ``await first_page()``."""

    def __init__(
        self,
        client: AsyncClient,
        *,
        search: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> None:
        super().__init__(search=search, limit=limit, cursor=cursor)
        self._client = client

    async def first_page(self) -> ProjectPage:
        """The page at ``cursor``, possibly empty, with the cursor to continue from."""
        return await self._client.send(self._call(self.cursor))

    async def pages(self) -> AsyncIterator[ProjectPage]:
        """Each non-empty page in turn, fetched when the previous one has been consumed."""
        cursor: str | None = self.cursor
        while True:
            page = await self._client.send(self._call(cursor))
            if page.projects:
                yield page
            cursor = self._cursor_after(page)
            if cursor is None:
                return

    async def __aiter__(self) -> AsyncIterator[Project]:
        async for page in self.pages():
            for project in page.projects:
                yield project


class AsyncUsers:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def me(self) -> User:
        return await self._client.send(_Calls.me())
