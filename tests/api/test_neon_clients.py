"""Neon's own clients, unmodified, manage API keys against a real ``unique serve``.

They know only Neon's shapes: they create a key by sending ``key_name`` alone, and they must
tolerate the fields Neon's shapes lack (``expires_at``, ``scopes``) in every key object. Proved:

- the ``neon-api`` Python client from PyPI (``neon_api.NeonAPI`` with ``base_url`` pointed at the
  server) lists keys, creates one by name whose secret is in the create response only, and
  revokes it, each answer parsed into its own response dataclass;
- Neon's CLI ``neonctl`` 5 from npm runs ``api-keys list``, ``api-keys create --name N`` and
  ``api-keys revoke ID`` with ``--api-key K --api-host http://127.0.0.1:PORT/api/v2``, in
  ``--output json`` and in its default table output: the list shows each key's id and name,
  create prints the new secret once (and never again: not in a later list), revoke reports the
  key revoked, and all exit 0;
- neonctl 5 runs ``me`` and ``projects create|get|update|delete`` in both outputs: ``me`` shows
  the key's owner; ``projects create`` sends Neon's full request (``branch`` always,
  ``settings`` and ``default_endpoint_settings`` from its flags), which the server accepts, keeping
  the settings; the project is shown as the API returns it, with no connection URIs, and updates
  merge settings; ``--org-id`` fails saying organizations are not available yet;
- a key made this way is the documented key (every scope, no expiry, no project), works until it
  is revoked, and from the revoke on our API refuses it with 401 and the client reports the
  failure.

neonctl is installed with npm on first use into var/neonctl5 (gitignored) and reused by later
runs; an install that fails fails the tests, it does not skip them. It runs with
``--no-analytics`` (its one telemetry switch; without it, it reports every command to Neon's
Segment host), with HOME in the test's tmp_path and an environment without any NEON_* or proxy
variable, so the only address it talks to is the server on 127.0.0.1. It has no update check.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from neon_api import NeonAPI, NeonAPIError
from neon_api.schema import (
    ApiKeyCreateResponse,
    ApiKeyRevokeResponse,
    ApiKeysListResponseItem,
)

from tests.helpers import REPO, ServerProcess, assert_error, bootstrap_user
from unique import keys
from unique.auth.access import Scope

pytestmark = pytest.mark.slow

NEONCTL_PACKAGE = "neonctl@5"
NEONCTL_DIR = REPO / "var" / "neonctl5"
NEONCTL_BIN = NEONCTL_DIR / "node_modules" / ".bin" / "neonctl"
NPM_INSTALL_TIMEOUT = 300
# neonctl 5's package.json: "engines": {"node": ">=20.19.0"}.
NEONCTL_MIN_NODE = (20, 19)
EVERY_SCOPE = sorted(scope.value for scope in Scope)
KEY_LINE = re.compile(r"unq_[0-9a-z]{60}")
STORE_IT_NOW = "Store this key now: it is not shown again."

Json = Any


@dataclass
class Running:
    """A ``unique serve`` process with one user, who has one key (named "bootstrap")."""

    server: ServerProcess
    user_id: str
    key: str

    @property
    def api(self) -> str:
        return f"{self.server.base_url}/api/v2"

    def raw_keys(self, key: str | None = None) -> list[Json]:
        """``GET /api_keys`` with ``key`` (the bootstrap key by default), checked to be 200."""
        response = httpx.get(f"{self.api}/api_keys", headers=bearer(key or self.key))
        assert response.status_code == 200, response.text
        listed: list[Json] = response.json()
        return listed

    def assert_refused(self, key: str) -> None:
        """Our API answers 401 to ``key``, as to any unknown key."""
        response = httpx.get(f"{self.api}/api_keys", headers=bearer(key))
        assert_error(response, 401, code="UNAUTHORIZED")


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def assert_documented_key(running: Running, key_id: int, name: str) -> None:
    """The account lists the key as the documented one: every scope, no expiry, no project."""
    [item] = [item for item in running.raw_keys() if item["id"] == key_id]
    assert item["name"] == name
    assert item["expires_at"] is None
    assert item["scopes"] == EVERY_SCOPE
    assert "project_id" not in item


@pytest.fixture
def running(database_url: str, tmp_path: Path) -> Iterator[Running]:
    user_id, key = bootstrap_user(database_url)
    server = ServerProcess(database_url, tmp_path / "server.log")
    try:
        yield Running(server, user_id, key)
    finally:
        server.stop()


# --- neon-api, Neon's Python client ----------------------------------------------------------


def test_neon_api_python_client_lists_creates_and_revokes_a_key_by_name(
    running: Running,
) -> None:
    # The client joins base_url and paths by plain concatenation: the trailing slash is needed.
    neon = NeonAPI(running.key, base_url=f"{running.api}/")

    before = neon.api_keys()
    assert all(isinstance(item, ApiKeysListResponseItem) for item in before)
    assert [(item.name, item.created_by.id, item.created_by.name) for item in before] == [
        ("bootstrap", running.user_id, "Sam Smith")
    ]
    bootstrap_id = before[0].id

    created = neon.api_key_create(key_name="neon-api deploy")
    assert isinstance(created, ApiKeyCreateResponse)
    assert created.name == "neon-api deploy"
    assert created.created_by == running.user_id
    assert keys.check(created.key) == created.key
    assert_documented_key(running, created.id, "neon-api deploy")

    # Listed, newest first, without its secret: that was in the create response only.
    assert [item.id for item in neon.api_keys()] == [created.id, bootstrap_id]
    listing = httpx.get(f"{running.api}/api_keys", headers=bearer(running.key))
    assert str(created.id) in listing.text
    assert created.key not in listing.text

    # The new key works, in the client as anywhere.
    as_new_key = NeonAPI(created.key, base_url=f"{running.api}/")
    assert created.id in [item.id for item in as_new_key.api_keys()]

    revoked = neon.api_key_revoke(str(created.id))
    assert isinstance(revoked, ApiKeyRevokeResponse)
    assert (revoked.id, revoked.name, revoked.revoked) == (created.id, "neon-api deploy", True)
    assert [item.id for item in neon.api_keys()] == [bootstrap_id]

    running.assert_refused(created.key)
    # neon-api raises NeonAPIError with the response body as its message (and no response).
    with pytest.raises(NeonAPIError, match='"code":"UNAUTHORIZED"'):
        as_new_key.api_keys()


# --- neonctl 5, Neon's CLI ---------------------------------------------------------------------


def node_version() -> tuple[int, int] | None:
    node = shutil.which("node")
    if node is None:
        return None
    result = subprocess.run(
        [node, "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    found = re.fullmatch(r"v(\d+)\.(\d+)\.\d+", result.stdout.strip())
    return (int(found[1]), int(found[2])) if found else None


def installed_neonctl_version(home: Path) -> str | None:
    """The version the installed neonctl reports, if it is installed, runs and is a 5.x."""
    if not NEONCTL_BIN.exists():
        return None
    try:
        result = subprocess.run(
            [str(NEONCTL_BIN), "--version", "--no-analytics"],
            capture_output=True,
            text=True,
            env=neonctl_environment(home),
            cwd=home,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    version = result.stdout.strip()
    return version if result.returncode == 0 and version.startswith("5.") else None


def install_neonctl(home: Path) -> str:
    """npm-install neonctl 5 into NEONCTL_DIR unless a working one is there; its version.

    One worker installs while the others wait on the lock, then they all reuse it.
    """
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"npm is not on PATH: it is needed to install {NEONCTL_PACKAGE}")
    node = node_version()
    if node is None or node < NEONCTL_MIN_NODE:
        pytest.fail(f"{NEONCTL_PACKAGE} needs Node.js >= 20.19; found {node}")
    NEONCTL_DIR.mkdir(parents=True, exist_ok=True)
    with open(NEONCTL_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        version = installed_neonctl_version(home)
        if version is not None:
            return version
        command = [
            npm,
            "install",
            "--prefix",
            str(NEONCTL_DIR),
            "--no-audit",
            "--no-fund",
            "--no-update-notifier",
            # Nothing of the three commands needs a package's install script (esbuild's only
            # fetches a binary for `neon functions`).
            "--ignore-scripts",
            NEONCTL_PACKAGE,
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=NPM_INSTALL_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"`{' '.join(command)}` did not finish in {NPM_INSTALL_TIMEOUT}s")
        if result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` failed with exit code {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        version = installed_neonctl_version(home)
        if version is None:
            pytest.fail(f"{NEONCTL_PACKAGE} installed into {NEONCTL_DIR} but does not run")
        return version


def neonctl_environment(home: Path) -> dict[str, str]:
    """What neonctl runs with: none of the caller's NEON_*, proxy or CI variables, its config
    under ``home``, and wide lines so no table cell is folded."""
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "LANG": "C.UTF-8",
        "COLUMNS": "200",
    }


@pytest.fixture(scope="session")
def neonctl_version(tmp_path_factory: pytest.TempPathFactory) -> str:
    return install_neonctl(tmp_path_factory.mktemp("neonctl-home"))


@dataclass
class Neonctl:
    """``neonctl ...`` as a user runs it against ``running``, with ``--api-key``."""

    running: Running
    home: Path

    def api_keys(self, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
        return self.run("api-keys", *args, key=key)

    def run(self, *args: str, key: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [
            str(NEONCTL_BIN),
            *args,
            "--api-key",
            key or self.running.key,
            "--api-host",
            self.running.api,
            "--no-analytics",
        ]
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            env=neonctl_environment(self.home),
            cwd=self.home,
            timeout=60,
            check=False,
        )

    def succeeds(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.api_keys(*args)
        assert result.returncode == 0, f"neonctl api-keys {args}:\n{result.stdout}{result.stderr}"
        assert result.stdout, result.stderr
        return result

    def json(self, *args: str) -> Json:
        return json.loads(self.succeeds(*args, "--output", "json").stdout)

    def shows(self, *args: str) -> str:
        """The output of ``neonctl ARGS``, which must succeed and print something."""
        result = self.run(*args)
        assert result.returncode == 0, f"neonctl {args}:\n{result.stdout}{result.stderr}"
        assert result.stdout, result.stderr
        return result.stdout

    def shows_json(self, *args: str) -> Json:
        return json.loads(self.shows(*args, "--output", "json"))

    def fails(self, *args: str) -> str:
        """What ``neonctl ARGS`` says on stderr when it fails (exit 1, nothing on stdout)."""
        result = self.run(*args)
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stdout == ""
        return result.stderr

    def assert_rejects(self, key: str) -> None:
        """neonctl with ``key`` exits 1 saying the API rejected it."""
        result = self.api_keys("list", "--output", "json", key=key)
        assert result.returncode == 1, result.stdout + result.stderr
        assert result.stdout == ""
        assert "Authentication failed: the Neon API rejected the API key" in result.stderr


@pytest.fixture
def neonctl(running: Running, neonctl_version: str, tmp_path: Path) -> Neonctl:
    assert neonctl_version.startswith("5.")
    home = tmp_path / "home"
    home.mkdir()
    return Neonctl(running, home)


def without_last_use(item: Json) -> Json:
    return {field: value for field, value in item.items() if not field.startswith("last_used")}


def table_rows(stdout: str) -> list[dict[str, str]]:
    """The rows of neonctl's list table: a header line of column names starting with "Id", each
    column as wide as its widest cell, two spaces apart. A cell may be empty (the last use of a
    key never used), so cells are cut at the headers' offsets rather than split on spaces."""
    lines = stdout.splitlines()
    [header_at] = [at for at, line in enumerate(lines) if line.startswith("Id  ")]
    headers = re.split(r" {2,}", lines[header_at].strip())
    starts = [lines[header_at].index(header) for header in headers]
    rows = []
    for line in lines[header_at + 1 :]:
        if not line.strip():
            break
        cells = [
            line[start:end].strip() for start, end in zip(starts, [*starts[1:], None], strict=True)
        ]
        rows.append(dict(zip(headers, cells, strict=True)))
    return rows


