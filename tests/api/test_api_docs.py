"""The API docs page is served by this server alone: no CDN, no inline script or style.

A self-hosted service may run where nothing outside it can be reached, and the page runs under a
Content-Security-Policy that allows scripts and styles from this server only.
"""

from __future__ import annotations

import re

from tests.helpers import Service

OUTSIDE_API = "http://testserver"
REFERENCE = re.compile(r'\b(?:src|href)="([^"]*)"')


async def test_the_docs_page_references_only_files_this_server_serves(service: Service) -> None:
    page = await service.client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "https:" not in page.text and "http:" not in page.text and "//" not in page.text
    references = REFERENCE.findall(page.text)
    assert len(references) == 4, references
    for reference in references:
        assert reference.startswith("/api/v2/docs/"), reference
        asset = await service.client.get(f"{OUTSIDE_API}{reference}")
        assert asset.status_code == 200, reference
        assert asset.content, reference


async def test_the_docs_page_allows_scripts_and_styles_from_this_server_only(
    service: Service,
) -> None:
    page = await service.client.get("/docs")
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in page.headers["content-security-policy"].split(";")
    )
    assert policy["script-src"] == "'self'"
    assert policy["style-src"] == "'self'"
    assert policy["default-src"] == "'self'"
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page.text, flags=re.DOTALL)
    assert scripts, "the page loads Swagger UI"
    assert all("src=" in attributes and not body.strip() for attributes, body in scripts)
    assert "<style" not in page.text and "style=" not in page.text
