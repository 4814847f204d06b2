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
    LATER,
    LISTED_KEY_JSON,
    MEMBER_ID,
    MEMBER_JSON,
    MEMBERS_JSON,
    ORG_ID,
    ORGANIZATION_JSON,
    READ_SCOPES,
    ROTATED_KEY_JSON,
    STAMP,
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
    commands += [["api-keys", name] for name in ("list", "create", "rotate", "revoke")]
    commands += [["projects", name] for name in ("list", "create", "get", "update", "delete")]
    commands += [["orgs"]]
    commands += [
        ["orgs", name]
        for name in (
            *("list", "create", "get", "rename", "delete"),
            *("members", "set-role", "remove-member"),
        )
    ]

    for command in commands:
        result = uniquectl(*command, "--help")
        assert result.exit_code == 0, (command, result.output)
        assert "Example" in result.stdout and "uniquectl " in result.stdout, command


def test_api_keys_create_sends_the_limits_given_and_shows_them(fake_api: FakeApi) -> None:
    fake_api.script = [ok({**CREATED_KEY_JSON, "scopes": READ_SCOPES, "expires_at": LATER})] * 2

    read_only = uniquectl(
        *["api-keys", "create", "--name", "dash", "--read-only", "--expires-at", "2031-01-31"],
        *["--api-key", FAKE_KEY],
    )
    scoped = uniquectl(
        *["api-keys", "create", "--name", "deploy", "--expires-in", "90m", "--project", "p-1"],
        *["--scope", "projects:write,api_keys:read", "--scope", "account:read"],
        *["--api-key", FAKE_KEY, "-o", "json"],
    )

    assert read_only.exit_code == 0, read_only.output
    assert read_only.stdout.count(FAKE_KEY) == 1
    assert "Access: Read only. Expires: 2031-01-31 12:00 UTC." in read_only.stdout
    assert scoped.exit_code == 0, scoped.output
    assert json.loads(scoped.stdout) == {
        **CREATED_KEY_JSON,
        "scopes": READ_SCOPES,
        "expires_at": LATER,
    }
    first, second = fake_api.bodies()
    assert first == {
        "key_name": "dash",
        "expires_at": "2031-01-31T00:00:00Z",
        "scopes": READ_SCOPES,
    }
    assert set(second) == {"key_name", "expires_at", "scopes", "project_id"}
    assert second["scopes"] == ["projects:write", "api_keys:read", "account:read"]
    assert second["project_id"] == "p-1"
    assert second["expires_at"].endswith("Z")


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["--expires-in", "30 days"], "--expires-in: '30 days' is not a duration"),
        (["--expires-in", "1y"], "--expires-in: '1y' is not a duration"),
        (["--expires-in", "0d"], "--expires-in: the duration must be more than zero"),
        (["--expires-at", "next week"], "--expires-at: 'next week' is not a date or time"),
        (["--expires-in", "1d", "--expires-at", "2031-01-31"], "not both"),
        (["--read-only", "--scope", "projects:read"], "not both"),
    ],
)
def test_a_bad_lifetime_or_contradictory_options_are_a_one_line_usage_error(
    fake_api: FakeApi, args: list[str], complaint: str
) -> None:
    result = uniquectl("api-keys", "create", "--name", "ci", *args, "--api-key", FAKE_KEY)

    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith("error: ") and complaint in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert fake_api.requests == []


def test_api_keys_rotate_shows_the_new_key_once_in_every_format(fake_api: FakeApi) -> None:
    fake_api.script = [ok(ROTATED_KEY_JSON)] * 3

    as_table = uniquectl("api-keys", "rotate", "41", "--grace", "24h", "--api-key", FAKE_KEY)
    as_json = uniquectl("api-keys", "rotate", "41", "-o", "json", "--api-key", FAKE_KEY)
    as_yaml = uniquectl("api-keys", "rotate", "41", "-o", "yaml", "--api-key", FAKE_KEY)

    assert as_table.exit_code == 0, as_table.output
    assert as_table.stdout.count(FAKE_KEY) == 1
    assert "cannot be shown again" in as_table.stdout
    assert "new id 43" in as_table.stdout
    assert "The old key (id 41) keeps working for 24h." in as_table.stdout
    assert json.loads(as_json.stdout) == ROTATED_KEY_JSON
    assert yaml.safe_load(as_yaml.stdout) == ROTATED_KEY_JSON
    assert fake_api.sent == [("POST", "/api/v2/api_keys/41/rotate")] * 3
    assert fake_api.bodies() == [{"grace_period_seconds": 86_400}, None, None]