def stacked_fields(stdout: str) -> dict[str, str]:
    """The label/value lines of neonctl's table output for one object ("Name  mykey")."""
    fields = {}
    for line in stdout.splitlines():
        found = re.fullmatch(r"([A-Z][A-Za-z ]*?) {2,}(.*)", line)
        if found:
            fields[found[1]] = found[2].strip()
    return fields


def test_neonctl_5_lists_creates_and_revokes_keys_by_name_in_json_output(
    running: Running, neonctl: Neonctl
) -> None:
    [bootstrap] = running.raw_keys()

    listed = neonctl.json("list")
    assert [(item["id"], item["name"]) for item in listed] == [(bootstrap["id"], "bootstrap")]
    # The JSON output is the API's list, every field (last use aside: each request moves it).
    assert [without_last_use(item) for item in listed] == [
        without_last_use(item) for item in running.raw_keys()
    ]

    create = neonctl.succeeds("create", "--name", "neonctl-json", "--output", "json")
    created = json.loads(create.stdout)
    assert created["name"] == "neonctl-json"
    assert created["created_by"] == running.user_id
    assert keys.check(created["key"]) == created["key"]
    assert create.stdout.count(created["key"]) == 1
    assert created["key"] not in create.stderr
    assert STORE_IT_NOW in create.stderr
    assert_documented_key(running, created["id"], "neonctl-json")
    assert created["id"] in [item["id"] for item in running.raw_keys(created["key"])]

    after_create = neonctl.succeeds("list", "--output", "json")
    assert [(item["id"], item["name"]) for item in json.loads(after_create.stdout)] == [
        (created["id"], "neonctl-json"),
        (bootstrap["id"], "bootstrap"),
    ]
    assert created["key"] not in after_create.stdout

    revoked = neonctl.json("revoke", str(created["id"]))
    assert (revoked["id"], revoked["name"], revoked["revoked"]) == (
        created["id"],
        "neonctl-json",
        True,
    )

    assert [item["id"] for item in neonctl.json("list")] == [bootstrap["id"]]
    running.assert_refused(created["key"])
    neonctl.assert_rejects(created["key"])


