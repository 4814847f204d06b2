"""What stands between a matched API route and its handler, in the documented order.

Routing (404, 405) has already happened when a route runs; then come the body size (413), the
key (401) and only then the handler's own validation (400). FastAPI parses a JSON body before
resolving dependencies, which would answer a keyless, malformed request with 400; so this check
wraps the route handler itself instead of being a dependency.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from unique import api_keys, keys, metrics
from unique.api.body_limits import MAX_BODY_BYTES, body_too_large
from unique.api.direct import Handler, direct_handler
from unique.api.errors import ApiError, unauthorized
from unique.api_keys import Principal
from unique.db.tables import utcnow
from unique.errors import InvalidInput
from unique.last_use import LastUse
from unique.net import client_address
from unique.ratelimit import Verdict
from unique.runtime import Runtime


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request."""

    principal: Principal
    address: str


async def read_body_within_limit(request: Request) -> None:
    """Read the whole body now, so that its size is refused (413) before the key is checked; the
    body limits middleware refuses it past ``MAX_BODY_BYTES`` as it arrives, and a declared length
    over the limit needs no reading. Starlette keeps the body read; FastAPI's parsing reuses it."""
    declared = request.headers.get("content-length")
    if declared is not None and (
        not re.fullmatch(r"[0-9]{1,18}", declared) or int(declared) > MAX_BODY_BYTES
    ):
        raise body_too_large()
    await request.body()


async def check_body_is_utf8(request: Request) -> None:
    """JSON travels as UTF-8 (RFC 8259 §8.1), but the JSON parser would also take UTF-16 and
    UTF-32, which it recognises by a byte-order mark (never valid UTF-8) or by zero bytes among
    the first ones. Zero bytes cannot appear in a UTF-8 JSON text at all, so refusing them and
    invalid UTF-8 leaves the parser nothing else to guess."""
    body = await request.body()
    if b"\x00" in body or not _valid_utf8(body):
        raise InvalidInput("body", "The request body must be JSON encoded as UTF-8.")


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _failure_reason(token: str | None) -> str:
    if token is None:
        return "missing"
    try:
        keys.check(token)
    except keys.MalformedKey:
        return "malformed"
    return "rejected"


def _rate_limited(verdict: Verdict, limit: str, message: str) -> ApiError:
    metrics.rate_limited.labels(limit).inc()
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


async def throttle_failed_authentication(runtime: Runtime, address: str) -> None:
    """Past the allowance of failed authentications, an address gets 429 instead of 401, so
    that guessing keys from it stops early. Valid keys from the same address still work."""
    if runtime.limits is None:
        return
    allowance = runtime.settings.auth_failures_per_minute
    verdict = await runtime.limits.hit(f"authfail:{address}", allowance, 60)
    if verdict is not None and not verdict.allowed:
        metrics.auth_outcomes.labels("throttled").inc()
        raise _rate_limited(
            verdict, "auth_failures", "Too many failed authentications from this address."
        )


async def enforce_rate_limits(
    runtime: Runtime, principal: Principal, request: Request
) -> dict[str, str]:
    """Per account: a per-minute budget, and a per-second burst per route. Returns the headers
    that tell the caller where it stands."""
    if runtime.limits is None:
        return {}
    settings = runtime.settings
    route = request.scope.get("route")
    route_name = f"{request.method}:{getattr(route, 'path', request.url.path)}"
    burst = await runtime.limits.hit(
        f"burst:{principal.owner_id}:{route_name}", settings.rate_limit_burst, 1
    )
    if burst is not None and not burst.allowed:
        raise _rate_limited(burst, "burst", "Too many requests to this route in one second.")
    minute = await runtime.limits.hit(
        f"minute:{principal.owner_id}", settings.rate_limit_per_minute, 60
    )
    if minute is not None and not minute.allowed:
        raise _rate_limited(
            minute, "per_minute", "The account's requests-per-minute limit is used up."
        )
    return _limit_headers(minute) if minute is not None else {}


def request_address(request: Request, runtime: Runtime) -> str:
    return client_address(
        request.client.host if request.client else None,
        # Proxies may add their own header line instead of appending: read them all, in order.
        ", ".join(request.headers.getlist("x-forwarded-for")) or None,
        runtime.settings.trusted_proxies,
    )


def bearer_token(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return token


def _query_parameter_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for dependency in dependant.dependencies:
        names |= _query_parameter_names(dependency)
    return names


def check_query_parameters(request: Request, declared: frozenset[str]) -> None:
    """Refuse unknown and repeated parameters: silently ignoring a typo or picking one of several
    values would hide the caller's bug behind a plausible answer."""
    for name in request.query_params:
        if name not in declared:
            raise InvalidInput(name, f"Unknown query parameter '{name}'.")
        if len(request.query_params.getlist(name)) > 1:
            raise InvalidInput(name, f"Query parameter '{name}' must be given at most once.")


BEARER_SCHEME = "HTTPBearer"
BEARER_SECURITY_SCHEME = {
    "type": "http",
    "scheme": "bearer",
    "description": "An API key: `Authorization: Bearer unq_…`",
}


class AuthenticatedRoute(APIRoute):
    """An API route that needs a valid key; the handler reaches the caller via ``caller_of``.

    The route declares the Bearer scheme in the OpenAPI document itself: a security dependency
    would parse the header a second time on every request.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        security: dict[str, Any] = {"security": [{BEARER_SCHEME: []}]}
        kwargs["openapi_extra"] = security | (kwargs.get("openapi_extra") or {})
        super().__init__(path, endpoint, **kwargs)

    async def identify(self, request: Request, runtime: Runtime) -> tuple[Caller, dict[str, str]]:
        """The caller behind the request's key, and the rate-limit headers for its answer."""
        token = bearer_token(request.headers.get("authorization"))
        address = request_address(request, runtime)
        principal = await api_keys.authenticate(runtime.reads, token) if token else None
        if principal is None:
            await throttle_failed_authentication(runtime, address)
            metrics.auth_outcomes.labels(_failure_reason(token)).inc()
            raise unauthorized()
        metrics.valid_keys.inc()
        runtime.last_use.note(principal.key_id, LastUse(at=utcnow(), address=address))
        limit_headers = await enforce_rate_limits(runtime, principal, request)
        return Caller(principal, address), limit_headers

    def get_route_handler(self) -> Handler:
        handler = direct_handler(self.dependant, self.name) or super().get_route_handler()
        declared = frozenset(_query_parameter_names(self.dependant))

        async def guarded(request: Request) -> Response:
            runtime: Runtime = request.app.state.runtime
            await read_body_within_limit(request)
            caller, limit_headers = await self.identify(request, runtime)
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
        raise unauthorized()
    return caller
