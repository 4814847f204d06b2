"""Dependencies shared by the API routers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from unique.api.guard import Caller, caller_of
from unique.api.schemas import ErrorBody
from unique.runtime import Runtime

# Dependencies are async on purpose: FastAPI runs plain functions in a thread pool, a hop that
# costs more than their work.


async def current_caller(request: Request) -> Caller:
    return caller_of(request)


async def current_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


async def database(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for the request's writes and ORM reads (key checks and listings use
    ``Runtime.reads`` and need none)."""
    async with request.app.state.runtime.sessions() as session:
        yield session


CurrentCaller = Annotated[Caller, Depends(current_caller)]
CurrentRuntime = Annotated[Runtime, Depends(current_runtime)]
Database = Annotated[AsyncSession, Depends(database)]


def _error(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {"model": ErrorBody, "description": description}
    if headers:
        response["headers"] = headers
    return response


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _error("Malformed JSON, a missing, invalid or unknown field, or a bad parameter."),
    401: _error(
        "Missing, malformed, unknown, revoked or expired API key.",
        {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer realm"}},
    ),
    404: _error("No such route, or no such resource in your account."),
    405: _error("The route does not accept this method."),
    413: _error("The request body is larger than 64 KiB."),
    429: _error(
        "Rate limit exceeded.",
        {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait."}},
    ),
    503: _error("The database is unreachable."),
}
