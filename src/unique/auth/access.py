"""What a key may do: its scopes, the one project it may be limited to, and when it expires.

A key created with nothing but a name has full access: every scope, every project of its
account, no expiry. Anything else is less: fewer scopes (``X:write`` implies ``X:read``), one
project, an end. A key never hands out more than it holds (``Access.grants``), so neither creating
nor rotating a key can widen what a leaked key reaches.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from functools import lru_cache


class Scope(StrEnum):
    PROJECTS_READ = "projects:read"
    PROJECTS_WRITE = "projects:write"
    API_KEYS_READ = "api_keys:read"
    API_KEYS_WRITE = "api_keys:write"
    ACCOUNT_READ = "account:read"
    ORGANIZATIONS_READ = "organizations:read"
    ORGANIZATIONS_WRITE = "organizations:write"
    AUDIT_LOG_READ = "audit_log:read"


ALL_SCOPES = frozenset(Scope)
READ_ONLY_SCOPES = frozenset(scope for scope in Scope if scope.value.endswith(":read"))


class UnknownScope(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(f"Unknown scope '{name}'.")
        self.name = name


def with_implied(scopes: Iterable[str]) -> frozenset[Scope]:
    """The scopes named, each ``X:write`` bringing its ``X:read``; UnknownScope for a name that
    is none of ours."""
    effective: set[Scope] = set()
    for name in scopes:
        try:
            scope = Scope(name)
        except ValueError:
            raise UnknownScope(name) from None
        effective.add(scope)
        if scope.value.endswith(":write"):
            effective.add(Scope(scope.value.replace(":write", ":read")))
    return frozenset(effective)


def sorted_names(scopes: frozenset[Scope]) -> list[str]:
    return sorted(scope.value for scope in scopes)


def stored_scopes(scopes: frozenset[Scope]) -> str | None:
    """The column's value: None for full access, so that a scope added later reaches the keys
    that were created with every scope; else the names, space-separated and sorted."""
    return None if scopes == ALL_SCOPES else " ".join(sorted_names(scopes))


@lru_cache(maxsize=256)
def scopes_from_column(value: str | None) -> frozenset[Scope]:
    """The stored scopes back; cached, as the key's path reads them on every request and a
    deployment holds few distinct sets."""
    return ALL_SCOPES if value is None else with_implied(value.split())


@dataclass(frozen=True, slots=True)
class Requirement:
    """What a route needs of a key: a scope and, for a key limited to one project, whether the
    route keeps within a project (the handler then keeps to the key's) or reaches the account."""

    scope: Scope
    within_one_project: bool = False


@dataclass(frozen=True, slots=True)
class Access:
    """What one key may do."""

    scopes: frozenset[Scope] = ALL_SCOPES
    project_id: str | None = None
    expires_at: datetime | None = None

    @property
    def is_full(self) -> bool:
        return self.scopes == ALL_SCOPES and self.project_id is None and self.expires_at is None

    def refusal(self, requirement: Requirement) -> str:
        """Why this key may not call a route that needs ``requirement``; empty when it may."""
        if requirement.scope not in self.scopes:
            return f"This API key lacks the scope {requirement.scope.value}."
        if self.project_id is not None and not requirement.within_one_project:
            return "This API key is limited to one project and cannot reach the whole account."
        return ""

    def escalation_in(self, other: Access) -> str | None:
        """Why a key with this access may not create or rotate to ``other``, or None when
        ``other`` is no more than this: no scope it lacks, no wider project reach, no later end."""
        missing = other.scopes - self.scopes
        if missing:
            return f"This API key cannot grant the scope {sorted_names(frozenset(missing))[0]}."
        if self.project_id is not None and other.project_id != self.project_id:
            return "This API key cannot grant access beyond its own project."
        if self.expires_at is not None and (
            other.expires_at is None or other.expires_at > self.expires_at
        ):
            return "This API key cannot grant a key that outlives it."
        return None


FULL_ACCESS = Access()


def is_expired(expires_at: datetime | None, now: datetime) -> bool:
    if expires_at is None:
        return False
    if expires_at.tzinfo is None:
        # Only PostgreSQL's ±infinity, set by hand, arrives naive (as datetime.max or .min).
        expires_at = expires_at.replace(tzinfo=UTC)
    return expires_at <= now
