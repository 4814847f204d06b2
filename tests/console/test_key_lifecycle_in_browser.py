"""A key that carries less power, made, used and rotated in Chromium as a person would.

Create a read-only key that expires in 7 days; it reads (GET 200) and cannot write (POST 403).
Rotate it with an hour of overlap: the new key is shown once, and both keys work. Revoke the old
one to end the overlap early: it is refused at once while the new one keeps working.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.console.conftest import ConsoleServer, open_api_keys, screenshot, sign_in

pytestmark = pytest.mark.slow

KEY_PATTERN = r"unq_[0-9a-z]{60}"


def test_an_expiring_read_only_key_reads_cannot_write_and_rotates_with_overlap(
    page: Page, server: ConsoleServer
) -> None:
    server.create_user("sam@example.com")
    sign_in(page, "sam@example.com")
    open_api_keys(page)

    page.get_by_role("button", name="Create new API key").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("dashboard")
    dialog.get_by_label("Expiration").select_option(label="7 days")
    dialog.get_by_label("Read only").check()
    dialog.get_by_role("button", name="Create").click()
    shown = page.get_by_label("New API key", exact=True)
    expect(shown).to_be_visible()
    old_key = shown.input_value()
    assert re.fullmatch(KEY_PATTERN, old_key)

    row = page.get_by_role("row").filter(has_text="dashboard")
    expect(row).to_contain_text("Read only")
    expect(row).to_contain_text("Expires in 7 days")

    assert server.api("GET", "/projects", old_key).status_code == 200
    refused = server.api("POST", "/projects", old_key, json={"project": {"name": "x"}})
    assert refused.status_code == 403
    assert 'scope="projects:write"' in refused.headers["www-authenticate"]

    row.get_by_role("button", name="Rotate").click()
    rotate = page.get_by_role("dialog")
    expect(rotate).to_contain_text("dashboard")
    rotate.get_by_label("For 1 hour").check()
    rotate.get_by_role("button", name="Rotate").click()
    expect(page.get_by_text("The old key keeps working for 1 hour, then stops.")).to_be_visible()
    new_key = shown.input_value()
    assert re.fullmatch(KEY_PATTERN, new_key) and new_key != old_key
    page.get_by_role("button", name="Copy").click()
    assert page.evaluate("navigator.clipboard.readText()") == new_key

    for key in (old_key, new_key):
        assert server.api("GET", "/projects", key).status_code == 200
    assert server.api("POST", "/projects", new_key, json={"project": {}}).status_code == 403

    page.reload()
    assert new_key not in page.content()
    rows = page.get_by_role("row").filter(has_text="dashboard")
    expect(rows).to_have_count(2)
    old_row = rows.filter(has_text="Rotated: replaced by a new key")
    expect(old_row).to_contain_text("Expires in 1 hour")
    expect(old_row.get_by_role("button", name="Rotate")).to_have_count(0)
    expect(rows.filter(has_not_text="Rotated")).to_contain_text("Expires in 7 days")

    old_row.get_by_role("button", name="Revoke").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    page.wait_for_url("**/settings/api-keys?revoked=*")
    expect(page.get_by_role("row").filter(has_text="dashboard")).to_have_count(1)
    assert server.api("GET", "/projects", old_key).status_code == 401
    assert server.api("GET", "/projects", new_key).status_code == 200


def test_a_screenshot_of_the_create_dialog(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    server.create_key("sam@example.com", "production-deploy")
    sign_in(page, "sam@example.com")
    open_api_keys(page)
    page.get_by_role("button", name="Create new API key").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill("ci-deploy")
    dialog.get_by_label("Expiration").select_option(label="30 days")
    dialog.get_by_label("Custom scopes").check()
    dialog.get_by_label("projects:write").check()
    expect(dialog.get_by_label("api_keys:read")).to_be_visible()
    path = screenshot(page, "create-key-dialog.png")
    assert path.stat().st_size > 10_000
