"""The exceptions a call raises, and how an HTTP answer that is not a success becomes one."""

from __future__ import annotations

import re
from typing import Any

import httpx


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


class PermissionDeniedError(UniqueError):
    """403: the key is valid but may not do this: it lacks a scope (``required_scope`` names
    it, from the ``WWW-Authenticate`` challenge), reaches one project only, or would grant more
    than it holds."""

    def __init__(self, message: str, *, required_scope: str | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.required_scope = required_scope


class NotFoundError(UniqueError):
    """404: no such route, or no such resource in your account."""


class ConflictError(UniqueError):
    """409: the resource is not in a state that allows this (a key already rotated, or
    revoked; an organization that still owns projects, or would be left without an admin)."""


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
    409: ConflictError,
    429: RateLimitError,
}


def retry_after(response: httpx.Response) -> float | None:
    """The answer's ``Retry-After`` in seconds (never negative), or None without a usable one."""
    try:
        return max(0.0, float(response.headers["retry-after"]))
    except (KeyError, ValueError):
        return None


_SCOPE_CHALLENGE = re.compile(r'\bscope="([^"]*)"')


def required_scope(response: httpx.Response) -> str | None:
    """The scope a 403's ``WWW-Authenticate`` challenge names (RFC 6750 §3.1), if any."""
    found = _SCOPE_CHALLENGE.search(response.headers.get("www-authenticate", ""))
    return found.group(1) if found else None


def error_from(response: httpx.Response) -> UniqueError:
    """The exception for an answer that is not a success.

    The API's error body (``{"code", "message", "request_id"}``) fills it in; an answer without
    one (a proxy's HTML page, say) still gives the status, the reason phrase and the request id
    of the ``X-Request-Id`` header.
    """
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
        return RateLimitError(message, retry_after=retry_after(response), **details)
    if response.status_code == 403:
        return PermissionDeniedError(message, required_scope=required_scope(response), **details)
    if response.status_code >= 500:
        return ServerError(message, **details)
    return _ERRORS_BY_STATUS.get(response.status_code, UniqueError)(message, **details)
