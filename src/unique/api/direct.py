"""Calling an endpoint without FastAPI's per-request dependency solving, for routes that ask.

On every request FastAPI walks an endpoint's dependency tree and validates each query parameter on
its own. For the API's busiest routes, the listings, that bookkeeping cost more than checking the
key and running the query together (``bench/PROFILING.md``). An endpoint marked with
``call_directly`` skips it: its query parameters are validated as one Pydantic model built from
the endpoint's own annotations, its dependencies are called with the request, and it answers with
a Response of its own. Its OpenAPI description and its validation messages stay FastAPI's.

Only simple endpoints can be called so: query parameters of one value each, dependencies that
take nothing but the request, no path, body, header or cookie parameters, no cleanup. A marked
endpoint that is not simple, or a route that declares dependencies (on the route or its router:
refused when the route is created; on ``include_router`` or the app: refused by
``check_direct_calls`` once the app is assembled), stops the app being built, with an error that
says why: a fast path never silently skips a check someone declared.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable, Coroutine
from typing import Annotated, Any, TypeVar, get_args, get_origin, get_type_hints

from fastapi import FastAPI, Request, Response
from fastapi import params as fastapi_params
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel, ValidationError, create_model
from pydantic.fields import FieldInfo

Handler = Callable[[Request], Coroutine[Any, Any, Response]]
Endpoint = TypeVar("Endpoint", bound=Callable[..., Coroutine[Any, Any, Response]])

_MARK = "unique_called_directly"
_SCALARS = (str, int, float, bool)
_OTHER_SOURCES = (
    fastapi_params.Path,
    fastapi_params.Body,
    fastapi_params.Header,
    fastapi_params.Cookie,
)


class CannotCallDirectly(TypeError):
    """A route asked to be called directly but cannot be without skipping something."""


def call_directly(endpoint: Endpoint) -> Endpoint:
    """Mark an endpoint to be called without FastAPI's dependency solving (see the module)."""
    setattr(endpoint, _MARK, True)
    return endpoint


def is_called_directly(endpoint: Callable[..., Any]) -> bool:
    return getattr(endpoint, _MARK, False) is True


def direct_handler(route: APIRoute) -> Handler:
    """A handler that calls ``route``'s endpoint directly; raises CannotCallDirectly if it would
    skip part of what FastAPI would do."""
    endpoint = route.endpoint
    where = f"{route.path} ({getattr(endpoint, '__qualname__', endpoint)})"
    if route.dependencies:
        raise CannotCallDirectly(
            f"{where} is called directly but declares dependencies on the route, its router, "
            "include_router or the app, which a direct call would skip: declare them as "
            "parameters of the endpoint, or drop call_directly"
        )
    if not inspect.iscoroutinefunction(endpoint):
        raise CannotCallDirectly(f"{where} must be an async function to be called directly")
    hints = get_type_hints(endpoint, include_extras=True)
    returned = hints.pop("return", None)
    if not (isinstance(returned, type) and issubclass(returned, Response)):
        raise CannotCallDirectly(f"{where} must answer with a Response to be called directly")
    query_fields: dict[str, Any] = {}
    dependencies: list[tuple[str, Callable[[Request], Coroutine[Any, Any, Any]]]] = []
    request_names: list[str] = []
    for name, parameter in inspect.signature(endpoint).parameters.items():
        annotation = hints.get(name, Any)
        base, metadata = _split(annotation)
        dependency = _dependency_in(metadata)
        if base is Request:
            request_names.append(name)
        elif dependency is not None:
            dependencies.append((name, _request_only(dependency, where)))
        elif _is_query(name, base, metadata, route):
            default = ... if parameter.default is inspect.Parameter.empty else parameter.default
            query_fields[name] = (annotation, default)
        else:
            raise CannotCallDirectly(
                f"{where}: parameter '{name}' is not a single-valued query parameter, the "
                "request or a dependency on the request alone, so it cannot be called directly"
            )
    query_model: type[BaseModel] = create_model(f"{route.name}_query", **query_fields)

    async def handler(request: Request) -> Response:
        try:
            query = query_model.model_validate(dict(request.query_params))
        except ValidationError as error:
            raise RequestValidationError(
                [{**detail, "loc": ("query", *detail["loc"])} for detail in error.errors()]
            ) from None
        arguments: dict[str, Any] = dict(query)
        for argument, call in dependencies:
            arguments[argument] = await call(request)
        for argument in request_names:
            arguments[argument] = request
        response: Response = await endpoint(**arguments)
        return response

    return handler


