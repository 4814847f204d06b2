"""The Console behaves like a real login system: validation, sessions, CSRF, escaping, isolation."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Dialog, Page, expect

from tests.console.conftest import (
    ConsoleServer,
    create_key_in_console,
    open_api_keys,
    revoke_in_console,
    sign_in,
)
from tests.helpers import PASSWORD, ServerProcess, bootstrap_user

pytestmark = pytest.mark.slow

XSS_NAME = "<img src=x onerror=alert(1)>"


def test_sign_up_validates_inline_and_then_signs_in(page: Page, server: ConsoleServer) -> None:
    page.goto("/signup")
    page.get_by_label("Name").fill("Ada Lovelace")
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("password must be at least 8 characters")).to_be_visible()
    expect(page.get_by_label("Email")).to_have_value("ada@example.com")

    page.get_by_label("Email").fill("not-an-email")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("email must be a valid email address")).to_be_visible()

    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url("**/projects")
    expect(page.get_by_role("button", name="Ada Lovelace")).to_be_visible()


def test_sign_up_with_a_taken_email_says_so(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    page.goto("/signup")
    page.get_by_label("Name").fill("Impostor")
    page.get_by_label("Email").fill("SAM@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_text("An account with this email already exists")).to_be_visible()


def test_a_wrong_password_is_refused(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    page.goto("/login")
    page.get_by_label("Email").fill("sam@example.com")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")
    page.goto("/settings/api-keys")
    page.wait_for_url("**/login")


def test_repeated_failed_logins_are_throttled(server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    with httpx.Client(base_url=server.url) as client:
        statuses = []
        for _ in range(6):
            form = client.get("/login").text
            token = form.split('name="csrf_token" value="')[1].split('"')[0]
            response = client.post(
                "/login",
                data={"email": "sam@example.com", "password": "guess", "csrf_token": token},
            )
            statuses.append(response.status_code)
        assert statuses == [400] * 5 + [429]
        assert "Too many failed sign-in attempts" in response.text
        token = client.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        right = client.post(
            "/login", data={"email": "sam@example.com", "password": PASSWORD, "csrf_token": token}
        )
        assert right.status_code == 429, "even the right password waits out the window"


def test_session_cookie_and_security_headers(server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    with httpx.Client(base_url=server.url) as client:
        form = client.get("/login")
        assert "default-src 'self'" in form.headers["content-security-policy"]
        assert form.headers["x-frame-options"] == "DENY"
        assert form.headers["x-content-type-options"] == "nosniff"
        assert form.headers["cache-control"] == "no-store"
        token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
        signed_in = client.post(
            "/login", data={"email": "sam@example.com", "password": PASSWORD, "csrf_token": token}
        )
        cookie = next(
            value
            for name, value in signed_in.headers.multi_items()
            if name == "set-cookie" and value.startswith("unique_session=")
        )
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie, "plain http on loopback: Secure would lose the cookie"


def test_a_post_without_csrf_token_is_rejected(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    sign_in(page, "sam@example.com")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    with httpx.Client(base_url=server.url, cookies=cookies) as client:
        forged = client.post("/settings/api-keys", data={"key_name": "forged"})
        assert forged.status_code == 403
        wrong = client.post(
            "/settings/api-keys", data={"key_name": "forged", "csrf_token": "0" * 64}
        )
        assert wrong.status_code == 403
    open_api_keys(page)
    expect(page.get_by_text("No API keys yet")).to_be_visible()


def test_session_rotates_at_login_and_ends_at_logout(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    sign_in(page, "sam@example.com")
    first = next(c["value"] for c in page.context.cookies() if c["name"] == "unique_session")
    open_api_keys(page)
    page.get_by_role("button", name="Sam Smith").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/login")
    page.go_back()
    page.wait_for_url("**/login")
    expect(page.get_by_role("heading", name="Sign in to the Console")).to_be_visible()
    # The old session is gone on the server, not only in the browser.
    with httpx.Client(base_url=server.url, cookies={"unique_session": first}) as client:
        assert client.get("/settings/api-keys").status_code == 303
    sign_in(page, "sam@example.com")
    second = next(c["value"] for c in page.context.cookies() if c["name"] == "unique_session")
    assert second != first


def test_a_script_looking_key_name_is_shown_as_text(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    alerts: list[str] = []

    def note_and_dismiss(dialog: Dialog) -> None:
        alerts.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", note_and_dismiss)
    sign_in(page, "sam@example.com")
    open_api_keys(page)
    create_key_in_console(page, XSS_NAME)
    expect(page.get_by_text(f"Your new API key “{XSS_NAME}”")).to_be_visible()
    # Once inserted by the page's script, once rendered by the server after a reload.
    for _ in range(2):
        row = page.get_by_role("row").filter(has_text=XSS_NAME)
        expect(row).to_have_count(1)
        expect(row.locator("img")).to_have_count(0)
        page.reload()
    assert alerts == []


def test_keys_created_through_the_api_show_and_revocations_reach_it(
    page: Page, server: ConsoleServer
) -> None:
    server.create_user("sam@example.com")
    bootstrap = server.create_key("sam@example.com", "bootstrap")
    created = server.api("POST", "/api_keys", bootstrap, json={"key_name": "from-the-api"}).json()
    sign_in(page, "sam@example.com")
    open_api_keys(page)
    expect(page.get_by_role("row").filter(has_text="from-the-api")).to_contain_text(
        f"unq_…{created['key'][-4:]}"
    )
    revoke_in_console(page, "from-the-api")
    listed = server.api("GET", "/api_keys", bootstrap).json()
    assert [key["name"] for key in listed] == ["bootstrap"]
    assert server.api("GET", "/users/me", created["key"]).status_code == 401


def test_another_user_sees_none_of_the_first_users_keys(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    server.create_user("eve@example.com", name="Eve Example")
    sam_key = server.create_key("sam@example.com", "sams-secret-key")
    sign_in(page, "eve@example.com")
    open_api_keys(page, user_name="Eve Example")
    expect(page.get_by_text("No API keys yet")).to_be_visible()
    assert "sams-secret-key" not in page.content()
    sam_key_id = server.api("GET", "/api_keys", sam_key).json()[0]["id"]
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    with httpx.Client(base_url=server.url, cookies=cookies) as client:
        client.post(f"/settings/api-keys/{sam_key_id}/revoke", data={"csrf_token": token})
    assert server.api("GET", "/projects", sam_key).status_code == 200


def test_odd_input_gets_an_answer_not_a_crash(page: Page, server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    sign_in(page, "sam@example.com")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    with httpx.Client(base_url=server.url, cookies=cookies) as client:
        assert client.get("/settings/api-keys?revoked=%C2%B2").status_code == 200
        assert client.get("/settings/api-keys?revoked=99999999999999999999").status_code == 200
        assert client.get("/projects?search=%00").status_code == 200
    with httpx.Client(base_url=server.url) as anonymous:
        token = anonymous.get("/login").text.split('name="csrf_token" value="')[1].split('"')[0]
        odd = anonymous.post(
            "/login", data={"email": "a\x00@b.co", "password": "x", "csrf_token": token}
        )
        assert odd.status_code == 400
        assert "Incorrect email or password." in odd.text


def test_the_cookie_is_secure_behind_a_trusted_tls_proxy(database_url: str, tmp_path: Path) -> None:
    bootstrap_user(database_url)
    node = ServerProcess(
        database_url, tmp_path / "node.log", env={"UNIQUE_TRUSTED_PROXIES": "127.0.0.1"}
    )
    try:
        with httpx.Client(base_url=node.base_url, headers={"X-Forwarded-Proto": "https"}) as c:
            form = c.get("/login")
            assert "Secure" in form.headers["set-cookie"]
            token = form.text.split('name="csrf_token" value="')[1].split('"')[0]
            # The browser talks https to the proxy, so it returns Secure cookies; httpx on plain
            # http would not, so the form cookie is handed back explicitly.
            nonce = form.headers["set-cookie"].split(";")[0]
            signed_in = c.post(
                "/login",
                data={"email": "sam@example.com", "password": PASSWORD, "csrf_token": token},
                headers={"Cookie": nonce},
            )
        session_cookie = next(
            value
            for name, value in signed_in.headers.multi_items()
            if name == "set-cookie" and value.startswith("unique_session=")
        )
        assert "Secure" in session_cookie
    finally:
        node.stop()


def form_token(html: str) -> str:
    return html.split('name="csrf_token" value="')[1].split('"')[0]


@contextmanager
def signed_in_client(server: ConsoleServer, email: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url) as client:
        token = form_token(client.get("/login").text)
        signed_in = client.post(
            "/login", data={"email": email, "password": PASSWORD, "csrf_token": token}
        )
        assert signed_in.status_code == 303, signed_in.text
        yield client


def assert_console_headers(response: httpx.Response) -> None:
    policy = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in policy, (response.request.url, response.headers)
    assert "frame-ancestors 'none'" in policy
    assert response.headers.get("x-frame-options") == "DENY"
    assert response.headers.get("x-content-type-options") == "nosniff"
    assert response.headers.get("cache-control") == "no-store"


def test_every_console_answer_carries_the_security_headers(server: ConsoleServer) -> None:
    """Pages, assets and refusals alike, including those no page handler writes."""
    server.create_user("sam@example.com")
    with signed_in_client(server, "sam@example.com") as client:
        token = form_token(client.get("/settings/api-keys").text)
        answers = {
            "page": client.get("/projects"),
            "redirect": client.get("/"),
            "asset": client.get("/static/console.css"),
            "missing asset": client.get("/static/missing.css"),
            "unknown path": client.get("/nope"),
            "wrong method": client.put("/projects"),
            "form too long": client.post(
                "/settings/api-keys", data={"key_name": "k" * 2000, "csrf_token": token}
            ),
            "bad path parameter": client.post(
                "/projects/NOT_AN_ID/delete", data={"csrf_token": token}
            ),
            "bad query parameter": client.get("/projects", params={"search": "s" * 300}),
            "forged form": client.post("/settings/api-keys", data={"key_name": "forged"}),
        }
    statuses = {name: answer.status_code for name, answer in answers.items()}
    assert statuses == {
        "page": 200,
        "redirect": 303,
        "asset": 200,
        "missing asset": 404,
        "unknown path": 404,
        "wrong method": 405,
        "form too long": 400,
        "bad path parameter": 400,
        "bad query parameter": 400,
        "forged form": 403,
    }
    for answer in answers.values():
        assert_console_headers(answer)


def test_a_refused_console_request_answers_with_a_page_naming_the_field(
    server: ConsoleServer,
) -> None:
    server.create_user("sam@example.com")
    with signed_in_client(server, "sam@example.com") as client:
        token = form_token(client.get("/settings/api-keys").text)
        too_long = client.post(
            "/settings/api-keys", data={"key_name": "k" * 2000, "csrf_token": token}
        )
        long_search = client.get("/projects", params={"search": "s" * 300})
    for answer, field in ((too_long, "key_name"), (long_search, "search")):
        assert answer.status_code == 400
        assert answer.headers["content-type"].startswith("text/html")
        assert f"Invalid value for &#39;{field}&#39;" in answer.text
        assert "Back to the Console" in answer.text


NON_CANONICAL_SPELLINGS = ["0{}", "+{}", "{}.0", "{}_0", "%20{}", "{}%0A"]


def test_a_key_id_not_written_as_a_plain_decimal_revokes_nothing(server: ConsoleServer) -> None:
    server.create_user("sam@example.com")
    key = server.create_key("sam@example.com", "kept")
    (listed,) = server.api("GET", "/api_keys", key).json()
    with signed_in_client(server, "sam@example.com") as client:
        token = form_token(client.get("/settings/api-keys").text)
        for spelling in NON_CANONICAL_SPELLINGS:
            key_id = spelling.format(listed["id"])
            answer = client.post(f"/settings/api-keys/{key_id}/revoke", data={"csrf_token": token})
            assert answer.status_code == 400, spelling
            assert "Invalid value for &#39;key_id&#39;" in answer.text
    assert server.api("GET", "/users/me", key).status_code == 200


INVISIBLE_OR_REORDERING_NAMES = ["\u200b\u200c\u200d", " \ufeff\u2060 ", "invoice\u202etxt.exe"]


def test_console_forms_refuse_names_that_show_nothing_or_reorder_text(
    server: ConsoleServer,
) -> None:
    server.create_user("sam@example.com")
    bootstrap = server.create_key("sam@example.com", "bootstrap")
    with signed_in_client(server, "sam@example.com") as client:
        token = form_token(client.get("/settings/api-keys").text)
        created = client.post("/projects", data={"name": "plain", "csrf_token": token})
        project_id = created.headers["location"].rsplit("project=", 1)[1]
        for name in INVISIBLE_OR_REORDERING_NAMES:
            key = client.post("/settings/api-keys", data={"key_name": name, "csrf_token": token})
            project = client.post("/projects", data={"name": name, "csrf_token": token})
            renamed = client.post(
                f"/projects/{project_id}/rename", data={"name": name, "csrf_token": token}
            )
            for refused, field in ((key, "key_name"), (project, "name"), (renamed, "name")):
                assert refused.status_code == 400, (name, field)
                assert f"{field} must" in refused.text, (name, field)
    listed_keys = server.api("GET", "/api_keys", bootstrap).json()
    assert [listed["name"] for listed in listed_keys] == ["bootstrap"]
    listed_projects = server.api("GET", "/projects", bootstrap).json()["projects"]
    assert [listed["name"] for listed in listed_projects] == ["plain"]
    with httpx.Client(base_url=server.url) as anonymous:
        for name in INVISIBLE_OR_REORDERING_NAMES:
            signup_token = form_token(anonymous.get("/signup").text)
            form = {"name": name, "email": "new@example.com", "password": PASSWORD}
            signup = anonymous.post("/signup", data={**form, "csrf_token": signup_token})
            assert signup.status_code == 400, name
            assert "name must" in signup.text, name
