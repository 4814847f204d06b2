"""A revoked key fails on every server process from the moment the revocation is answered."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, bootstrap_user

pytestmark = pytest.mark.slow


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_revoke_on_one_node_fails_on_the_other_at_once(database_url: str, tmp_path: Path) -> None:
    _, admin_key = bootstrap_user(database_url)
    node_a = ServerProcess(database_url, tmp_path / "a.log")
    node_b = ServerProcess(database_url, tmp_path / "b.log")
    try:
        with (
            httpx.Client(base_url=f"{node_a.base_url}/api/v2") as a,
            httpx.Client(base_url=f"{node_b.base_url}/api/v2") as b,
        ):
            created = a.post("/api_keys", json={"key_name": "x"}, headers=bearer(admin_key)).json()
            for _ in range(20):
                assert b.get("/projects", headers=bearer(created["key"])).status_code == 200
            revoked = a.delete(f"/api_keys/{created['id']}", headers=bearer(admin_key))
            assert revoked.status_code == 200
            assert b.get("/projects", headers=bearer(created["key"])).status_code == 401
            assert a.get("/projects", headers=bearer(created["key"])).status_code == 401
    finally:
        node_a.stop()
        node_b.stop()


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_revoke_holds_for_every_worker_of_one_server(database_url: str, tmp_path: Path) -> None:
    _, admin_key = bootstrap_user(database_url)
    server = ServerProcess(database_url, tmp_path / "server.log", workers=2)
    try:
        api = f"{server.base_url}/api/v2"
        created = httpx.post(
            f"{api}/api_keys", json={"key_name": "x"}, headers=bearer(admin_key)
        ).json()
        # Fresh connections, so the requests spread over both worker processes.
        for _ in range(20):
            assert httpx.get(f"{api}/users/me", headers=bearer(created["key"])).status_code == 200
        revoked = httpx.delete(f"{api}/api_keys/{created['id']}", headers=bearer(admin_key))
        assert revoked.status_code == 200
        statuses = [
            httpx.get(f"{api}/users/me", headers=bearer(created["key"])).status_code
            for _ in range(50)
        ]
        assert statuses == [401] * 50
    finally:
        server.stop()
