"""The project limit holds when the creations arrive at once on several processes and nodes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, bootstrap_user

pytestmark = pytest.mark.slow

LIMIT = 3
ATTEMPTS = 8


def create_at_once(base_urls: list[str], key: str) -> list[int]:
    """``ATTEMPTS`` creations sent together, spread over the servers, each on a new connection."""

    def create(attempt: int) -> int:
        response = httpx.post(
            f"{base_urls[attempt % len(base_urls)]}/api/v2/projects",
            json={"project": {}},
            headers={"Authorization": f"Bearer {key}"},
            timeout=30,
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=ATTEMPTS) as pool:
        return sorted(pool.map(create, range(ATTEMPTS)))


def listed_projects(base_url: str, key: str) -> int:
    listed = httpx.get(
        f"{base_url}/api/v2/projects",
        params={"limit": 100},
        headers={"Authorization": f"Bearer {key}"},
    )
    return len(listed.json()["projects"])


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_two_workers_of_one_server(database_url: str, tmp_path: Path) -> None:
    _, key = bootstrap_user(database_url, env={"UNIQUE_PROJECTS_LIMIT": str(LIMIT)})
    server = ServerProcess(database_url, tmp_path / "server.log", workers=2)
    try:
        statuses = create_at_once([server.base_url], key)
        assert statuses == [201] * LIMIT + [422] * (ATTEMPTS - LIMIT)
        assert listed_projects(server.base_url, key) == LIMIT
    finally:
        server.stop()


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_two_nodes_sharing_postgresql(database_url: str, tmp_path: Path) -> None:
    _, key = bootstrap_user(database_url, env={"UNIQUE_PROJECTS_LIMIT": str(LIMIT)})
    node_a = ServerProcess(database_url, tmp_path / "a.log", workers=2)
    node_b = ServerProcess(database_url, tmp_path / "b.log", workers=2)
    try:
        statuses = create_at_once([node_a.base_url, node_b.base_url], key)
        assert statuses == [201] * LIMIT + [422] * (ATTEMPTS - LIMIT)
        assert listed_projects(node_b.base_url, key) == LIMIT
    finally:
        node_a.stop()
        node_b.stop()
