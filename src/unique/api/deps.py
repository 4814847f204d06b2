"""Dependencies shared by the API routers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from unique.api.guard import AuthenticatedRoute, Caller, caller_of
from unique.api.schemas import ErrorBody


async def current_caller(request: Request) -> Caller:
    return caller_of(request)


CurrentCaller = Annotated[Caller, Depends(current_caller)]


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


def authenticated_router(prefix: str, tag: str) -> APIRouter:
    """A router of the API's resources: every route needs a key and documents the error shape."""
    return APIRouter(
        prefix=prefix, tags=[tag], route_class=AuthenticatedRoute, responses=ERROR_RESPONSES
    )
