"""The route class that puts the key's path (``unique.auth``) in front of every API handler.

Routing (404, 405) has already happened when a route runs; then come the body size (413), the
key (401, or 429 when throttled) and only then the handler's own validation (400). FastAPI parses
a JSON body before resolving dependencies, which would answer a keyless, malformed request with
400; so the check wraps the route handler itself instead of being a dependency.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

from unique.actor import Actor
from unique.api.direct import (
    Handler,
    declared_query_parameters,
    direct_handler,
    is_called_directly,
)
from unique.api.errors import insufficient_scope, unauthorized
from unique.api.requirements import FORBIDDEN_RESPONSE, requirement_of
from unique.auth.verify import Limit, Principal, Reason, Verification
from unique.errors import InvalidInput
from unique.ratelimit import Verdict
from unique.web.body_limits import check_body_is_utf8, read_body_within_limit
from unique.web.errors import ApiError
from unique.web.requests import actor_of, address_of, runtime_of


@dataclass(frozen=True, slots=True)
class Caller:
    """The authenticated caller of one request: the key's principal, acting as ``actor``."""

    principal: Principal
    actor: Actor


BEARER_SCHEME = "HTTPBearer"
BEARER_SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key: `Authorization: Bearer unq_…`",
}

_THROTTLED_MESSAGES = {
    Limit.AUTH_FAILURES: "Too many failed authentications from this address.",
    Limit.BURST: "Too many requests to this route in one second.",
    Limit.PER_MINUTE: "The account's requests-per-minute limit is used up.",
}


class AuthenticatedRoute(APIRoute):
    """An API route that needs a valid key with the scope its endpoint ``requires``; the handler
    reaches the caller via ``caller_of``.

    The route declares the Bearer scheme, its scope and its 403 in the OpenAPI document itself: a
    security dependency would parse the header a second time on every request. An endpoint marked
    ``call_directly`` is called without FastAPI's dependency solving (``unique.api.direct``).
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        self.requirement = requirement_of(path, endpoint)
        scope = self.requirement.scope.value
        documented: dict[str, Any] = {
            "security": [{BEARER_SCHEME: [scope]}],
            "x-required-scope": scope,
            "x-one-project-keys": self.requirement.within_one_project,
        }
        kwargs["openapi_extra"] = documented | (kwargs.get("openapi_extra") or {})
        kwargs["responses"] = {403: FORBIDDEN_RESPONSE} | (kwargs.get("responses") or {})
        description = kwargs.get("description") or inspect.cleandoc(endpoint.__doc__ or "")
        kwargs["description"] = f"{description}\n\nNeeds the scope `{scope}`.".lstrip()
        super().__init__(path, endpoint, **kwargs)

    async def identify(self, request: Request) -> tuple[Caller, dict[str, str]]:
        """The caller behind the request's key, and the rate-limit headers for its answer."""
        address = address_of(request)
        authorization = request.headers.get("authorization")
        verification = await runtime_of(request).verifier.verify(
            authorization, address, f"{request.method}:{self.path}", self.requirement
        )
        if verification.reason is Reason.THROTTLED:
            raise _throttled(verification)
        if verification.principal is None:
            raise unauthorized(credential_presented=verification.reason is not Reason.MISSING)
        if verification.reason is Reason.INSUFFICIENT_SCOPE:
            lacks_scope = self.requirement.scope not in verification.principal.access.scopes
            raise insufficient_scope(
                verification.refusal, self.requirement.scope.value if lacks_scope else None
            )
        actor = actor_of(
            request, verification.principal.owner_id, verification.principal.key_id, address
        )
        headers = _limit_headers(verification.verdict) if verification.verdict else {}
        return Caller(verification.principal, actor), headers

    def get_route_handler(self) -> Handler:
        if is_called_directly(self.endpoint):
            handler = direct_handler(self)
        else:
            handler = super().get_route_handler()
        declared = declared_query_parameters(self)

        async def guarded(request: Request) -> Response:
            await read_body_within_limit(request)
            caller, limit_headers = await self.identify(request)
            check_query_parameters(request, declared)
            await check_body_is_utf8(request)
            request.state.caller = caller
            response = await handler(request)
            response.headers.update(limit_headers)
            return response

        return guarded


def caller_of(request: Request) -> Caller:
    caller = getattr(request.state, "caller", None)
    if not isinstance(caller, Caller):
        raise unauthorized(credential_presented=False)
    return caller


def check_query_parameters(request: Request, declared: frozenset[str]) -> None:
    """Refuse unknown and repeated parameters: silently ignoring a typo or picking one of several
    values would hide the caller's bug behind a plausible answer."""
    for name in request.query_params:
        if name not in declared:
            raise InvalidInput(name, f"Unknown query parameter '{name}'.")
        if len(request.query_params.getlist(name)) > 1:
            raise InvalidInput(name, f"Query parameter '{name}' must be given at most once.")


def _throttled(verification: Verification) -> ApiError:
    verdict = verification.verdict
    assert verdict is not None and verification.limit is not None
    message = _THROTTLED_MESSAGES[verification.limit]
    return ApiError(
        429,
        "RATE_LIMITED",
        f"{message} Retry in {verdict.reset_seconds} s.",
        {"Retry-After": str(verdict.reset_seconds), **_limit_headers(verdict)},
    )


def _limit_headers(verdict: Verdict) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(verdict.limit),
        "RateLimit-Remaining": str(verdict.remaining),
        "RateLimit-Reset": str(verdict.reset_seconds),
    }
