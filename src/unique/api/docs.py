"""The interactive API docs at ``/api/v2/docs``, served by this server alone.

A self-hosted service cannot count on a CDN: Swagger UI's files come from a Python package
(``swagger-ui-bundle-v2``, a copy of Swagger UI's own distribution) and are served from here, so the
docs work offline and under the Console's Content-Security-Policy. That policy allows no inline
script, so the page starts Swagger UI from a file of ours instead of the inline script FastAPI's
docs page carries.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]

from unique.console.web import SECURITY_HEADERS

SWAGGER_UI_DIRECTORY = Path(str(swagger_ui_path))
OWN_ASSETS_DIRECTORY = Path(__file__).parent / "static"


def install_docs(app: FastAPI, prefix: str, openapi_url: str) -> None:
    """The docs page at ``{prefix}/docs`` and the files it loads, under ``{prefix}/docs/``."""
    swagger_ui = f"{prefix}/docs/swagger-ui"
    assets = f"{prefix}/docs/assets"
    page = f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>{escape(app.title)} · docs</title>
  <link rel="stylesheet" href="{swagger_ui}/swagger-ui.css">
  <link rel="icon" type="image/png" href="{swagger_ui}/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
  <script src="{swagger_ui}/swagger-ui-bundle.js"></script>
  <script src="{assets}/swagger-initializer.js"></script>
</body>
</html>
"""
    router = APIRouter(include_in_schema=False)

    @router.get(f"{prefix}/docs")
    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers=SECURITY_HEADERS)

    app.include_router(router)
    app.mount(swagger_ui, StaticFiles(directory=SWAGGER_UI_DIRECTORY), name="swagger-ui")
    app.mount(assets, StaticFiles(directory=OWN_ASSETS_DIRECTORY), name="docs-assets")