def test_neonctl_5_lists_creates_and_revokes_keys_by_name_in_table_output(
    running: Running, neonctl: Neonctl
) -> None:
    [bootstrap] = running.raw_keys()

    listed = neonctl.succeeds("list").stdout
    assert listed.startswith("Account API keys\n")
    assert [(row["Id"], row["Name"]) for row in table_rows(listed)] == [
        (str(bootstrap["id"]), "bootstrap")
    ]

    create = neonctl.succeeds("create", "--name", "neonctl-table")
    # The id and name as a stacked table, then the secret alone on its line, to copy.
    shown = stacked_fields(create.stdout)
    assert shown["Name"] == "neonctl-table"
    key_id = int(shown["Id"])
    [secret] = [line for line in create.stdout.splitlines() if KEY_LINE.fullmatch(line)]
    assert keys.check(secret) == secret
    assert create.stdout.count(secret) == 1
    assert secret not in create.stderr
    assert STORE_IT_NOW in create.stderr
    assert_documented_key(running, key_id, "neonctl-table")
    assert key_id in [item["id"] for item in running.raw_keys(secret)]

    after_create = neonctl.succeeds("list").stdout
    assert [(row["Id"], row["Name"]) for row in table_rows(after_create)] == [
        (str(key_id), "neonctl-table"),
        (str(bootstrap["id"]), "bootstrap"),
    ]
    assert secret not in after_create

    revoke = neonctl.succeeds("revoke", str(key_id)).stdout
    shown = stacked_fields(revoke)
    assert (shown["Id"], shown["Name"], shown["Revoked"]) == (str(key_id), "neonctl-table", "true")

    assert [row["Id"] for row in table_rows(neonctl.succeeds("list").stdout)] == [
        str(bootstrap["id"])
    ]
    running.assert_refused(secret)
    neonctl.assert_rejects(secret)


