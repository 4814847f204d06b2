"""What stands between a matched API route and its handler, in the documented order.

Routing (404, 405) has already happened when a route runs; then come the body size (413), the
key (401) and only then the handler's own validation (400). FastAPI parses a JSON body before
resolving dependencies, which would answer a keyless, malformed request with 400; so this check
wraps the route handler itself instead of being a dependency.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.ext.asyncio import AsyncSession

from unique import api_keys
from unique.api.errors import ApiError, unauthorized
from unique.api_keys import Principal
from unique.db.tables import utcnow
from unique.errors import InvalidInput
from unique.last_use import LastUse
from unique.net import client_address
from unique.runtime import Runtime

MAX_BODY_BYTES = 64 * 1024

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


@dataclass(frozen=True)
class Caller:
    """The authenticated caller of one request, and the database session it runs in."""

    principal: Principal
    address: str
    session: AsyncSession


def _too_large() -> ApiError:
    return ApiError(
        413, "PAYLOAD_TOO_LARGE", f"The request body must be at most {MAX_BODY_BYTES} bytes."
    )


async def read_body_within_limit(request: Request) -> None:
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_BODY_BYTES):
        raise _too_large()
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _too_large()
        chunks.append(chunk)
    # Starlette keeps a read body here; FastAPI's own body parsing then reuses it.
    request._body = b"".join(chunks)


def request_address(request: Request, runtime: Runtime) -> str:
    return client_address(
        request.client.host if request.client else None,
        request.headers.get("x-forwarded-for"),
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


class AuthenticatedRoute(APIRoute):
    """An API route that needs a valid key; the handler reaches the caller via ``caller_of``."""

    def get_route_handler(self) -> Handler:
        handler = super().get_route_handler()
        declared = frozenset(_query_parameter_names(self.dependant))

        async def guarded(request: Request) -> Response:
            runtime: Runtime = request.app.state.runtime
            await read_body_within_limit(request)
            token = bearer_token(request.headers.get("authorization"))
            async with runtime.sessions() as session:
                principal = await api_keys.authenticate(session, token) if token else None
                if principal is None:
                    raise unauthorized()
                address = request_address(request, runtime)
                runtime.last_use.note(principal.key_id, LastUse(at=utcnow(), address=address))
                request.state.caller = Caller(principal, address, session)
                check_query_parameters(request, declared)
                return await handler(request)

        return guarded


def caller_of(request: Request) -> Caller:
    caller = getattr(request.state, "caller", None)
    if not isinstance(caller, Caller):
        raise unauthorized()
    return caller
