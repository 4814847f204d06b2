"""A member's keys reach the organization's projects on every node until the moment their removal
is answered, and not one request more: two `unique serve` processes share one PostgreSQL."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, bootstrap_user, postgres_rows, run_async

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_kind", ["postgresql"])]


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_removing_a_member_on_one_node_holds_on_the_other_at_once(
    database_url: str, tmp_path: Path
) -> None:
    _, alice_key = bootstrap_user(database_url, "alice@example.com", "Alice")
    bob_id, bob_key = bootstrap_user(database_url, "bob@example.com", "Bob")
    node_a = ServerProcess(database_url, tmp_path / "a.log")
    node_b = ServerProcess(database_url, tmp_path / "b.log")
    try:
        with (
            httpx.Client(base_url=f"{node_a.base_url}/api/v2") as a,
            httpx.Client(base_url=f"{node_b.base_url}/api/v2") as b,
        ):
            org = a.post(
                "/organizations",
                json={"organization": {"name": "Acme"}},
                headers=bearer(alice_key),
            ).json()
            # Bob joins, as accepting an invitation makes him a member.
            member_id = uuid.uuid4()
            run_async(
                postgres_rows(
                    database_url,
                    "INSERT INTO members (id, org_id, user_id, role, joined_at) VALUES "
                    f"('{member_id}', '{org['id']}', '{bob_id}', 'member', now()) "
                    "RETURNING id",
                )
            )
            project = a.post(
                "/projects",
                json={"project": {"name": "shared", "org_id": org["id"]}},
                headers=bearer(alice_key),
            ).json()["project"]
            for _ in range(10):
                seen = b.get(f"/projects/{project['id']}", headers=bearer(bob_key))
                assert seen.status_code == 200

            removed = a.delete(
                f"/organizations/{org['id']}/members/{member_id}", headers=bearer(alice_key)
            )
            assert removed.status_code == 200

            for node in (b, a):
                assert (
                    node.get(f"/projects/{project['id']}", headers=bearer(bob_key)).status_code
                    == 404
                )
                listing = node.get(
                    "/projects", params={"org_id": org["id"]}, headers=bearer(bob_key)
                )
                assert listing.status_code == 404
            kept = b.get(f"/projects/{project['id']}", headers=bearer(alice_key))
            assert kept.status_code == 200
    finally:
        node_a.stop()
        node_b.stop()
