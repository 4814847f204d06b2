"""The Unique server with one extra, benchmark-only route: the projects list without a key.

`/bench/projects` runs the very handler behind `GET /api/v2/projects`, in the same process and
build, for a fixed account (``UNIQUE_BENCH_OWNER``) and without authentication; comparing the two
routes isolates what checking a key costs. A normal `unique serve` never has this route.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.routing import APIRoute

from unique.api.app import create_app as create_unique_app
from unique.api.guard import Caller
from unique.api.routes import projects
from unique.api_keys import Principal


class FixedCallerRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        owner = uuid.UUID(os.environ["UNIQUE_BENCH_OWNER"])

        async def unauthenticated(request: Request) -> Response:
            request.state.caller = Caller(Principal(0, owner), "127.0.0.1")
            return await handler(request)

        return unauthenticated


def create_app() -> FastAPI:
    app = create_unique_app()
    router = APIRouter(route_class=FixedCallerRoute)
    router.add_api_route("/bench/projects", projects.list_projects, methods=["GET"])
    app.include_router(router)
    return app