def test_api_keys_rotate_with_a_bad_grace_is_a_usage_error(fake_api: FakeApi) -> None:
    result = uniquectl("api-keys", "rotate", "41", "--grace", "soon", "--api-key", FAKE_KEY)

    assert result.exit_code == 2
    assert result.stderr == (
        "error: --grace: 'soon' is not a duration; use a whole number and a unit "
        "(s, m, h, d or w), e.g. 90m, 24h, 30d, 2w\n"
    )
    assert fake_api.requests == []


def test_a_conflict_or_a_missing_scope_is_one_line_and_exit_1(fake_api: FakeApi) -> None:
    fake_api.script = [
        Reply(409, {"code": "CONFLICT", "message": "Already rotated.", "request_id": "r-1"}),
        Reply(403, {"code": "FORBIDDEN", "message": "Lacks a scope.", "request_id": "r-2"}),
    ]

    again = uniquectl("api-keys", "rotate", "41", "--api-key", FAKE_KEY)
    denied = uniquectl("projects", "create", "--api-key", FAKE_KEY)

    assert (again.exit_code, again.stdout) == (1, "")
    assert again.stderr == "error: 409 CONFLICT Already rotated. (request id r-1)\n"
    assert (denied.exit_code, denied.stdout) == (1, "")
    assert denied.stderr == "error: 403 FORBIDDEN Lacks a scope. (request id r-2)\n"


def test_api_keys_list_shows_access_and_expiry(fake_api: FakeApi) -> None:
    listed = [
        LISTED_KEY_JSON,
        {**LISTED_KEY_JSON, "id": 7, "name": "dash", "scopes": READ_SCOPES, "expires_at": LATER},
        {
            **LISTED_KEY_JSON,
            "id": 8,
            "name": "old",
            "scopes": ["projects:read"],
            "expires_at": STAMP,
        },
        {**LISTED_KEY_JSON, "id": 9, "name": "one", "project_id": "misty-lake-12345678"},
    ]
    fake_api.script = [ok(listed)]

    result = CliRunner().invoke(
        app,
        ["api-keys", "list", "--api-key", FAKE_KEY],
        prog_name="uniquectl",
        env={"COLUMNS": "200"},
    )

    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines() if line.split()[:1]}
    assert "Access" in result.stdout and "Expires" in result.stdout
    assert "Full access" in rows["42"] and "never" in rows["42"]
    assert "Read only" in rows["7"] and "2031-01-31 12:00 UTC" in rows["7"]
    assert "projects:read" in rows["8"] and "expired" in rows["8"]
    assert "project misty-lake-12345678" in rows["9"] and "Full access" not in rows["9"]


# --- orgs ------------------------------------------------------------------------------------


def wide(*args: str):  # type: ignore[no-untyped-def]
    """``uniquectl *args`` with the stand-in's key, in a terminal wide enough not to fold."""
    return CliRunner().invoke(
        app, [*args, "--api-key", FAKE_KEY], prog_name="uniquectl", env={"COLUMNS": "200"}
    )


def test_orgs_list_create_get_rename_and_delete_print_the_api_json_or_a_table(
    fake_api: FakeApi,
) -> None:
    renamed_json = {**ORGANIZATION_JSON, "name": "Acme Corp"}
    listed_json = {"organizations": [ORGANIZATION_JSON]}
    fake_api.script = [
        ok(ORGANIZATION_JSON, 201),
        ok(listed_json),
        ok(listed_json),
        ok(ORGANIZATION_JSON),
        ok(renamed_json),
        ok(renamed_json),
        ok({"organizations": []}),
    ]

    created = wide("orgs", "create", "--name", "Acme", "-o", "json")
    listed = wide("orgs", "list", "-o", "yaml")
    listed_table = wide("orgs", "list")
    fetched = wide("orgs", "get", ORG_ID, "-o", "json")
    renamed = wide("orgs", "rename", ORG_ID, "--name", "Acme Corp")
    deleted = wide("orgs", "delete", ORG_ID, "-o", "json")
    none = wide("orgs", "list")

    for result in (created, listed, listed_table, fetched, renamed, deleted, none):
        assert result.exit_code == 0, result.output
    assert json.loads(created.stdout) == ORGANIZATION_JSON
    assert yaml.safe_load(listed.stdout) == listed_json
    for value in (ORG_ID, "Acme", "acme-12345678", "2022-12-23 20:52 UTC"):
        assert value in listed_table.stdout
    assert json.loads(fetched.stdout) == ORGANIZATION_JSON
    assert "Renamed organization" in renamed.stdout and "Acme Corp" in renamed.stdout
    assert json.loads(deleted.stdout) == renamed_json
    assert "No organizations" in none.stdout
    path = f"/api/v2/organizations/{ORG_ID}"
    assert fake_api.sent == [
        ("POST", "/api/v2/organizations"),
        *[("GET", "/api/v2/users/me/organizations")] * 2,
        ("GET", path),
        ("PATCH", path),
        ("DELETE", path),
        ("GET", "/api/v2/users/me/organizations"),
    ]
    assert fake_api.bodies()[0] == {"organization": {"name": "Acme"}}
    assert fake_api.bodies()[4] == {"name": "Acme Corp"}


