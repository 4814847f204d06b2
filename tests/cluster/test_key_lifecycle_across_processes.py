"""A key's end holds on every node: expiry from the stated second, rotation without grace from
the moment it is answered, and the end of a grace period when it comes. Two `unique serve`
processes share one PostgreSQL; no node keeps a key's validity between requests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, bootstrap_user, postgres_rows, run_async

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_kind", ["postgresql"])]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def nodes(database_url: str, tmp_path: Path) -> Iterator[tuple[httpx.Client, httpx.Client, str]]:
    """Two nodes on one database, and the bootstrap key of the account."""
    _, admin_key = bootstrap_user(database_url)
    node_a = ServerProcess(database_url, tmp_path / "a.log")
    node_b = ServerProcess(database_url, tmp_path / "b.log")
    try:
        with (
            httpx.Client(base_url=f"{node_a.base_url}/api/v2") as a,
            httpx.Client(base_url=f"{node_b.base_url}/api/v2") as b,
        ):
            yield a, b, admin_key
    finally:
        node_a.stop()
        node_b.stop()


def end_now(database_url: str, key_id: int) -> None:
    """Time passes for one key: its stated end becomes the database's present second."""
    run_async(
        postgres_rows(
            database_url,
            "UPDATE api_keys SET expires_at = date_trunc('second', now() AT TIME ZONE 'utc') "
            f"WHERE id = {int(key_id)} RETURNING id",
        )
    )


def test_an_expired_key_is_refused_by_every_node_from_its_stated_second(
    nodes: tuple[httpx.Client, httpx.Client, str], database_url: str
) -> None:
    a, b, admin_key = nodes
    created = a.post(
        "/api_keys",
        json={"key_name": "short-lived", "expires_at": "2099-01-01T00:00:00Z"},
        headers=bearer(admin_key),
    ).json()
    for node in (a, b):
        assert node.get("/projects", headers=bearer(created["key"])).status_code == 200

    end_now(database_url, created["id"])

    for node in (b, a):
        refused = node.get("/projects", headers=bearer(created["key"]))
        assert refused.status_code == 401
        assert refused.json()["code"] == "UNAUTHORIZED"
    listed = {key["id"] for key in a.get("/api_keys", headers=bearer(admin_key)).json()}
    assert created["id"] in listed, "an expired key stays listed until it is revoked"


def test_a_rotation_without_grace_holds_on_the_other_node_at_once(
    nodes: tuple[httpx.Client, httpx.Client, str],
) -> None:
    a, b, admin_key = nodes
    old = a.post("/api_keys", json={"key_name": "deploy"}, headers=bearer(admin_key)).json()
    for _ in range(10):
        assert b.get("/projects", headers=bearer(old["key"])).status_code == 200

    rotated = a.post(f"/api_keys/{old['id']}/rotate", json={}, headers=bearer(admin_key))
    assert rotated.status_code == 200

    assert b.get("/projects", headers=bearer(old["key"])).status_code == 401
    assert b.get("/projects", headers=bearer(rotated.json()["key"])).status_code == 200


def test_after_a_grace_period_ends_only_the_new_key_works_anywhere(
    nodes: tuple[httpx.Client, httpx.Client, str], database_url: str
) -> None:
    a, b, admin_key = nodes
    old = a.post("/api_keys", json={"key_name": "deploy"}, headers=bearer(admin_key)).json()
    rotated = a.post(
        f"/api_keys/{old['id']}/rotate",
        json={"grace_period_seconds": 3600},
        headers=bearer(admin_key),
    ).json()
    for node in (a, b):
        for key in (old["key"], rotated["key"]):
            assert node.get("/projects", headers=bearer(key)).status_code == 200

    end_now(database_url, old["id"])

    for node in (b, a):
        assert node.get("/projects", headers=bearer(old["key"])).status_code == 401
        assert node.get("/projects", headers=bearer(rotated["key"])).status_code == 200
