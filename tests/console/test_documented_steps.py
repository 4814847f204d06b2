"""The product documentation's Console steps, walked in Chromium exactly as a person would.

1. Log in. 2. Account menu → Account settings. 3. API keys → Create new API key.
4. Enter a name. 5. Create, and copy the key. Then: the key works against the API; Revoke
(after confirming) makes every request with it fail.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.console.conftest import (
    PHONE,
    ConsoleServer,
    create_key_in_console,
    open_api_keys,
    revoke_in_console,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.slow


def test_create_copy_use_and_revoke_a_key_in_the_console(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    sign_in(page, "sam@example.com")
    open_api_keys(page)
    expect(page.get_by_text("No API keys yet")).to_be_visible()

    key = create_key_in_console(page, "mykey")
    assert re.fullmatch(r"unq_[0-9a-z]{60}", key)
    expect(page.get_by_text("You will not be able to view or copy this key again")).to_be_visible()
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key

    row = page.get_by_role("row").filter(has_text="mykey")
    expect(row).to_contain_text(f"unq_…{key[-4:]}")
    expect(row).to_contain_text("by Sam Smith")
    expect(row).to_contain_text("Never")

    assert server.api("GET", "/projects", key).status_code == 200

    revoke_in_console(page, "mykey")
    expect(page.get_by_text("API key “mykey” was revoked")).to_be_visible()
    expect(page.get_by_role("row").filter(has_text="mykey")).to_have_count(0)
    assert server.api("GET", "/projects", key).status_code == 401


def test_revoking_asks_first_and_cancel_keeps_the_key(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    key = server.create_key("sam@example.com", "keep-me")
    sign_in(page, "sam@example.com")
    open_api_keys(page)
    page.get_by_role("row").filter(has_text="keep-me").get_by_role("button", name="Revoke").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("cannot be undone")
    expect(dialog).to_contain_text("keep-me")
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("row").filter(has_text="keep-me")).to_have_count(1)
    assert server.api("GET", "/projects", key).status_code == 200


def test_the_key_is_never_shown_again_after_leaving_the_page(
    page: Page, server: ConsoleServer
) -> None:
    server.create_user("sam@example.com")
    sign_in(page, "sam@example.com")
    open_api_keys(page)
    key = create_key_in_console(page, "once")
    assert page.get_by_label("New API key", exact=True).input_value() == key

    page.get_by_role("link", name="Projects").click()
    page.wait_for_url("**/projects")
    page.go_back()
    page.wait_for_url("**/settings/api-keys")
    assert key not in page.content()
    expect(page.get_by_role("row").filter(has_text="once")).to_contain_text(f"unq_…{key[-4:]}")

    page.reload()
    assert key not in page.content()
    assert key[4:57] not in page.content()


def test_screenshots_of_the_api_keys_page(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    for name in ("production-deploy", "ci"):
        server.create_key("sam@example.com", name)
    sign_in(page, "sam@example.com")
    open_api_keys(page)
    create_key_in_console(page, "laptop")
    desktop = screenshot(page, "api-keys-desktop.png")
    page.set_viewport_size(PHONE)
    phone = screenshot(page, "api-keys-phone.png")
    assert desktop.stat().st_size > 10_000 and phone.stat().st_size > 10_000
    # The phone layout must not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