def test_orgs_members_set_role_and_remove_member(fake_api: FakeApi) -> None:
    promoted_json = {**MEMBER_JSON, "role": "member"}
    fake_api.script = [ok(MEMBERS_JSON), ok(MEMBERS_JSON), ok(promoted_json), ok({}), ok({})]

    members_json = wide("orgs", "members", ORG_ID, "-o", "json")
    members_table = wide("orgs", "members", ORG_ID)
    demoted = wide("orgs", "set-role", ORG_ID, MEMBER_ID, "--role", "member", "-o", "json")
    removed_json = wide("orgs", "remove-member", ORG_ID, MEMBER_ID, "-o", "json")
    removed_table = wide("orgs", "remove-member", ORG_ID, MEMBER_ID)

    for result in (members_json, members_table, demoted, removed_json, removed_table):
        assert result.exit_code == 0, result.output
    assert json.loads(members_json.stdout) == MEMBERS_JSON
    (row,) = [line for line in members_table.stdout.splitlines() if MEMBER_ID in line]
    assert "sam@example.com" in row and "admin" in row
    assert json.loads(demoted.stdout) == promoted_json
    assert json.loads(removed_json.stdout) == {}
    assert f"Removed member {MEMBER_ID} from {ORG_ID}." in removed_table.stdout
    member_path = f"/api/v2/organizations/{ORG_ID}/members/{MEMBER_ID}"
    assert fake_api.sent == [
        *[("GET", f"/api/v2/organizations/{ORG_ID}/members")] * 2,
        ("PATCH", member_path),
        *[("DELETE", member_path)] * 2,
    ]
    assert fake_api.bodies()[2] == {"role": "member"}


@pytest.mark.parametrize(
    "args",
    [
        ["orgs", "set-role", ORG_ID, MEMBER_ID, "--role", "owner"],
        ["orgs", "set-role", ORG_ID, MEMBER_ID],
        ["orgs", "set-role", ORG_ID, "not-a-member-id", "--role", "admin"],
        ["orgs", "remove-member", ORG_ID, "42"],
        ["orgs", "create"],
        ["orgs", "rename", ORG_ID],
    ],
    ids=["unknown role", "no role", "bad member id", "numeric member id", "no name", "no name"],
)
def test_orgs_usage_errors_exit_2_without_a_request(fake_api: FakeApi, args: list[str]) -> None:
    result = uniquectl(*args, "--api-key", FAKE_KEY)

    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    assert fake_api.requests == []


def test_an_organization_you_are_not_a_member_of_is_one_line_and_exit_1(
    fake_api: FakeApi,
) -> None:
    body = {
        "code": "NOT_FOUND",
        "message": f"organization {ORG_ID} was not found",
        "request_id": "r-404",
    }
    fake_api.script = [Reply(404, body), Reply(404, body)]

    fetched = uniquectl("orgs", "get", ORG_ID, "--api-key", FAKE_KEY)
    removed = uniquectl("orgs", "remove-member", ORG_ID, MEMBER_ID, "--api-key", FAKE_KEY)

    for result in (fetched, removed):
        assert (result.exit_code, result.stdout) == (1, "")
        assert result.stderr == (
            f"error: 404 NOT_FOUND organization {ORG_ID} was not found (request id r-404)\n"
        )
    assert len(fake_api.requests) == 2, "a removal is never sent again"
