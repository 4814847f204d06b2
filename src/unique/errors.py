"""Domain errors. Each carries a stable code and a sentence safe to show to the caller.

The API and the Console map them to their own responses; nothing here knows about HTTP.
"""

from __future__ import annotations


class DomainError(Exception):
    code = "ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """A value a caller sent breaks a rule; ``field`` names it."""

    code = "INVALID_REQUEST"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class Forbidden(DomainError):
    """The caller is known but may not do this (e.g. a key granting more than it holds)."""

    code = "FORBIDDEN"


class NotFound(DomainError):
    code = "NOT_FOUND"


class Conflict(DomainError):
    code = "CONFLICT"


class LimitExceeded(DomainError):
    code = "LIMIT_EXCEEDED"
