"""The Unique server with one extra, benchmark-only route: the projects list without a key.

`/bench/projects` runs the very handler behind `GET /api/v2/projects`, in the same process and
build and through the same route machinery, for a fixed account (``UNIQUE_BENCH_OWNER``) but
without the key check (and so without last-use recording); comparing the two routes isolates
what checking a key costs. A normal `unique serve` never has this route.
"""

from __future__ import annotations

import os
import uuid

from fastapi import APIRouter, FastAPI, Request

from unique.actor import Actor
from unique.api.app import create_server_app
from unique.api.guard import AuthenticatedRoute, Caller
from unique.api.routes import projects
from unique.auth.verify import Principal


class FixedCallerRoute(AuthenticatedRoute):
    async def identify(self, request: Request) -> tuple[Caller, dict[str, str]]:
        owner = uuid.UUID(os.environ["UNIQUE_BENCH_OWNER"])
        return Caller(Principal(0, owner), Actor(owner, 0, "127.0.0.1")), {}


def create_app() -> FastAPI:
    app = create_server_app()
    router = APIRouter(route_class=FixedCallerRoute)
    router.add_api_route("/bench/projects", projects.list_projects, methods=["GET"])
    app.include_router(router)
    return app