# --- neonctl 5: the current user and projects ----------------------------------------------------


def raw(running: Running, path: str) -> httpx.Response:
    return httpx.get(f"{running.api}{path}", headers=bearer(running.key))


def raw_project(running: Running, project_id: str) -> Json:
    response = raw(running, f"/projects/{project_id}")
    assert response.status_code == 200, response.text
    return response.json()["project"]


def test_neonctl_5_me_shows_the_keys_owner_in_json_and_table_output(
    running: Running, neonctl: Neonctl
) -> None:
    me = raw(running, "/users/me").json()
    assert (me["id"], me["email"], me["name"]) == (running.user_id, "sam@example.com", "Sam Smith")

    # JSON: the API's answer, every field.
    assert neonctl.shows_json("me") == me

    # The table: the four fields neonctl picks, one per line.
    assert stacked_fields(neonctl.shows("me")) == {
        "Login": "sam@example.com",
        "Email": "sam@example.com",
        "Name": "Sam Smith",
        "Projects Limit": str(me["projects_limit"]),
    }


def test_neonctl_5_creates_gets_updates_and_deletes_a_project_in_json_output(
    running: Running, neonctl: Neonctl
) -> None:
    # neonctl sends branch (always), settings (--hipaa, --block-public-connections) and
    # default_endpoint_settings (--cu): the settings are kept, the compute-only fields ignored.
    created = neonctl.shows_json(
        *["projects", "create", "--name", "demo", "--region-id", "aws-eu-central-1"],
        *["--pg-version", "16", "--hipaa", "--block-public-connections", "--cu", "0.5-2"],
        *["--database", "appdb", "--role", "app"],
    )
    # The project and its connection URIs (none: this service runs no databases).
    assert set(created) == {"project", "connection_uris"}
    assert created["connection_uris"] == []
    project = created["project"]
    assert (project["name"], project["region_id"], project["pg_version"]) == (
        "demo",
        "aws-eu-central-1",
        16,
    )
    assert project["settings"] == {"hipaa": True, "block_public_connections": True}
    assert project == raw_project(running, project["id"])
    project_id = project["id"]

    assert neonctl.shows_json("projects", "get", project_id) == project

    # Update prints the project alone; settings given are merged into those stored.
    updated = neonctl.shows_json(
        "projects", "update", project_id, "--name", "renamed", "--block-vpc-connections"
    )
    assert updated["id"] == project_id
    assert updated["name"] == "renamed"
    assert updated["settings"] == {
        "hipaa": True,
        "block_public_connections": True,
        "block_vpc_connections": True,
    }
    assert updated == raw_project(running, project_id)
    unhipaa = neonctl.shows_json("projects", "update", project_id, "--hipaa=false", "--cu", "1")
    assert unhipaa["settings"]["hipaa"] is False
    assert unhipaa["name"] == "renamed"

    deleted = neonctl.shows_json("projects", "delete", project_id)
    assert deleted == unhipaa
    assert raw(running, f"/projects/{project_id}").status_code == 404
    assert f"ERROR: project {project_id} not found" in neonctl.fails(
        "projects", "get", project_id, "--output", "json"
    )