def check_direct_calls(app: FastAPI) -> None:
    """Raise CannotCallDirectly for a directly called route of the assembled ``app`` on which
    ``include_router`` or the app itself declares a dependency, which its direct call would skip.

    (A dependency on the route or its own router is refused as the route is created.)
    """
    for route in iter_route_contexts(app.routes):
        original = route.original_route
        if not (isinstance(original, APIRoute) and is_called_directly(original.endpoint)):
            continue
        declared = getattr(route, "dependencies", None) or []
        if declared:
            raise CannotCallDirectly(
                f"{route.path} ({original.endpoint.__qualname__}) is called directly but "
                "include_router or the app declares dependencies for it, which a direct call "
                "would skip: declare them as parameters of the endpoint, or drop call_directly"
            )


def declared_query_parameters(route: APIRoute) -> frozenset[str]:
    """The names of the query parameters ``route`` declares, its dependencies' included."""
    names = _query_names(route.endpoint, route)
    for dependency in route.dependencies:
        if dependency.dependency is not None:
            names |= _query_names(dependency.dependency, route)
    return frozenset(names)


def _query_names(call: Callable[..., Any], route: APIRoute) -> set[str]:
    names: set[str] = set()
    hints = get_type_hints(call, include_extras=True)
    for name in inspect.signature(call).parameters:
        base, metadata = _split(hints.get(name, Any))
        dependency = _dependency_in(metadata)
        if dependency is not None and dependency.dependency is not None:
            names |= _query_names(dependency.dependency, route)
        elif _is_query(name, base, metadata, route):
            query = next((m for m in metadata if isinstance(m, fastapi_params.Query)), None)
            names.add(query.alias if query is not None and query.alias else name)
    return names


def _split(annotation: Any) -> tuple[Any, tuple[Any, ...]]:
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return base, tuple(metadata)
    return annotation, ()


def _dependency_in(metadata: tuple[Any, ...]) -> fastapi_params.Depends | None:
    return next((m for m in metadata if isinstance(m, fastapi_params.Depends)), None)


def _is_query(name: str, base: Any, metadata: tuple[Any, ...], route: APIRoute) -> bool:
    """As FastAPI decides: a declared Query, or a plain scalar that is not a path parameter."""
    if any(isinstance(m, fastapi_params.Query) for m in metadata):
        return _single_valued(base)
    if any(isinstance(m, _OTHER_SOURCES) for m in metadata):
        return False
    if any(isinstance(m, FieldInfo) for m in metadata) or name in _path_names(route):
        return False
    return _single_valued(base)


def _single_valued(annotation: Any) -> bool:
    if annotation in _SCALARS:
        return True
    if get_origin(annotation) in (typing.Union, types.UnionType):
        return all(arg is type(None) or arg in _SCALARS for arg in get_args(annotation))
    return False


def _path_names(route: APIRoute) -> set[str]:
    return set(re.findall(r"{(\w+)(?::\w+)?}", route.path))


def _request_only(
    dependency: fastapi_params.Depends, where: str
) -> Callable[[Request], Coroutine[Any, Any, Any]]:
    call = dependency.dependency
    if call is None or not inspect.iscoroutinefunction(call):
        raise CannotCallDirectly(f"{where}: a dependency of a direct call must be async")
    hints = get_type_hints(call)
    parameters = list(inspect.signature(call).parameters)
    if len(parameters) != 1 or hints.get(parameters[0]) is not Request:
        raise CannotCallDirectly(
            f"{where}: {call.__qualname__} takes more than the request, so it cannot be called "
            "directly"
        )
    return call
