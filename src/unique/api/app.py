"""The ASGI application: the API under ``/api/v2``, the Console at ``/``, operator endpoints."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.staticfiles import StaticFiles

from unique.api.direct import check_direct_calls
from unique.api.docs import install_docs
from unique.api.errors import install_error_handlers
from unique.api.guard import BEARER_SCHEME, BEARER_SECURITY_SCHEME
from unique.api.routes import api_keys, operations, organizations, projects, users
from unique.config import Settings, load_settings
from unique.console import auth_pages, key_pages, project_pages
from unique.console.web import STATIC_DIRECTORY, ConsoleSecurityHeaders
from unique.logs import skip_unused_record_details
from unique.runtime import Runtime
from unique.serving import end_with_server
from unique.web.body_limits import BodyLimitsMiddleware
from unique.web.request_context import RequestContextMiddleware

API_PREFIX = "/api/v2"
OPENAPI_URL = f"{API_PREFIX}/openapi.json"


def create_server_app() -> FastAPI:
    """The app as ``unique serve`` runs it in each worker process: settings from the environment,
    the process's long-lived objects left out of garbage collection once it has started, log
    records without the details its log lines do not show, and a process that stops when the
    server's main process is gone."""
    end_with_server()
    skip_unused_record_details()
    return create_app(load_settings(), owns_process=True)


def create_app(settings: Settings, *, owns_process: bool = False) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = Runtime.create(settings)
        app.state.runtime = runtime
        await runtime.start()
        if owns_process:
            settle_long_lived_objects()
        try:
            yield
        finally:
            await runtime.stop()

    app = FastAPI(
        title="Unique API",
        version="2.0",
        description="Manage API keys and projects of your Unique account.",
        openapi_url=OPENAPI_URL,
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        redirect_slashes=False,
    )
    app.add_middleware(BodyLimitsMiddleware)
    app.add_middleware(RequestContextMiddleware)
    app.add_middleware(ConsoleSecurityHeaders, api_prefix=API_PREFIX)
    install_error_handlers(app)
    for router in (
        api_keys.router,
        projects.router,
        users.router,
        organizations.me_router,
        organizations.router,
        organizations.auth_router,
    ):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(operations.router)
    install_docs(app, API_PREFIX, OPENAPI_URL)
    for console in (auth_pages, project_pages, key_pages):
        app.include_router(console.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIRECTORY), name="static")
    app.openapi = lambda: _openapi(app, settings)  # type: ignore[method-assign]
    check_direct_calls(app)
    return app


def settle_long_lived_objects() -> None:
    """Leave everything the process holds by now out of every later garbage collection.

    A full collection walks every tracked object, and a started server holds well over a hundred
    thousand (the app, its routes and models, the libraries): each full collection cost tens of
    milliseconds. A request that builds many objects, such as listing 10,000 keys, set off one or
    two of them, about half of its time. Frozen objects are still freed when nothing refers to
    them; only garbage cycles among them would stay, and they were made to live as long as the
    process. Not for an app that shares its process (tests), whose cycles would then never go.
    """
    gc.collect()
    gc.freeze()


def _openapi(app: FastAPI, settings: Settings) -> dict[str, Any]:
    """FastAPI's document, less the 422 answers it assumes (this API answers 400 instead), and
    with the regions this deployment offers."""
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title,
            version=app.version,
            description=app.description,
            routes=app.routes,
        )
        for path in schema["paths"].values():
            for operation in path.values():
                operation["responses"].pop("422", None)
        schema["components"]["securitySchemes"] = {BEARER_SCHEME: BEARER_SECURITY_SCHEME}
        components = schema["components"]["schemas"]
        for name in ("HTTPValidationError", "ValidationError"):
            components.pop(name, None)
        components["ProjectCreateFields"]["properties"]["region_id"]["anyOf"][0] = {
            "type": "string",
            "enum": list(settings.regions),
        }
        app.openapi_schema = schema
    return app.openapi_schema
