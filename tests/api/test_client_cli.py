"""The client side of the ``unique`` command, run as a subprocess against a real ``unique serve``.

One server process on SQLite serves the whole module; tests keep out of each other's way with
unique names and searches. Each invocation gets HOME and XDG_CONFIG_HOME in the test's tmp_path
(so ``unique auth`` writes there), UNIQUE_API_HOST pointing at the server, UNIQUE_API_KEY set to
the bootstrap key unless a test says otherwise, and a wide terminal (COLUMNS) so table cells are
not folded. Independent invocations run in parallel: each one costs about a second of start-up.

What is specified here:
- every command works in table, json and yaml output; json (and yaml) is exactly what the API
  returns for the same resource;
- --api-key, --api-host and --output are accepted before and after the subcommand (after wins);
  the key also comes from UNIQUE_API_KEY or from the file ``unique auth`` saved (mode 0600);
- ``projects list`` pages with --limit/--cursor and follows every page with --all (from
  --cursor, when given);
- ``api-keys create`` prints the new secret once, with a "cannot be shown again" warning;
  ``--expires-in``/``--expires-at``, ``--scope``/``--read-only`` and ``--project`` limit the key,
  ``api-keys list`` shows each key's access and expiry, and ``api-keys rotate`` prints the new
  secret once while the old key works out its ``--grace`` (a second rotation exits 1, 409);
- ``orgs`` creates, lists, shows, renames and deletes organizations and lists their members
  (json exactly the API's); to someone who is not a member an organization is a 404 (exit 1);
  the last admin can be neither demoted (``orgs set-role``) nor removed (``orgs remove-member``);
- exit codes: 0 success; 1 API error or unreachable server, with one line on stderr naming the
  status and the request id, never a traceback; 2 usage error (no key, bad option);
- no command ever prints a key it was given: every invocation's stdout and stderr are searched
  for every key known to the test (the full key and its random part); nor does the server log
  one it created;
- ``unique --help`` and every client subcommand's ``--help`` show an example.
"""

from __future__ import annotations

import json
import re
import stat
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.helpers import DatabaseFactory, ServerProcess, bootstrap_user, free_port, run_cli

pytestmark = pytest.mark.slow

Json = Any
Result = subprocess.CompletedProcess[str]

EMAIL = "sam@example.com"
KEY_PATTERN = re.compile(r"unq_[0-9a-z]{60}")
# Well-formed keys that no server ever issued.
UNKNOWN_KEY = "unq_" + "b" * 60
UNKNOWN_KEY_ID = "987654321987"
HELP_COMMANDS = [
    [],
    ["me"],
    ["auth"],
    ["api-keys"],
    ["api-keys", "list"],
    ["api-keys", "create"],
    ["api-keys", "rotate"],
    ["api-keys", "revoke"],
    ["projects"],
    ["projects", "list"],
    ["projects", "create"],
    ["projects", "get"],
    ["projects", "update"],
    ["projects", "delete"],
    ["orgs"],
    ["orgs", "list"],
    ["orgs", "create"],
    ["orgs", "get"],
    ["orgs", "rename"],
    ["orgs", "delete"],
    ["orgs", "members"],
    ["orgs", "set-role"],
    ["orgs", "remove-member"],
]


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


# --- the real server -------------------------------------------------------------------------


