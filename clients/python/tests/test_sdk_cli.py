"""``uniquectl`` (``unique.client.cli``), run in-process against the scripted stand-in for the API:
options before or after the subcommand, the key from the environment or the saved file (only for
its host), exact JSON and YAML output, and the exit codes (1 API error, 2 usage error)."""

from __future__ import annotations

import functools
import json
import stat
from pathlib import Path

import pytest

pytest.importorskip("typer", reason="the CLI needs the cli extra")
pytest.importorskip("yaml", reason="the CLI needs the cli extra")

import httpx
import yaml
from sdk_support import (
    BASE_URL,
    CREATED_KEY_JSON,
    FAKE_KEY,
    LISTED_KEY_JSON,
    USER_JSON,
    FakeApi,
    Reply,
    ok,
    page_json,
)
from typer.testing import CliRunner
from unique.client import Client
from unique.client.cli import _connection, app, config_path

OTHER_KEY = "unq_" + "b" * 60


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> FakeApi:
    """Every client the CLI makes sends to the stand-in; no key or host in the environment."""
    fake = FakeApi()
    transport = httpx.MockTransport(fake.handle)
    monkeypatch.setattr(_connection, "Client", functools.partial(Client, transport=transport))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("UNIQUE_API_KEY", raising=False)
    monkeypatch.delenv("UNIQUE_API_HOST", raising=False)
    return fake


def uniquectl(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, list(args), input=stdin, prog_name="uniquectl")


def test_options_are_accepted_before_and_after_the_subcommand(fake_api: FakeApi) -> None:
    fake_api.script = [ok(USER_JSON), ok(USER_JSON)]

    before = uniquectl("--api-key", FAKE_KEY, "--api-host", BASE_URL, "-o", "json", "me")
    after = uniquectl("me", "--api-key", FAKE_KEY, "--api-host", BASE_URL, "--output", "json")

    for result in (before, after):
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout) == USER_JSON
    assert [str(request.url) for request in fake_api.requests] == [f"{BASE_URL}/users/me"] * 2
    assert {request.headers["authorization"] for request in fake_api.requests} == {
        f"Bearer {FAKE_KEY}"
    }


def test_the_key_and_host_come_from_the_environment(
    fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNIQUE_API_KEY", FAKE_KEY)
    monkeypatch.setenv("UNIQUE_API_HOST", BASE_URL)
    fake_api.script = [ok([LISTED_KEY_JSON])]

    result = uniquectl("api-keys", "list", "--output", "yaml")

    assert result.exit_code == 0, result.output
    assert yaml.safe_load(result.stdout) == [LISTED_KEY_JSON]
    assert fake_api.sent == [("GET", "/api/v2/api_keys")]


def test_a_table_is_the_default_output(fake_api: FakeApi) -> None:
    fake_api.script = [ok(CREATED_KEY_JSON)]

    result = uniquectl("api-keys", "create", "--name", "ci", "--api-key", FAKE_KEY)

    assert result.exit_code == 0, result.output
    assert result.stdout.count(FAKE_KEY) == 1
    assert "cannot be shown again" in result.stdout
    assert fake_api.bodies() == [{"key_name": "ci"}]


def test_projects_list_prints_one_page_or_every_page_with_all(fake_api: FakeApi) -> None:
    fake_api.script = [ok(page_json([3, 2], "c")), ok(page_json([3, 2], "c")), ok(page_json([1]))]

    one = uniquectl("projects", "list", "--limit", "2", "-o", "json", "--api-key", FAKE_KEY)
    every = uniquectl(
        "projects", "list", "--all", "--limit", "2", "-o", "json", "--api-key", FAKE_KEY
    )

    assert json.loads(one.stdout) == page_json([3, 2], "c")
    assert [project["name"] for project in json.loads(every.stdout)["projects"]] == [
        "misty-3",
        "misty-2",
        "misty-1",
    ]
    assert [path for _, path in fake_api.sent] == [
        "/api/v2/projects?limit=2",
        "/api/v2/projects?limit=2",
        "/api/v2/projects?limit=2&cursor=c",
    ]


def test_an_api_error_is_one_line_on_stderr_with_the_request_id_and_exit_1(
    fake_api: FakeApi,
) -> None:
    body = {"code": "UNAUTHORIZED", "message": "Bad key.", "request_id": "req-9"}
    fake_api.script = [Reply(401, body)]

    result = uniquectl("me", "--api-key", OTHER_KEY)

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "error: 401 UNAUTHORIZED Bad key. (request id req-9)\n"


def test_without_a_key_it_is_a_usage_error_naming_the_command(fake_api: FakeApi) -> None:
    result = uniquectl("me")

    assert result.exit_code == 2
    assert "run `uniquectl auth`" in result.stderr
    assert fake_api.requests == []


def test_auth_saves_the_key_for_its_host_only(fake_api: FakeApi) -> None:
    fake_api.script = [ok(USER_JSON), ok(USER_JSON)]

    signed_in = uniquectl("auth", "--api-host", BASE_URL + "/", stdin=FAKE_KEY + "\n")
    later = uniquectl("me", "--api-host", BASE_URL, "-o", "json")
    elsewhere = uniquectl("me", "--api-host", "https://other.test/api/v2")

    assert signed_in.exit_code == 0, signed_in.output
    assert "Signed in as Sam Smith" in signed_in.stderr
    path = config_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {"api_key": FAKE_KEY, "api_host": BASE_URL}
    assert later.exit_code == 0, later.output
    assert fake_api.requests[-1].headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert elsewhere.exit_code == 2
    assert len(fake_api.requests) == 2


def test_every_command_help_shows_an_example_naming_uniquectl() -> None:
    commands = [[], ["me"], ["auth"], ["api-keys"], ["projects"]]
    commands += [["api-keys", name] for name in ("list", "create", "revoke")]
    commands += [["projects", name] for name in ("list", "create", "get", "update", "delete")]

    for command in commands:
        result = uniquectl(*command, "--help")
        assert result.exit_code == 0, (command, result.output)
        assert "Example" in result.stdout and "uniquectl " in result.stdout, command
