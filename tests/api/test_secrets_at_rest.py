"""A key exists in plain text only in the response that creates or rotates it: never in storage
or logs."""

from __future__ import annotations

import subprocess
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, bootstrap_user
from unique import keys
from unique.config import sqlite_path

pytestmark = pytest.mark.slow


def stored_bytes(database_url: str) -> bytes:
    """Everything the database holds: the SQLite files byte for byte, or a full pg_dump."""
    path = sqlite_path(database_url)
    if path is not None:
        files = [path, Path(f"{path}-wal"), Path(f"{path}-shm")]
        return b"".join(file.read_bytes() for file in files if file.exists())
    dump = subprocess.run(
        ["pg_dump", "--data-only", "--inserts", database_url],
        capture_output=True,
        timeout=60,
        check=True,
    )
    return dump.stdout


def test_no_key_or_its_random_part_reaches_the_database_or_the_log(
    database_url: str, tmp_path: Path
) -> None:
    secrets = [bootstrap_user(database_url)[1]]
    server = ServerProcess(database_url, tmp_path / "server.log")
    try:
        api = f"{server.base_url}/api/v2"
        with httpx.Client(
            base_url=api, headers={"Authorization": f"Bearer {secrets[0]}"}
        ) as client:
            for name in ("ci", "deploy", "laptop"):
                created = client.post("/api_keys", json={"key_name": name}).json()
                secrets.append(created["key"])
                used = httpx.get(
                    f"{api}/projects", headers={"Authorization": f"Bearer {created['key']}"}
                )
                assert used.status_code == 200
            client.delete(f"/api_keys/{created['id']}")
            revoked = created["key"]
            # A rotated key and its replacement, and a key that carries less, are secrets too.
            limited = client.post(
                "/api_keys",
                json={"key_name": "reader", "scopes": ["projects:read"]},
            ).json()
            rotated = client.post(
                f"/api_keys/{limited['id']}/rotate", json={"grace_period_seconds": 3600}
            ).json()
            secrets += [limited["key"], rotated["key"]]
            for key in (limited["key"], rotated["key"]):
                used = httpx.get(f"{api}/projects", headers={"Authorization": f"Bearer {key}"})
                assert used.status_code == 200
            # Failed attempts are logged too; the presented strings must not be.
            near_miss = secrets[1][:-1] + ("0" if secrets[1][-1] != "0" else "1")
            unknown = keys.generate()
            secrets.append(unknown)
            for bad in (near_miss, unknown, revoked):
                assert (
                    httpx.get(
                        f"{api}/projects", headers={"Authorization": f"Bearer {bad}"}
                    ).status_code
                    == 401
                )
    finally:
        server.stop()

    storage = stored_bytes(database_url)
    log = server.log().encode()
    assert b"ci" in storage and b"deploy" in storage, "the scan must see the stored records"
    assert b'"path":"/api/v2/projects"' in log, "the scan must see the request log"
    for secret in secrets:
        random_part = secret[4:57].encode()
        for haystack, where in ((storage, "database"), (log, "server log")):
            assert secret.encode() not in haystack, f"a key is in the {where}"
            assert random_part not in haystack, f"a key's random part is in the {where}"
    # What is stored instead: the SHA-256, which cannot be turned back into the key.
    if sqlite_path(database_url) is not None:
        assert keys.digest(secrets[1]) in storage
    else:
        assert keys.digest(secrets[1]).hex().encode() in storage
