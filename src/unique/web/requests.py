"""What a handler, API or Console, learns of its request: the runtime, a session, the client."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from unique.actor import Actor
from unique.net import client_address
from unique.runtime import Runtime
from unique.web.errors import request_id_of


def runtime_of(request: Request) -> Runtime:
    """The process's runtime, set on the app when it starts (``unique.api.app``)."""
    runtime: Runtime = request.app.state.runtime
    return runtime


def address_of(request: Request) -> str:
    """The client's address: the peer's, or what trusted proxies say it was (``unique.net``)."""
    return client_address(
        request.client.host if request.client else None,
        # Proxies may add their own header line instead of appending: read them all, in order.
        ", ".join(request.headers.getlist("x-forwarded-for")) or None,
        runtime_of(request).settings.trusted_proxies,
    )


# Dependencies are async on purpose: FastAPI runs plain functions in a thread pool, a hop that
# costs more than their work.


async def current_runtime(request: Request) -> Runtime:
    return runtime_of(request)


async def database(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for the request's writes and ORM reads (key checks and listings use
    ``Runtime.reads`` and need none)."""
    async with runtime_of(request).sessions() as session:
        yield session


CurrentRuntime = Annotated[Runtime, Depends(current_runtime)]
Database = Annotated[AsyncSession, Depends(database)]


def actor_of(
    request: Request,
    user_id: uuid.UUID | None,
    key_id: int | None = None,
    address: str | None = None,
) -> Actor:
    """The actor behind a request: the user (and key) acting, and where the request came from."""
    return Actor(
        user_id=user_id,
        key_id=key_id,
        address=address_of(request) if address is None else address,
        user_agent=request.headers.get("user-agent", ""),
        request_id=request_id_of(request),
    )
