"""What each API route needs of a key, declared on its endpoint with ``@requires``.

The route class (``unique.api.guard``) reads the declaration, documents it in the OpenAPI
document (the scope, the 403) and hands it to the key's path, which refuses a key without it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from unique.api.schemas import ErrorBody
from unique.auth.access import Requirement, Scope

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])
_REQUIREMENT = "__unique_requirement__"


class MissingRequirement(TypeError):
    """An authenticated route that does not say which scope it needs."""


def requires(scope: Scope, *, within_one_project: bool = False) -> Callable[[Endpoint], Endpoint]:
    """Mark an endpoint with what it needs of a key. Every authenticated route must say: the app
    refuses to build otherwise, so that no route is left open to every key by omission.

    ``within_one_project``: a key limited to one project may call it, and the handler keeps to
    that project; otherwise such a key is refused (the route reaches the whole account)."""

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _REQUIREMENT, Requirement(scope, within_one_project))
        return endpoint

    return mark


def requirement_of(path: str, endpoint: Callable[..., Any]) -> Requirement:
    requirement = getattr(endpoint, _REQUIREMENT, None)
    if not isinstance(requirement, Requirement):
        raise MissingRequirement(
            f"{path} ({getattr(endpoint, '__qualname__', endpoint)}) needs a key but does not say "
            "which scope: decorate it with @requires(Scope.…)"
        )
    return requirement


FORBIDDEN_RESPONSE = {
    "model": ErrorBody,
    "description": "The API key lacks the scope this route needs, or is limited to one project.",
    "headers": {
        "WWW-Authenticate": {
            "schema": {"type": "string"},
            "description": 'Bearer realm="unique", error="insufficient_scope", scope="…"',
        }
    },
}
