"""The API's exception handlers: every refusal written in the one error shape."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from unique.errors import Conflict, DomainError, Forbidden, InvalidInput, LimitExceeded, NotFound
from unique.web.errors import (
    DATABASE_ERRORS,
    ApiError,
    database_unavailable,
    describe_validation_error,
    error_response,
    request_id_of,
)

log = logging.getLogger(__name__)

UNAUTHORIZED_MESSAGE = (
    "Authentication required: send a valid API key as 'Authorization: Bearer <key>'."
)
REALM = 'Bearer realm="unique"'


def unauthorized(credential_presented: bool) -> ApiError:
    """The one 401 for every bad or missing key; RFC 6750 adds ``invalid_token`` only when a
    Bearer credential was sent, and the body never tells which check it failed."""
    challenge = f'{REALM}, error="invalid_token"' if credential_presented else REALM
    return ApiError(401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE, {"WWW-Authenticate": challenge})


def insufficient_scope(message: str, scope: str | None) -> ApiError:
    """A valid key that may not call this route (RFC 6750 §3.1)."""
    challenge = f'{REALM}, error="insufficient_scope"'
    if scope is not None:
        challenge += f', scope="{scope}"'
    return ApiError(403, "FORBIDDEN", message, {"WWW-Authenticate": challenge})


_HTTP_CODES = {
    400: "BAD_REQUEST",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    413: "PAYLOAD_TOO_LARGE",
}
_HTTP_MESSAGES = {
    404: "No such route or resource.",
    405: "This route does not accept that method.",
}
_DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    LimitExceeded: 422,
}


_METHODS = ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route accepts at this path: Starlette names only the first route's."""
    routes = request.app.router.routes
    return [
        method
        for method in _METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]


def install_error_handlers(app: FastAPI) -> None:
    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return error_response(
            request_id_of(request), exc.status, exc.code, exc.message, exc.headers
        )

    async def on_domain_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        status = next(s for kind, s in _DOMAIN_STATUS.items() if isinstance(exc, kind))
        return error_response(request_id_of(request), status, exc.code, exc.message)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        message = describe_validation_error(exc, request.headers.get("content-type", ""))
        return error_response(request_id_of(request), 400, "INVALID_REQUEST", message)

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        code = _HTTP_CODES.get(exc.status_code, "ERROR")
        message = _HTTP_MESSAGES.get(exc.status_code, str(exc.detail))
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        return error_response(request_id_of(request), exc.status_code, code, message, headers)

    async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
        if not database_unavailable(exc):
            log.error("database error", exc_info=exc, extra={"request_id": request_id_of(request)})
            return error_response(
                request_id_of(request),
                500,
                "INTERNAL_ERROR",
                "The server failed to handle the request.",
            )
        log.warning("database unavailable: %s", type(exc).__name__)
        return error_response(
            request_id_of(request),
            503,
            "SERVICE_UNAVAILABLE",
            "The database is unavailable; try again shortly.",
            {"Retry-After": "1"},
        )

    app.add_exception_handler(ApiError, on_api_error)
    for kind in _DOMAIN_STATUS:
        app.add_exception_handler(kind, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    for database_error in DATABASE_ERRORS:
        app.add_exception_handler(database_error, on_database_error)
