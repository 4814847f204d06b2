"""Operator endpoints outside ``/api/v2``: liveness, readiness, metrics. They need no key."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text

from unique import metrics
from unique.db.migrate import current_revision, schema_serves_this_code
from unique.web.errors import error_response, request_id_of
from unique.web.requests import CurrentRuntime

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics")
async def metrics_text() -> Response:
    """Prometheus text format. Operators keep this off the public network."""
    return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)


@router.get("/readyz")
async def readyz(request: Request, runtime: CurrentRuntime) -> JSONResponse:
    try:
        async with runtime.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        revision = await current_revision(runtime.engine)
    except Exception:
        return error_response(
            request_id_of(request), 503, "SERVICE_UNAVAILABLE", "The database is unreachable."
        )
    if not schema_serves_this_code(revision):
        return error_response(
            request_id_of(request),
            503,
            "SERVICE_UNAVAILABLE",
            "The database schema is not current; run `unique db upgrade`.",
        )
    return JSONResponse({"status": "ready", "schema_revision": revision})
