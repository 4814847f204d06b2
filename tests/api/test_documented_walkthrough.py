"""The product documentation's walkthrough, typed with real curl against a real server process."""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.helpers import PASSWORD, ServerProcess, run_cli

pytestmark = pytest.mark.slow


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    process = ServerProcess(database_url, tmp_path / "server.log")
    yield process
    process.stop()


def curl(*args: str) -> tuple[int, dict | list]:  # type: ignore[type-arg]
    """Run curl as the documentation does; return the status code and the parsed JSON body."""
    result = subprocess.run(
        ["curl", "--silent", "--show-error", "--write-out", "\n%{http_code}", *args],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    body, _, status = result.stdout.rpartition("\n")
    return int(status), json.loads(body)


def test_create_list_use_and_revoke_a_key_with_curl(
    server: ServerProcess, database_url: str
) -> None:
    env = {"UNIQUE_DATABASE_URL": database_url}
    created_user = run_cli(
        [
            "admin",
            "create-user",
            "--email",
            "sam@example.com",
            "--name",
            "Sam Smith",
            "--password-stdin",
        ],
        env,
        stdin=PASSWORD + "\n",
    )
    assert created_user.returncode == 0, created_user.stderr
    bootstrap = run_cli(
        ["admin", "create-api-key", "--email", "sam@example.com", "--name", "boot"], env
    )
    assert bootstrap.returncode == 0, bootstrap.stderr
    neon_api_key = bootstrap.stdout.strip()
    api = f"{server.base_url}/api/v2"

    status, created = curl(
        f"{api}/api_keys",
        "-H", "Content-Type: application/json",
        "-H", f"Authorization: Bearer {neon_api_key}",
        "-d", '{"key_name": "mynewkey"}',
    )  # fmt: skip
    assert status == 200
    assert isinstance(created, dict)
    assert re.fullmatch(r"unq_[0-9a-z]{60}", created["key"])
    new_key = created["key"]

    status, listed = curl(
        f"{api}/api_keys",
        "-H", f"Authorization: Bearer {neon_api_key}",
        "-H", "Accept: application/json",
    )  # fmt: skip
    assert status == 200
    assert isinstance(listed, list)
    assert [entry["name"] for entry in listed] == ["mynewkey", "boot"]
    assert set(listed[0]) == {
        "id", "name", "created_at", "created_by", "last_used_at", "last_used_from_addr",
        "expires_at", "scopes",
    }  # fmt: skip
    assert listed[0]["created_by"]["name"] == "Sam Smith"

    # The same command lists projects with the new key, and again once the key is revoked.
    list_projects_with_the_new_key = partial(
        curl,
        f"{api}/projects",
        "-H", "Accept: application/json",
        "-H", f"Authorization: Bearer {new_key}",
    )  # fmt: skip
    status, projects = list_projects_with_the_new_key()
    assert status == 200
    assert projects == {"projects": [], "applications": {}, "integrations": {}}

    status, revoked = curl(
        "-X", "DELETE",
        f"{api}/api_keys/{created['id']}",
        "-H", "Accept: application/json",
        "-H", f"Authorization: Bearer {neon_api_key}",
    )  # fmt: skip
    assert status == 200
    assert isinstance(revoked, dict)
    assert revoked["revoked"] is True
    assert revoked["last_used_from_addr"] == "127.0.0.1"
    assert revoked["last_used_at"] is not None

    status, refused = list_projects_with_the_new_key()
    assert status == 401
    assert isinstance(refused, dict)
    assert refused["code"] == "UNAUTHORIZED"
