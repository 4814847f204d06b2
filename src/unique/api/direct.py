"""Calling a simple endpoint without FastAPI's per-request dependency solving.

On every request FastAPI walks an endpoint's dependency tree and validates each query parameter on
its own. For the API's busiest routes, the listings, that bookkeeping cost more than checking the
key and running the query together (bench/PROFILING.md has the figures). An endpoint needs none
of it when it takes only query parameters and dependencies that read nothing but the request, and
answers with a Response of its own: then its query parameters are validated as one Pydantic model
built from FastAPI's own declarations, and its dependencies are called directly.

The route's OpenAPI description, its validation rules and their error messages stay FastAPI's;
every other endpoint goes through FastAPI as usual. Only the route's own dependencies are seen
here: declare dependencies on the router or the route, not on ``include_router`` or the app.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, get_type_hints

from fastapi import Request, Response
from fastapi._compat import ModelField, field_annotation_is_sequence, lenient_issubclass
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError, create_model

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


def direct_handler(dependant: Dependant, name: str) -> Handler | None:
    """A handler that calls the endpoint directly, or None when FastAPI's own is needed."""
    endpoint = dependant.call
    if not (
        endpoint is not None
        and inspect.iscoroutinefunction(endpoint)
        and _answers_with_response(endpoint)
        and _reads_only_query_and_request(dependant)
        and all(_reads_only_request(dependency) for dependency in dependant.dependencies)
    ):
        return None
    fields: dict[str, Any] = {
        field.name: (field.field_info.annotation, field.field_info)
        for field in dependant.query_params
    }
    query_model: type[BaseModel] = create_model(f"{name}_query", **fields)
    dependencies = [
        (dependency.name, dependency.call)
        for dependency in dependant.dependencies
        if dependency.name is not None and dependency.call is not None
    ]
    request_name = dependant.request_param_name

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
        if request_name is not None:
            arguments[request_name] = request
        response: Response = await endpoint(**arguments)
        return response

    return handler


def _answers_with_response(endpoint: Callable[..., Any]) -> bool:
    returned = get_type_hints(endpoint).get("return")
    return isinstance(returned, type) and issubclass(returned, Response)


def _reads_only_query_and_request(dependant: Dependant) -> bool:
    return not (
        any(not _plain_query_field(field) for field in dependant.query_params)
        or dependant.path_params
        or dependant.header_params
        or dependant.cookie_params
        or dependant.body_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
    )


def _plain_query_field(field: ModelField) -> bool:
    """One value under its own name: no alias, no list, no model of several parameters."""
    annotation = field.field_info.annotation
    return (
        field.alias == field.name
        and not field_annotation_is_sequence(annotation)
        and not lenient_issubclass(annotation, BaseModel)
    )


def _reads_only_request(dependency: Dependant) -> bool:
    """A dependency that FastAPI would call with the request alone, once, without cleanup, and
    whose value goes to a parameter (a nameless one, ``dependencies=[...]``, is left to FastAPI)."""
    return (
        dependency.name is not None
        and dependency.call is not None
        and inspect.iscoroutinefunction(dependency.call)
        and not dependency.query_params
        and not dependency.dependencies
        and _reads_only_query_and_request(dependency)
        and dependency.request_param_name is not None
        and len(inspect.signature(dependency.call).parameters) == 1
    )
