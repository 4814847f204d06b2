"""Browser fixtures: Debian's Chromium driven by Playwright, against a real `unique serve`."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    ViewportSize,
    sync_playwright,
)

from tests.helpers import PASSWORD, REPO, ServerProcess, admin_create_key, admin_create_user

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = REPO / "tests" / "artifacts"
DESKTOP = ViewportSize(width=1440, height=900)
PHONE = ViewportSize(width=375, height=812)


@pytest.fixture
def database_kind() -> str:
    """The Console is exercised on the embedded default database."""
    return "sqlite"


@dataclass
class ConsoleServer:
    process: ServerProcess
    database_url: str

    @property
    def url(self) -> str:
        return self.process.base_url

    def create_user(self, email: str, name: str = "Sam Smith") -> None:
        """As ``unique admin create-user`` does (see tests.helpers.bootstrap_user)."""
        admin_create_user(self.database_url, email, name)

    def create_key(self, email: str, name: str) -> str:
        """As ``unique admin create-api-key`` does."""
        return admin_create_key(self.database_url, email, name)

    def api(self, method: str, path: str, key: str, **kwargs: object) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.url}/api/v2{path}",
            headers={"Authorization": f"Bearer {key}"},
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ConsoleServer]:
    process = ServerProcess(database_url, tmp_path / "server.log")
    yield ConsoleServer(process, database_url)
    process.stop()


# Module scope, not session: Playwright's sync API keeps an event loop running while it is open,
# and the async tests that may run after the Console's could not start theirs.
@pytest.fixture(scope="module")
def playwright() -> Iterator[Playwright]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as running:
        yield running


@pytest.fixture(scope="module")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def context(browser: Browser, server: ConsoleServer) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    yield context
    context.close()


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


def sign_in(page: Page, email: str, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/projects")


def open_api_keys(page: Page, user_name: str = "Sam Smith") -> None:
    """Steps 2 and 3 of the documentation: account menu → Account settings → API keys."""
    page.get_by_role("button", name=user_name).click()
    page.get_by_role("link", name="Account settings").click()
    page.get_by_role("link", name="API keys").click()
    page.wait_for_url("**/settings/api-keys")


def create_key_in_console(page: Page, name: str) -> str:
    """Steps 3 to 5: Create new API key, enter a name, Create; returns the key shown."""
    page.get_by_role("button", name="Create new API key").click()
    page.get_by_role("dialog").get_by_label("Name").fill(name)
    page.get_by_role("dialog").get_by_role("button", name="Create").click()
    shown = page.get_by_label("New API key", exact=True)
    shown.wait_for(state="visible")
    return shown.input_value()


def revoke_in_console(page: Page, name: str) -> None:
    page.get_by_role("row").filter(has_text=name).get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("dialog")
    dialog.wait_for(state="visible")
    dialog.get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/settings/api-keys?revoked=*")


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
