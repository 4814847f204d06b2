"""Endpoints called directly (unique.api.direct) answer exactly as FastAPI's own handling would,
and a route that cannot be called directly without skipping something refuses to be created."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Body, Depends, FastAPI, Path, Query, Request, Response
from fastapi.routing import APIRoute

from unique.api.app import create_app
from unique.api.direct import (
    CannotCallDirectly,
    Handler,
    call_directly,
    check_direct_calls,
    direct_handler,
)
from unique.api.errors import install_error_handlers
from unique.api.guard import AuthenticatedRoute
from unique.api.requirements import requires
from unique.api.routes import projects
from unique.api.schemas import json_response
from unique.auth.access import Scope
from unique.config import Settings
from unique.web.formats import CANONICAL_INTEGER
from unique.web.request_context import RequestContextMiddleware


async def caller_name(request: Request) -> str:
    return request.headers.get("x-caller", "nobody")


@requires(Scope.PROJECTS_READ)
async def listing(
    caller: Annotated[str, Depends(caller_name)],
    limit: Annotated[int, Query(ge=1, le=400), CANONICAL_INTEGER] = 10,
    cursor: Annotated[str | None, Query(pattern="^[0-9]{1,18}$")] = None,
    search: Annotated[str | None, Query(max_length=8)] = None,
) -> Response:
    return json_response({"caller": caller, "limit": limit, "cursor": cursor, "search": search})


class DirectRoute(APIRoute):
    def get_route_handler(self) -> Handler:
        return direct_handler(self)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)
    install_error_handlers(app)
    app.add_api_route("/fastapi", listing)
    direct = APIRouter(route_class=DirectRoute)
    direct.add_api_route("/direct", listing)
    app.include_router(direct)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def _comparable(response: httpx.Response) -> tuple[int, Any]:
    body = response.json()
    if isinstance(body, dict):
        body.pop("request_id", None)
    return response.status_code, body


@pytest.mark.parametrize(
    "query",
    [
        "",
        "limit=5",
        "limit=400&cursor=123&search=ünï",
        "limit=0",
        "limit=401",
        "limit=x",
        "limit=1.5",
        "limit=05",
        "limit=%2B5",
        "limit=5.0",
        "limit=1_0",
        "limit=%205",
        "limit=5%0A",
        "limit=",
        f"limit={10**30}",
        "cursor=abc",
        "cursor=",
        "cursor=-1",
        "search=",
        "search=much-too-long",
        "search=%3Cscript%3E",
        "limit=0&cursor=x&search=much-too-long",
    ],
)
async def test_same_answer_as_fastapi(client: httpx.AsyncClient, query: str) -> None:
    headers = {"x-caller": "sam"}
    through_fastapi = await client.get(f"/fastapi?{query}", headers=headers)
    called_directly = await client.get(f"/direct?{query}", headers=headers)

    assert _comparable(called_directly) == _comparable(through_fastapi)


@requires(Scope.PROJECTS_READ)
async def listing_copy(
    caller: Annotated[str, Depends(caller_name)],
    limit: Annotated[int, Query(ge=1, le=400), CANONICAL_INTEGER] = 10,
) -> Response:
    return json_response({"caller": caller, "limit": limit})


async def body_reader(item: Annotated[dict[str, Any], Body()]) -> Response:
    return json_response(item)


async def path_reader(item_id: Annotated[int, Path()]) -> Response:
    return json_response(item_id)


async def model_answer() -> dict[str, str]:
    return {"answered": "by a model"}


async def session() -> AsyncIterator[str]:
    yield "a resource to clean up"


async def with_cleanup(resource: Annotated[str, Depends(session)]) -> Response:
    return json_response(resource)


async def query_reader(limit: int = 10) -> Response:
    return json_response(limit)


async def with_query_dependency(limit: Annotated[int, Depends(query_reader)]) -> Response:
    return json_response(limit)


async def deny(request: Request) -> None:
    raise AssertionError("a guard that must run")


async def list_reader(tags: Annotated[list[str], Query()]) -> Response:
    return json_response(tags)


@pytest.mark.parametrize(
    ("endpoint", "path"),
    [
        (list_reader, "/items"),
        (body_reader, "/items"),
        (path_reader, "/items/{item_id}"),
        (model_answer, "/items"),
        (with_cleanup, "/items"),
        (with_query_dependency, "/items"),
    ],
)
def test_anything_else_refuses_to_be_called_directly(endpoint: Any, path: str) -> None:
    with pytest.raises(CannotCallDirectly):
        DirectRoute(path, endpoint, methods=["GET"])


def test_a_dependency_declared_on_the_route_stops_the_route_being_created() -> None:
    with pytest.raises(CannotCallDirectly, match="declares dependencies"):
        DirectRoute("/items", listing, methods=["GET"], dependencies=[Depends(deny)])


def test_a_dependency_declared_on_include_router_stops_the_app_being_built() -> None:
    router = APIRouter(route_class=DirectRoute)
    router.add_api_route("/items", call_directly(listing_copy))
    app = FastAPI()
    app.include_router(router, dependencies=[Depends(deny)])

    with pytest.raises(CannotCallDirectly, match="declares dependencies"):
        check_direct_calls(app)


def test_a_dependency_declared_on_the_app_stops_the_app_being_built() -> None:
    router = APIRouter(route_class=DirectRoute)
    router.add_api_route("/items", call_directly(listing_copy))
    app = FastAPI(dependencies=[Depends(deny)])
    app.include_router(router)

    with pytest.raises(CannotCallDirectly, match="declares dependencies"):
        check_direct_calls(app)


def test_the_service_refuses_a_dependency_its_listings_would_skip(settings: Settings) -> None:
    app = create_app(settings)
    check_direct_calls(app)  # as built: nothing is skipped
    app.include_router(projects.router, prefix="/tenant", dependencies=[Depends(deny)])

    with pytest.raises(CannotCallDirectly, match="list_projects"):
        check_direct_calls(app)


async def test_the_api_calls_only_marked_endpoints_directly() -> None:
    marked = call_directly(listing_copy)
    assert marked is listing_copy

    router = APIRouter(route_class=AuthenticatedRoute)
    router.add_api_route("/marked", marked)
    with pytest.raises(CannotCallDirectly):
        router.add_api_route("/marked-with-guard", marked, dependencies=[Depends(deny)])
    router.add_api_route("/plain", listing, dependencies=[Depends(deny)])
