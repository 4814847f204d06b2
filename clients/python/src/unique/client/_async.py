"""``AsyncClient``: the same surface as ``Client``, with ``await``."""

from __future__ import annotations

import asyncio
from typing import TypeVar

import httpx
from unique.client import _calls
from unique.client._calls import Call
from unique.client._http import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, BaseClient
from unique.client._listing import AsyncProjectListing
from unique.client._models import ApiKey, CreatedApiKey, Project, RevokedApiKey, User

T = TypeVar("T")


class AsyncClient(BaseClient):
    """The same surface as ``Client``, with ``await``. Use with ``async with``, or call
    ``aclose()``."""

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
        """Send ``call``, again as its retry policy allows, and return its parsed result."""
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
                delay = self._delay(call, attempt, None)
                if delay is None:
                    raise self._unreachable(error) from None
            else:
                delay = self._delay(call, attempt, response)
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
        return await self._client.send(_calls.create_key(name))

    async def list(self) -> list[ApiKey]:
        return await self._client.send(_calls.list_keys())

    async def revoke(self, key_id: int) -> RevokedApiKey:
        return await self._client.send(_calls.revoke_key(key_id))


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
        return await self._client.send(_calls.create_project(name, region_id, pg_version))

    async def get(self, project_id: str) -> Project:
        return await self._client.send(_calls.get_project(project_id))

    async def update(self, project_id: str, *, name: str) -> Project:
        return await self._client.send(_calls.update_project(project_id, name))

    async def delete(self, project_id: str) -> Project:
        return await self._client.send(_calls.delete_project(project_id))


class AsyncUsers:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def me(self) -> User:
        return await self._client.send(_calls.me())