@dataclass
class LiveApi:
    base_url: str
    user_id: str
    key: str = field(repr=False)
    server: ServerProcess | None = field(default=None, repr=False)
    database_url: str = field(default="", repr=False)

    def request(self, method: str, path: str, **options: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {options.pop('key', self.key)}"}
        return httpx.request(method, self.base_url + path, headers=headers, **options)

    def get(self, path: str, **params: Any) -> Json:
        """What the API answers to ``GET path`` with the bootstrap key."""
        response = self.request("GET", path, params=params)
        assert response.status_code == 200, response.text
        return response.json()


@pytest.fixture(scope="module")
def database_kind() -> str:
    """The CLI is exercised against the embedded default database."""
    return "sqlite"


@pytest.fixture(scope="module")
def live(database_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    workdir = tmp_path_factory.mktemp("cli")
    database_url = DatabaseFactory(database_kind, workdir).new_url()
    user_id, key = bootstrap_user(database_url, email=EMAIL)
    server = ServerProcess(database_url, workdir / "server.log")
    try:
        yield LiveApi(f"{server.base_url}/api/v2", user_id, key, server, database_url)
    finally:
        server.stop()


# --- running the command ---------------------------------------------------------------------


@dataclass
class Cli:
    """Runs ``unique`` with the test's environment; checks no output ever contains a key."""

    env: dict[str, str] = field(repr=False)
    config_home: Path
    secrets: set[str] = field(repr=False)
    _pool: ThreadPoolExecutor = field(default_factory=lambda: ThreadPoolExecutor(max_workers=4))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def submit(
        self, *args: str, env: dict[str, str] | None = None, stdin: str = ""
    ) -> Future[Result]:
        """Start ``unique *args`` in the background; ``.result()`` waits for it."""
        return self._pool.submit(self._run, list(args), {**self.env, **(env or {})}, stdin)

    def __call__(self, *args: str, env: dict[str, str] | None = None, stdin: str = "") -> Result:
        return self.submit(*args, env=env, stdin=stdin).result()

    def add_secret(self, key: str) -> None:
        with self._lock:
            self.secrets.add(key)

    def _run(self, args: list[str], env: dict[str, str], stdin: str) -> Result:
        result = run_cli(args, env, stdin=stdin)
        with self._lock:
            secrets = tuple(self.secrets)
        output = result.stdout + result.stderr
        leaked = [part for key in secrets for part in (key, key[4:57]) if part in output]
        shown = " ".join("<key>" if arg in secrets else arg for arg in args)
        assert not leaked, f"`unique {shown}` printed a key"
        return result

    @property
    def config_file(self) -> Path:
        return self.config_home / "unique" / "config.json"

    def close(self) -> None:
        self._pool.shutdown(wait=True)


@pytest.fixture
def cli(live: LiveApi, tmp_path: Path) -> Iterator[Cli]:
    config_home = tmp_path / "config"
    env = {
        "UNIQUE_API_HOST": live.base_url,
        "UNIQUE_API_KEY": live.key,
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(config_home),
        "COLUMNS": "200",
    }
    runner = Cli(env, config_home, {live.key, UNKNOWN_KEY})
    yield runner
    runner.close()


NO_KEY = {"UNIQUE_API_KEY": ""}


def json_of(result: Result) -> Json:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def yaml_of(result: Result) -> Json:
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def table_of(result: Result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def error_line(result: Result, exit_code: int = 1) -> str:
    """The single stderr line of a failed command, with nothing on stdout and no traceback."""
    assert result.returncode == exit_code, (result.returncode, result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def usage_failure(result: Result) -> str:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    return result.stderr


# --- help ------------------------------------------------------------------------------------


def test_help_of_the_command_and_every_client_subcommand_shows_an_example(cli: Cli) -> None:
    futures = {" ".join(command): cli.submit(*command, "--help") for command in HELP_COMMANDS}
    results = {command: future.result() for command, future in futures.items()}

    assert {command: result.returncode for command, result in results.items()} == dict.fromkeys(
        results, 0
    )
    without_example = [
        f"unique {command} --help".replace("  ", " ")
        for command, result in results.items()
        if "Example" not in result.stdout
    ]
    assert without_example == [], f"no example in: {', '.join(without_example)}"


# --- me --------------------------------------------------------------------------------------


def test_me_shows_the_key_owner_in_every_format_with_options_before_or_after(
    cli: Cli, live: LiveApi
) -> None:
    key = live.key
    before = cli.submit("--api-key", key, "-o", "json", "me", env=NO_KEY)
    after = cli.submit("me", "--api-key", key, "-o", "json", env=NO_KEY)
    after_wins = cli.submit(
        "--api-key", UNKNOWN_KEY, "-o", "yaml", "me", "--api-key", key, "-o", "json"
    )
    from_env_as_yaml = cli.submit("me", "--output", "yaml")
    as_table = cli.submit("me")
    expected = live.get("/users/me")

    assert json_of(before.result()) == expected
    assert json_of(after.result()) == expected
    assert json_of(after_wins.result()) == expected
    assert yaml_of(from_env_as_yaml.result()) == expected
    table = table_of(as_table.result())
    for value in (live.user_id, "Sam Smith", EMAIL, "10000", "self-hosted"):
        assert value in table


# --- api-keys --------------------------------------------------------------------------------


def assert_same_key_listing(shown: Json, api: Json, key_id: int) -> None:
    """Equal, except that the listing key's own last use may have moved on between the two
    requests (each request with a key records a use, to the second): ``api`` was asked after
    ``shown``, so its last use is no earlier."""

    def last_use(listing: Json) -> datetime:
        (entry,) = [item for item in listing if item["id"] == key_id]
        return datetime.fromisoformat(entry["last_used_at"].replace("Z", "+00:00"))

    def steady(listing: Json) -> Json:
        return [
            {**item, "last_used_at": None} if item["id"] == key_id else item for item in listing
        ]

    assert steady(shown) == steady(api)
    assert last_use(api) >= last_use(shown)


def test_api_keys_create_shows_the_secret_once_and_list_matches_the_api(
    cli: Cli, live: LiveApi
) -> None:
    table_name, json_name = unique_name("cli-table"), unique_name("cli-json")
    as_table = cli.submit("api-keys", "create", "--name", table_name)
    as_json = cli.submit("-o", "json", "api-keys", "create", "--name", json_name)

    shown = table_of(as_table.result())
    secrets = KEY_PATTERN.findall(shown)
    assert len(secrets) == 1, "the new key is printed exactly once"
    table_key = secrets[0]
    assert "cannot be shown again" in shown
    assert table_name in shown
    created = json_of(as_json.result())
    assert set(created) == {"id", "key", "name", "created_at", "created_by", "expires_at", "scopes"}
    assert (created["name"], created["created_by"]) == (json_name, live.user_id)
    assert KEY_PATTERN.fullmatch(created["key"])
    cli.add_secret(table_key)
    cli.add_secret(created["key"])

    listed_json = json_of(cli("api-keys", "list", "-o", "json"))
    assert_same_key_listing(listed_json, live.get("/api_keys"), key_id=1)
    by_name = {item["name"]: item for item in listed_json}
    assert by_name[json_name]["id"] == created["id"]
    assert by_name[json_name]["created_at"] == created["created_at"]
    assert live.request("GET", "/users/me", key=table_key).status_code == 200

    listed_table = table_of(cli("api-keys", "list"))
    for name in (table_name, json_name, "bootstrap"):
        assert name in listed_table

    table_id = str(by_name[table_name]["id"])
    revoked_table = cli.submit("api-keys", "revoke", table_id)
    revoked_json = cli.submit("api-keys", "revoke", str(created["id"]), "-o", "json")
    assert f"Revoked API key {table_name}" in table_of(revoked_table.result())
    revoked = json_of(revoked_json.result())
    # Revoking again is idempotent: the API answers with the same body.
    assert revoked == live.request("DELETE", f"/api_keys/{created['id']}").json()
    assert revoked["revoked"] is True
    assert live.request("GET", "/users/me", key=table_key).status_code == 401
    assert live.request("GET", "/users/me", key=created["key"]).status_code == 401


# --- projects --------------------------------------------------------------------------------


def test_projects_create_get_update_and_delete_in_table_json_and_yaml(
    cli: Cli, live: LiveApi
) -> None:
    name, other_name = unique_name("cli project"), unique_name("cli other")
    created_json = cli.submit(
        *["projects", "create", "--name", name, "--region-id", "aws-eu-central-1"],
        *["--pg-version", "16", "-o", "json"],
    )
    created_table = cli.submit("projects", "create", "--name", other_name)

    created = json_of(created_json.result())
    project_id = created["project"]["id"]
    assert created["project"] == live.get(f"/projects/{project_id}")["project"]
    assert (created["project"]["region_id"], created["project"]["pg_version"]) == (
        "aws-eu-central-1",
        16,
    )
    shown = table_of(created_table.result())
    assert "Created project" in shown and other_name in shown
    (other,) = live.get("/projects", search=other_name)["projects"]
    assert other["id"] in shown

    as_json = cli.submit("projects", "get", project_id, "-o", "json")
    as_yaml = cli.submit("-o", "yaml", "projects", "get", project_id)
    as_table = cli.submit("projects", "get", project_id)
    renamed_table = cli.submit("projects", "update", other["id"], "--name", f"{other_name}-2")
    expected = live.get(f"/projects/{project_id}")
    assert json_of(as_json.result()) == expected
    assert yaml_of(as_yaml.result()) == expected
    shown = table_of(as_table.result())
    for value in (project_id, name, "aws-eu-central-1", "16"):
        assert value in shown
    shown = table_of(renamed_table.result())
    assert "Updated project" in shown and f"{other_name}-2" in shown

    new_name = unique_name("cli renamed")
    renamed = json_of(cli("projects", "update", project_id, "--name", new_name, "-o", "json"))
    after_rename = live.get(f"/projects/{project_id}")
    assert after_rename["project"]["name"] == new_name
    assert renamed["project"] == after_rename["project"]

    deleted_json = cli.submit("projects", "delete", project_id, "-o", "json")
    deleted_table = cli.submit("projects", "delete", other["id"])
    assert json_of(deleted_json.result()) == after_rename
    shown = table_of(deleted_table.result())
    assert "Deleted project" in shown and other["id"] in shown
    for gone in (project_id, other["id"]):
        assert live.request("GET", f"/projects/{gone}").status_code == 404

    line = error_line(cli("projects", "get", project_id))
    assert "404" in line and "request id" in line


def test_projects_update_as_json_is_exactly_the_api_patch_response(cli: Cli, live: LiveApi) -> None:
    response = live.request("POST", "/projects", json={"project": {"name": unique_name("old")}})
    project_id = response.json()["project"]["id"]

    renamed = json_of(cli("projects", "update", project_id, "--name", "new", "-o", "json"))

    # API.md: PATCH answers {"project": {...}, "operations": []}.
    assert renamed == {"project": live.get(f"/projects/{project_id}")["project"], "operations": []}


def test_projects_list_pages_with_limit_and_cursor_and_follows_all_pages(
    cli: Cli, live: LiveApi
) -> None:
    token = unique_name("paging")
    names = [f"{token}-{number}" for number in range(5)]
    for name in names:
        response = live.request("POST", "/projects", json={"project": {"name": name}})
        assert response.status_code == 201, response.text
    page = ["projects", "list", "--search", token, "--limit", "2"]

    everything = cli.submit("projects", "list", "--search", token, "--all", "-o", "json")
    everything_by_twos = cli.submit(*page, "--all", "-o", "json")
    as_table = cli.submit(*page)
    first = json_of(cli(*page, "-o", "json"))
    assert first == live.get("/projects", search=token, limit=2)
    cursor = first["pagination"]["cursor"]
    rest = cli.submit(*page, "--cursor", cursor, "--all", "-o", "json")

    pages = [first]
    while pages[-1]["projects"]:
        cursor = pages[-1]["pagination"]["cursor"]
        shown = json_of(cli(*page, "--cursor", cursor, "-o", "json"))
        assert shown == live.get("/projects", search=token, limit=2, cursor=cursor)
        pages.append(shown)
    assert [len(listing["projects"]) for listing in pages] == [2, 2, 1, 0]
    assert pages[-1]["projects"] == [] and "pagination" not in pages[-1]
    listed = [project["name"] for listing in pages for project in listing["projects"]]
    assert listed == names[::-1], "newest first, each exactly once"

    all_projects = live.get("/projects", search=token, limit=400)["projects"]
    assert json_of(everything.result()) == {"projects": all_projects}
    assert json_of(everything_by_twos.result()) == {"projects": all_projects}
    assert json_of(rest.result()) == {"projects": all_projects[2:]}, "--all from --cursor"
    shown = table_of(as_table.result())
    assert names[4] in shown and names[3] in shown and names[2] not in shown
    assert f"--cursor {first['pagination']['cursor']}" in shown


# --- failures --------------------------------------------------------------------------------


def test_api_errors_exit_1_with_one_stderr_line_naming_status_and_request_id(
    cli: Cli,
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/api/v2"
    bad_key = cli.submit("me", "-o", "json", env={"UNIQUE_API_KEY": UNKNOWN_KEY})
    bad_key_option = cli.submit("api-keys", "list", "--api-key", UNKNOWN_KEY, env=NO_KEY)
    unknown_key_id = cli.submit("api-keys", "revoke", UNKNOWN_KEY_ID)
    unknown_project = cli.submit("projects", "delete", "no-such-project")
    too_long_name = cli.submit("projects", "create", "--name", "x" * 257)
    server_down = cli.submit("me", env={"UNIQUE_API_HOST": nowhere})
    server_down_create = cli.submit("projects", "create", "--api-host", nowhere)

    for result in (bad_key, bad_key_option):
        line = error_line(result.result())
        assert "401" in line and "request id" in line
    for result in (unknown_key_id, unknown_project):
        line = error_line(result.result())
        assert "404" in line and "request id" in line
    line = error_line(too_long_name.result())
    assert "400" in line and "name" in line and "request id" in line
    for result in (server_down, server_down_create):
        line = error_line(result.result())
        assert "could not reach" in line and nowhere in line


def test_usage_errors_exit_2(cli: Cli) -> None:
    no_key = cli.submit("me", env=NO_KEY)
    failures = [
        cli.submit(*args)
        for args in (
            ["projects", "list", "--limit", "0"],
            ["me", "--output", "xml"],
            ["api-keys", "revoke", "not-a-number"],
            ["api-keys", "create"],
        )
    ]

    assert not cli.config_file.exists()
    line = error_line(no_key.result(), exit_code=2)
    assert "unique auth" in line and "UNIQUE_API_KEY" in line
    for failure in failures:
        usage_failure(failure.result())


# --- auth ------------------------------------------------------------------------------------


def test_auth_saves_the_key_in_a_private_file_that_later_commands_use(
    cli: Cli, live: LiveApi, tmp_path: Path
) -> None:
    prompted_home = tmp_path / "prompted"
    saved = cli.submit("auth", "--api-key", live.key, env=NO_KEY)
    prompted = cli.submit(
        "auth", env={**NO_KEY, "XDG_CONFIG_HOME": str(prompted_home)}, stdin=live.key + "\n"
    )

    assert saved.result().returncode == 0, saved.result().stderr
    assert stat.S_IMODE(cli.config_file.stat().st_mode) == 0o600
    assert json_of(cli("me", "-o", "json", env=NO_KEY)) == live.get("/users/me")
    assert prompted.result().returncode == 0, prompted.result().stderr
    assert stat.S_IMODE((prompted_home / "unique" / "config.json").stat().st_mode) == 0o600

    # --api-host given to `unique auth` is saved too.
    elsewhere = {**NO_KEY, "UNIQUE_API_HOST": "", "XDG_CONFIG_HOME": str(tmp_path / "elsewhere")}
    signed_in = cli("auth", "--api-key", live.key, "--api-host", live.base_url, env=elsewhere)
    assert signed_in.returncode == 0, signed_in.stderr
    assert json_of(cli("me", "-o", "json", env=elsewhere)) == live.get("/users/me")


def test_auth_with_a_bad_key_exits_1_and_saves_nothing(cli: Cli) -> None:
    line = error_line(cli("auth", "--api-key", UNKNOWN_KEY, env=NO_KEY))

    assert "401" in line and "request id" in line
    assert not cli.config_file.exists()


# --- key lifecycle: expiry, scopes, one project, rotation ------------------------------------

READ_SCOPES = sorted(
    ["account:read", "api_keys:read", "audit_log:read", "organizations:read", "projects:read"]
)


def row_of(table: str, name: str) -> str:
    """The line of a table (wide enough not to fold) that shows ``name``."""
    (line,) = [line for line in table.splitlines() if name in line]
    return line


def row_with_id(table: str, key_id: int) -> str:
    """The line of a table (wide enough not to fold) whose first cell is ``key_id``."""
    (line,) = [line for line in table.splitlines() if line.split()[:1] == [str(key_id)]]
    return line


def created_through_the_api(live: LiveApi, cli: Cli, name: str, **access: Any) -> Json:
    response = live.request("POST", "/api_keys", json={"key_name": name, **access})
    assert response.status_code == 200, response.text
    created = response.json()
    cli.add_secret(created["key"])
    return created


def assert_no_secret_in_the_server_log(live: LiveApi, cli: Cli) -> None:
    assert live.server is not None
    log = live.server.log()
    leaked = [secret for secret in cli.secrets if secret in log or secret[4:57] in log]
    assert not leaked, f"the server log shows {len(leaked)} secret(s)"


def test_api_keys_create_limits_a_key_and_list_shows_its_access_and_expiry(
    cli: Cli, live: LiveApi
) -> None:
    reader_name, scoped_name, project_name = (
        unique_name("cli-reader"),
        unique_name("cli-scoped"),
        unique_name("cli-one"),
    )
    project = live.request("POST", "/projects", json={"project": {"name": project_name}}).json()
    project_id = project["project"]["id"]
    before = datetime.now(UTC)
    reader_json = cli.submit(
        *["-o", "json", "api-keys", "create", "--name", reader_name],
        "--expires-in",
        "30d",
        "--read-only",
    )
    scoped_table = cli.submit(
        *["api-keys", "create", "--name", scoped_name, "--expires-at", "2031-01-31T12:00:00Z"],
        *["--scope", "projects:read", "--scope", "account:read"],
    )
    one_project = cli.submit(
        *["api-keys", "create", "--name", project_name, "--project", project_id, "-o", "yaml"]
    )

    reader = json_of(reader_json.result())
    cli.add_secret(reader["key"])
    after = datetime.now(UTC)
    assert reader["scopes"] == READ_SCOPES
    assert "project_id" not in reader
    expires = datetime.fromisoformat(reader["expires_at"].replace("Z", "+00:00"))
    month = timedelta(days=30)
    assert before + month - timedelta(seconds=1) <= expires <= after + month
    shown = table_of(scoped_table.result())
    (scoped_key,) = KEY_PATTERN.findall(shown)
    cli.add_secret(scoped_key)
    assert "cannot be shown again" in shown
    assert "Access: account:read, projects:read. Expires: 2031-01-31 12:00 UTC." in shown
    limited = yaml_of(one_project.result())
    cli.add_secret(limited["key"])
    assert limited["project_id"] == project_id

    as_reader = {"UNIQUE_API_KEY": reader["key"]}
    read = cli.submit("projects", "list", "-o", "json", env=as_reader)
    write = cli.submit("projects", "create", "--name", unique_name("never"), env=as_reader)
    listed = cli.submit("api-keys", "list")
    listed_json = cli.submit("api-keys", "list", "-o", "json")

    assert "projects" in json_of(read.result())
    line = error_line(write.result())
    assert "403" in line and "FORBIDDEN" in line and "projects:write" in line
    assert "request id" in line
    table = table_of(listed.result())
    assert "Access" in table and "Expires" in table
    reader_row = row_of(table, reader_name)
    assert "Read only" in reader_row and expires.strftime("%Y-%m-%d") in reader_row
    scoped_row = row_of(table, scoped_name)
    assert "account:read, projects:read" in scoped_row and "2031-01-31 12:00 UTC" in scoped_row
    project_row = row_of(table, project_name)
    assert f"project {project_id}" in project_row and "never" in project_row
    bootstrap_row = row_of(table, "bootstrap")
    assert "Full access" in bootstrap_row and "never" in bootstrap_row
    by_id = {item["id"]: item for item in json_of(listed_json.result())}
    assert by_id[reader["id"]]["expires_at"] == reader["expires_at"]
    assert by_id[limited["id"]]["project_id"] == project_id

    for key_id in (reader["id"], limited["id"]):
        live.request("DELETE", f"/api_keys/{key_id}")


def test_api_keys_create_with_a_bad_lifetime_is_a_one_line_usage_error(cli: Cli) -> None:
    bad_duration = cli.submit("api-keys", "create", "--name", "x", "--expires-in", "30 days")
    bad_time = cli.submit("api-keys", "create", "--name", "x", "--expires-at", "someday")
    both = cli.submit(
        *["api-keys", "create", "--name", "x", "--expires-in", "1d", "--expires-at", "2031-01-31"]
    )
    too_soon = cli.submit("api-keys", "create", "--name", "x", "--expires-in", "5s")
    unknown_scope = cli.submit("api-keys", "create", "--name", "x", "--scope", "projects:delete")

    assert "--expires-in" in error_line(bad_duration.result(), exit_code=2)
    assert "--expires-at" in error_line(bad_time.result(), exit_code=2)
    assert "not both" in error_line(both.result(), exit_code=2)
    for result, field_name in ((too_soon, "expires_at"), (unknown_scope, "scopes")):
        line = error_line(result.result())
        assert "400" in line and field_name in line and "request id" in line


def test_api_keys_rotate_shows_the_new_key_once_and_the_old_one_works_out_its_grace(
    cli: Cli, live: LiveApi
) -> None:
    name = unique_name("cli-rotated")
    old = created_through_the_api(live, cli, name, scopes=["projects:read"])
    spare = created_through_the_api(live, cli, unique_name("cli-spare"))
    brief = created_through_the_api(live, cli, unique_name("cli-brief"))

    rotated_table = cli.submit("api-keys", "rotate", str(old["id"]), "--grace", "24h")
    rotated_json = cli.submit("api-keys", "rotate", str(spare["id"]), "-o", "json")
    rotated_briefly = cli.submit(
        "api-keys", "rotate", str(brief["id"]), "--grace", "1s", "-o", "yaml"
    )
    bad_grace = cli.submit("api-keys", "rotate", str(old["id"]), "--grace", "a day")
    too_long = cli.submit("api-keys", "rotate", str(old["id"]), "--grace", "8d")

    shown = table_of(rotated_table.result())
    (new_key,) = KEY_PATTERN.findall(shown)
    cli.add_secret(new_key)
    assert "cannot be shown again" in shown
    assert f"The old key (id {old['id']}) keeps working for 24h." in shown
    assert "Access: projects:read." in shown
    replacement = json_of(rotated_json.result())
    cli.add_secret(replacement["key"])
    assert set(replacement) == {
        *("id", "key", "name", "created_at", "created_by", "expires_at", "scopes"),
        "rotated_from",
    }
    assert replacement["rotated_from"] == spare["id"]
    assert live.request("GET", "/projects", key=spare["key"]).status_code == 401
    assert live.request("GET", "/projects", key=replacement["key"]).status_code == 200
    briefly = yaml_of(rotated_briefly.result())
    cli.add_secret(briefly["key"])
    assert briefly["rotated_from"] == brief["id"]
    assert "--grace" in error_line(bad_grace.result(), exit_code=2)
    line = error_line(too_long.result())
    assert "400" in line and "grace_period_seconds" in line

    for key in (old["key"], new_key):
        assert live.request("GET", "/projects", key=key).status_code == 200
    again = error_line(cli("api-keys", "rotate", str(old["id"])))
    assert "409" in again and "CONFLICT" in again and "request id" in again

    time.sleep(1.5)  # the briefly rotated key's grace second runs out
    table = table_of(cli("api-keys", "list"))
    assert "expired" in row_with_id(table, brief["id"])
    old_row = row_with_id(table, old["id"])
    tomorrow = datetime.now(UTC) + timedelta(hours=24)
    assert "projects:read" in old_row and tomorrow.strftime("%Y-%m-%d") in old_row
    assert live.request("GET", "/projects", key=brief["key"]).status_code == 401

    listing = live.get("/api_keys")
    new_id = next(
        item["id"] for item in listing if item["name"] == name and item["id"] != old["id"]
    )
    for key_id in (old["id"], new_id, replacement["id"], briefly["id"]):
        live.request("DELETE", f"/api_keys/{key_id}")
    assert_no_secret_in_the_server_log(live, cli)


# --- orgs ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stranger_key(live: LiveApi) -> str:
    """The key of an account that is a member of no organization of the test's user."""
    _, key = bootstrap_user(live.database_url, email="stranger@example.com", name="Stu Stranger")
    return key


def test_orgs_create_list_rename_members_and_delete_as_a_user_sees_them(
    cli: Cli, live: LiveApi, stranger_key: str
) -> None:
    cli.add_secret(stranger_key)
    name, other_name = unique_name("cli org"), unique_name("cli other org")
    created_json = cli.submit("orgs", "create", "--name", name, "-o", "json")
    created_table = cli.submit("orgs", "create", "--name", other_name)

    created = json_of(created_json.result())
    org_id = created["id"]
    assert created == live.get(f"/organizations/{org_id}")
    assert (created["name"], created["plan"]) == (name, "self-hosted")
    shown = table_of(created_table.result())
    assert "Created organization" in shown and other_name in shown
    (other,) = [
        item
        for item in live.get("/users/me/organizations")["organizations"]
        if item["name"] == other_name
    ]
    assert other["id"] in shown

    listed_json = cli.submit("orgs", "list", "-o", "json")
    listed_table = cli.submit("orgs", "list")
    members_json = cli.submit("orgs", "members", org_id, "-o", "json")
    members_table = cli.submit("orgs", "members", org_id)
    assert json_of(listed_json.result()) == live.get("/users/me/organizations")
    shown = table_of(listed_table.result())
    for value in (org_id, name, created["handle"], other["id"]):
        assert value in shown
    # Renamed only once the listings have been read, which it would change.
    renamed_table = cli.submit("orgs", "rename", other["id"], "--name", f"{other_name}-2")
    shown = table_of(renamed_table.result())
    assert "Renamed organization" in shown and f"{other_name}-2" in shown
    members = json_of(members_json.result())
    assert members == live.get(f"/organizations/{org_id}/members")
    ((member_id, email, role),) = [
        (item["member"]["id"], item["user"]["email"], item["member"]["role"])
        for item in members["members"]
    ]
    assert (email, role) == (EMAIL, "admin")
    member_row = row_of(table_of(members_table.result()), member_id)
    assert EMAIL in member_row and "admin" in member_row

    new_name = unique_name("cli renamed org")
    renamed = yaml_of(cli("orgs", "rename", org_id, "--name", new_name, "-o", "yaml"))
    after_rename = live.get(f"/organizations/{org_id}")
    assert after_rename["name"] == new_name and renamed == after_rename
    assert json_of(cli("orgs", "get", org_id, "-o", "json")) == after_rename

    # The one admin stays one; a bad role never reaches the server.
    demote = cli.submit("orgs", "set-role", org_id, member_id, "--role", "member")
    leave = cli.submit("orgs", "remove-member", org_id, member_id)
    bad_role = cli.submit("orgs", "set-role", org_id, member_id, "--role", "owner")
    for result in (demote, leave):
        line = error_line(result.result())
        assert "409" in line and "request id" in line
    usage_failure(bad_role.result())
    promoted = json_of(cli("orgs", "set-role", org_id, member_id, "--role", "admin", "-o", "json"))
    assert promoted == members["members"][0]["member"]

    # To someone who is not a member, the organization does not exist.
    as_stranger = {"UNIQUE_API_KEY": stranger_key}
    strangers = [
        cli.submit(*args, env=as_stranger)
        for args in (
            ["orgs", "get", org_id],
            ["orgs", "members", org_id, "-o", "json"],
            ["orgs", "rename", org_id, "--name", "Mine now"],
            ["orgs", "delete", org_id],
        )
    ]
    for result in strangers:
        line = error_line(result.result())
        assert "404" in line and org_id in line and "request id" in line
    assert json_of(cli("orgs", "list", "-o", "json", env=as_stranger)) == {"organizations": []}

    deleted_json = cli.submit("orgs", "delete", org_id, "-o", "json")
    deleted_table = cli.submit("orgs", "delete", other["id"])
    assert json_of(deleted_json.result()) == after_rename
    shown = table_of(deleted_table.result())
    assert "Deleted organization" in shown and other["id"] in shown
    for gone in (org_id, other["id"]):
        assert live.request("GET", f"/organizations/{gone}").status_code == 404
    line = error_line(cli("orgs", "get", org_id))
    assert "404" in line and "request id" in line