def test_neonctl_5_creates_gets_updates_and_deletes_a_project_in_table_output(
    running: Running, neonctl: Neonctl
) -> None:
    create = neonctl.shows("projects", "create", "--name", "demo table")
    # The project as a stacked table, then the heading of its (empty) connection URIs.
    assert create.startswith("Project\n")
    shown = stacked_fields(create)
    project_id = shown["Id"]
    project = raw_project(running, project_id)
    assert shown == {
        "Id": project_id,
        "Name": "demo table",
        "Region Id": "aws-us-east-2",
        "Created At": project["created_at"],
    }
    assert create.rstrip().endswith("Connection URIs")

    assert stacked_fields(neonctl.shows("projects", "get", project_id)) == shown

    renamed = stacked_fields(neonctl.shows("projects", "update", project_id, "--name", "new"))
    assert renamed == {**shown, "Name": "new"}
    assert raw_project(running, project_id)["name"] == "new"

    assert stacked_fields(neonctl.shows("projects", "delete", project_id)) == renamed
    assert raw(running, f"/projects/{project_id}").status_code == 404


def test_neonctl_5_creates_a_project_in_an_organization_of_the_keys_owner(
    running: Running, neonctl: Neonctl
) -> None:
    org = httpx.post(
        f"{running.api}/organizations",
        json={"organization": {"name": "Acme"}},
        headers=bearer(running.key),
    ).json()
    created = json.loads(
        neonctl.shows(
            "projects", "create", "--name", "shared", "--org-id", org["id"], "--output", "json"
        )
    )
    assert created["project"]["org_id"] == org["id"]
    listed = raw(running, f"/projects?org_id={org['id']}").json()["projects"]
    assert [project["id"] for project in listed] == [created["project"]["id"]]

    said = neonctl.fails("projects", "create", "--name", "x", "--org-id", "org-acme-12345678")
    assert "organization org-acme-12345678 was not found" in said
    assert raw(running, "/projects").json()["projects"] == []
