"""The error shape every answer of this service uses, API and Console alike.

``ApiError`` is raised anywhere in request handling; the API writes it as the documented JSON
body (``{"code", "message", "request_id"}``), the Console as an error page with the same message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError


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
