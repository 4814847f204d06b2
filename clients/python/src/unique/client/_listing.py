"""Project listings: lazy, a page at a time, following ``pagination.cursor`` to the end."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar

from unique.client import _calls
from unique.client._calls import Call
from unique.client._models import Project, ProjectPage

if TYPE_CHECKING:
    from unique.client._async import AsyncClient
    from unique.client._sync import Client

AnyClient = TypeVar("AnyClient", "Client", "AsyncClient")


class _ProjectListingBase(Generic[AnyClient]):
    """What a project listing asks for, the client it sends with, and where its pages end;
    sync and async send it."""

    def __init__(
        self,
        client: AnyClient,
        *,
        search: str | None,
        limit: int | None,
        cursor: str | None,
    ) -> None:
        self._client: AnyClient = client
        self.search = search
        self.limit = limit
        self.cursor = cursor

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(search={self.search!r}, limit={self.limit!r}, "
            f"cursor={self.cursor!r})"
        )

    def _call(self, cursor: str | None) -> Call[ProjectPage]:
        return _calls.list_projects(self.limit, cursor, self.search)

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


class ProjectListing(_ProjectListingBase["Client"]):
    """Every project a ``projects.list`` call matches, fetched a page at a time, lazily.

    Iterating sends one request per page as the previous page runs out, following
    ``pagination.cursor`` from ``cursor`` (the newest project when None) to the end; breaking
    off early sends no more. Each iteration starts again at ``cursor``. ``pages()`` yields the
    pages themselves and ``first_page()`` sends just the one request, for a caller that pages
    itself (showing a page and the cursor to continue from, say). Every request is a read,
    retried like any other.
    """

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


class AsyncProjectListing(_ProjectListingBase["AsyncClient"]):
    """``ProjectListing`` for an ``AsyncClient``: ``async for`` over it, or over ``pages()``,
    and ``await first_page()``."""

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
