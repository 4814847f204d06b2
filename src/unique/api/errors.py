"""The one error shape every API response uses, and the handlers that produce it."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from unique.errors import Conflict, DomainError, InvalidInput, LimitExceeded, NotFound

log = logging.getLogger(__name__)

UNAUTHORIZED_MESSAGE = (
    "Authentication required: send a valid API key as 'Authorization: Bearer <key>'."
)
WWW_AUTHENTICATE = {"WWW-Authenticate": 'Bearer realm="unique"'}


class ApiError(Exception):
    """Raised anywhere in request handling to answer with the error shape."""

    def __init__(
        self, status: int, code: str, message: str, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def unauthorized() -> ApiError:
    return ApiError(401, "UNAUTHORIZED", UNAUTHORIZED_MESSAGE, WWW_AUTHENTICATE)


def request_id_of(request: Request) -> str:
    return str(getattr(request.state, "request_id", ""))


def error_response(
    request_id: str,
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        {"code": code, "message": message, "request_id": request_id},
        status_code=status,
        headers=dict(headers or {}),
    )


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
DATABASE_ERRORS: tuple[type[Exception], ...] = (DBAPIError, PoolTimeoutError, OSError)
# SQLSTATE classes that mean "the database cannot serve now": connection exception, operator
# intervention (shutting down, restarting), insufficient resources.
_UNAVAILABLE_SQLSTATE_CLASSES = {"08", "57", "53"}


def database_unavailable(error: Exception) -> bool:
    """Whether an error means the database is unreachable (503), not that a query is wrong."""
    if isinstance(error, OperationalError | InterfaceError | PoolTimeoutError | OSError):
        return True
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        cause = error.orig.__cause__ if error.orig is not None else None
        if isinstance(cause, OSError):
            return True
        state = getattr(cause, "sqlstate", None) or getattr(error.orig, "sqlstate", None) or ""
        return str(state)[:2] in _UNAVAILABLE_SQLSTATE_CLASSES
    return False


_DOMAIN_STATUS: dict[type[DomainError], int] = {
    InvalidInput: 400,
    NotFound: 404,
    Conflict: 409,
    LimitExceeded: 422,
}


def _field_of(location: tuple[Any, ...]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header")]
    return ".".join(parts)


def describe_validation_error(exc: RequestValidationError, content_type: str) -> str:
    error = exc.errors()[0]
    kind = error.get("type", "")
    location = tuple(error.get("loc", ()))
    if kind == "json_invalid":
        return "The request body is not valid JSON."
    field = _field_of(location)
    if location and location[0] == "body" and not field:
        if "json" not in content_type:
            return (
                "The request body must be a JSON object sent with Content-Type: application/json."
            )
        if kind == "missing":
            return "A JSON request body is required."
        return "The request body must be a JSON object."
    if kind == "extra_forbidden":
        return f"Unknown field '{field}'."
    if kind == "missing":
        return f"Missing required field '{field}'."
    message = str(error.get("msg", "is invalid")).removeprefix("Value error, ")
    return f"Invalid value for '{field}': {message}."


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
