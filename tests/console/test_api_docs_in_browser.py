"""The API docs render in a real browser from this server alone, under its strict CSP."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, expect

from tests.console.conftest import ConsoleServer

pytestmark = pytest.mark.slow


def test_the_api_docs_render_offline_under_the_content_security_policy(
    page: Page, server: ConsoleServer
) -> None:
    requested: list[str] = []
    messages: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))

    page.goto("/api/v2/docs")
    expect(page.get_by_text("Create an API key")).to_be_visible()
    expect(page.get_by_role("heading", name="Unique API")).to_be_visible()
    page.get_by_text("Create an API key").click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()

    hosts = {urlsplit(url).hostname for url in requested if not url.startswith("data:")}
    assert hosts == {"127.0.0.1"}, requested
    assert f"{server.url}/api/v2/openapi.json" in requested
    assert messages == []
