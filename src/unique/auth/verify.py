"""Verifying a presented key: one result, with the reason, for every request (see the package)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select

from unique import keys, metrics
from unique.auth.access import FULL_ACCESS, Access, Requirement, is_expired, scopes_from_column
from unique.config import Settings
from unique.db.reads import Lookup, Reads, Row
from unique.db.tables import ApiKey, utcnow
from unique.last_use import LastUse, LastUseRecorder
from unique.ratelimit import Counter, Verdict


class Reason(StrEnum):
    VALID = "valid"
    MISSING = "missing"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    EXPIRED = "expired"
    THROTTLED = "throttled"
    INSUFFICIENT_SCOPE = "insufficient_scope"


class Limit(StrEnum):
    """Which budget a throttled request ran out of."""

    AUTH_FAILURES = "auth_failures"
    BURST = "burst"
    PER_MINUTE = "per_minute"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a valid key speaks for."""

    key_id: int
    owner_id: uuid.UUID
    access: Access = FULL_ACCESS


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome for one request.

    ``principal`` is set for a valid key (and for a valid key that is throttled or lacks the
    route's scope); ``verdict`` is where the caller stands against the limit that throttled it
    or, for a valid key, against its account's per-minute budget (None when limits are off);
    ``refusal`` says what an ``insufficient_scope`` key lacks.
    """

    reason: Reason
    principal: Principal | None = None
    verdict: Verdict | None = None
    limit: Limit | None = None
    refusal: str = ""


# By the hash alone, so that both databases use its unique index whatever their statistics say
# (PostgreSQL would otherwise pick the index of active keys and filter every row in it).
KEY_BY_HASH = Lookup(
    select(
        ApiKey.id,
        ApiKey.owner_id,
        ApiKey.revoked_at.is_(None).label("active"),
        ApiKey.expires_at,
        ApiKey.scopes,
        ApiKey.project_id,
    ),
    key=ApiKey.token_hash,
)

# Counted children made once: looking a label up costs more than counting.
_COUNTED = {reason: metrics.auth_outcomes.labels(reason.value) for reason in Reason}


class Verifier:
    """Checks keys for one process; ``verify`` is the whole path."""

    def __init__(
        self,
        reads: Reads,
        last_use: LastUseRecorder,
        settings: Settings,
        limits: Counter | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.reads = reads
        self.last_use = last_use
        self.settings = settings
        self.limits = limits
        self.clock = clock

    def warm_up(self) -> None:
        """Bring the index of key hashes into memory before the first request needs it."""
        self.reads.warm(KEY_BY_HASH)

    async def verify(
        self,
        authorization: str | None,
        address: str,
        route: str,
        requirement: Requirement | None = None,
    ) -> Verification:
        """The verdict on the credential in ``authorization`` (the header's value, if any), sent
        from ``address`` to ``route`` (the route's template, counted for the burst limit), which
        needs what ``requirement`` says (None: any valid key)."""
        token = bearer_token(authorization)
        if token is None:
            return await self._refuse(Reason.MISSING, address)
        try:
            key = keys.check(token)
        except keys.MalformedKey:
            return await self._refuse(Reason.MALFORMED, address)
        found = await self.reads.look_up(KEY_BY_HASH, keys.digest(key))
        if found is None:
            return await self._refuse(Reason.UNKNOWN, address)
        if not found.active:
            return await self._refuse(Reason.REVOKED, address)
        now = self.clock()
        if is_expired(found.expires_at, now):
            return await self._refuse(Reason.EXPIRED, address)
        principal = Principal(found.id, found.owner_id, _access(found))
        # Noted before the account's limits: a throttled or refused request still used the key.
        self.last_use.note(principal.key_id, LastUse(at=now, address=address))
        verification = await self._within_account_limits(principal, route)
        if verification.reason is Reason.VALID and requirement is not None:
            refusal = principal.access.refusal(requirement)
            if refusal:
                verification = Verification(
                    Reason.INSUFFICIENT_SCOPE, principal, verification.verdict, refusal=refusal
                )
        return _counted(verification)

    async def _refuse(self, reason: Reason, address: str) -> Verification:
        """A failure; past the address's allowance of failures, a throttled one, so that guessing
        keys from it stops early (valid keys from the same address still work)."""
        if self.limits is not None:
            allowance = self.settings.auth_failures_per_minute
            verdict = await self.limits.hit(f"authfail:{address}", allowance, 60)
            if verdict is not None and not verdict.allowed:
                return _counted(Verification(Reason.THROTTLED, None, verdict, Limit.AUTH_FAILURES))
        return _counted(Verification(reason))

    async def _within_account_limits(self, principal: Principal, route: str) -> Verification:
        """Per account: a per-second burst per route, then a per-minute budget."""
        if self.limits is None:
            return Verification(Reason.VALID, principal)
        owner = principal.owner_id
        burst = await self.limits.hit(f"burst:{owner}:{route}", self.settings.rate_limit_burst, 1)
        if burst is not None and not burst.allowed:
            return Verification(Reason.THROTTLED, principal, burst, Limit.BURST)
        minute = await self.limits.hit(f"minute:{owner}", self.settings.rate_limit_per_minute, 60)
        if minute is not None and not minute.allowed:
            return Verification(Reason.THROTTLED, principal, minute, Limit.PER_MINUTE)
        return Verification(Reason.VALID, principal, minute)


def bearer_token(authorization: str | None) -> str | None:
    """The credential of a Bearer header (the scheme is case-insensitive), else None."""
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _access(found: Row) -> Access:
    """What the found key may do; the one shared value for a full-access key (the common case)
    that never expires, so that the hot path allocates nothing for it."""
    if found.scopes is None and found.project_id is None and found.expires_at is None:
        return FULL_ACCESS
    return Access(scopes_from_column(found.scopes), found.project_id, found.expires_at)


def _counted(verification: Verification) -> Verification:
    _COUNTED[verification.reason].inc()
    if verification.limit is not None:
        metrics.rate_limited.labels(verification.limit.value).inc()
    return verification
