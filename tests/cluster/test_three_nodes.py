"""Three stateless nodes on one PostgreSQL under a mixed, concurrent workload.

Afterwards: every acknowledged create exists exactly once, every acknowledged revoke is revoked,
and no request sent after a revoke was acknowledged succeeded with that key on any node. Midway
one node is killed with SIGKILL; the others keep serving, and it comes back and serves correctly.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, bootstrap_user, postgres_rows, run_async

pytestmark = pytest.mark.slow

WORKLOAD_SECONDS = 16
CLIENTS = 8


@dataclass
class History:
    """What the clients saw, with monotonic send and acknowledgement times."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    created: dict[int, tuple[str, str]] = field(default_factory=dict)  # id -> (name, key)
    revoked_at: dict[int, float] = field(default_factory=dict)  # id -> when the 200 arrived
    uses: list[tuple[int, float, int]] = field(default_factory=list)  # (id, sent, status)
    errors: list[str] = field(default_factory=list)


class Cluster:
    def __init__(self, database_url: str, workdir: Path) -> None:
        self.database_url = database_url
        self.workdir = workdir
        self.nodes = [self._start(index) for index in range(3)]
        self.lock = threading.Lock()

    def _start(self, index: int) -> ServerProcess:
        return ServerProcess(self.database_url, self.workdir / f"node{index}-{time.time_ns()}.log")

    def pick(self) -> str:
        with self.lock:
            return random.choice(
                [node for node in self.nodes if node.process.poll() is None]
            ).base_url

    def kill(self, index: int) -> None:
        """SIGKILL for the node's every process (its server and workers), as when its machine
        dies."""
        with self.lock:
            os.killpg(self.nodes[index].process.pid, signal.SIGKILL)
            self.nodes[index].process.wait()

    def restart(self, index: int) -> ServerProcess:
        node = self._start(index)
        with self.lock:
            self.nodes[index] = node
        return node

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


def client_loop(cluster: Cluster, admin_key: str, history: History, deadline: float) -> None:
    admin = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(timeout=10) as http:
        while time.monotonic() < deadline:
            action = random.choices(["create", "use", "revoke", "list"], weights=[3, 8, 2, 1])[0]
            base = cluster.pick()
            try:
                if action == "create":
                    name = uuid.uuid4().hex
                    response = http.post(
                        f"{base}/api/v2/api_keys", json={"key_name": name}, headers=admin
                    )
                    if response.status_code == 200:
                        with history.lock:
                            history.created[response.json()["id"]] = (name, response.json()["key"])
                    elif response.status_code != 503:
                        history.errors.append(f"create answered {response.status_code}")
                elif action == "use":
                    with history.lock:
                        if not history.created:
                            continue
                        key_id, (_, key) = random.choice(list(history.created.items()))
                    sent = time.monotonic()
                    response = http.get(
                        f"{base}/api/v2/users/me", headers={"Authorization": f"Bearer {key}"}
                    )
                    with history.lock:
                        history.uses.append((key_id, sent, response.status_code))
                elif action == "revoke":
                    with history.lock:
                        candidates = [k for k in history.created if k not in history.revoked_at]
                    if not candidates:
                        continue
                    key_id = random.choice(candidates)
                    response = http.delete(f"{base}/api/v2/api_keys/{key_id}", headers=admin)
                    acknowledged = time.monotonic()
                    if response.status_code == 200 and response.json()["revoked"]:
                        with history.lock:
                            history.revoked_at.setdefault(key_id, acknowledged)
                else:
                    response = http.get(f"{base}/api/v2/api_keys", headers=admin)
                    if response.status_code not in (200, 503):
                        history.errors.append(f"list answered {response.status_code}")
            except httpx.TransportError:
                continue  # a node died under this request: the outcome is unknown, not acknowledged


async def stored_keys(database_url: str) -> dict[str, tuple[int, bool]]:
    rows = await postgres_rows(
        database_url, "SELECT id, name, revoked_at IS NOT NULL AS revoked FROM api_keys"
    )
    names: dict[str, tuple[int, bool]] = {}
    for row in rows:
        assert row["name"] not in names, f"key name {row['name']} stored twice"
        names[row["name"]] = (row["id"], row["revoked"])
    return names


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_linearizable_revocation_across_three_nodes_with_a_node_killed(
    database_url: str, tmp_path: Path
) -> None:
    _, admin_key = bootstrap_user(database_url)
    cluster = Cluster(database_url, tmp_path)
    history = History()
    try:
        deadline = time.monotonic() + WORKLOAD_SECONDS
        threads = [
            threading.Thread(target=client_loop, args=(cluster, admin_key, history, deadline))
            for _ in range(CLIENTS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(WORKLOAD_SECONDS / 3)
        cluster.kill(1)
        time.sleep(2)
        restarted = cluster.restart(1)
        for thread in threads:
            thread.join(timeout=WORKLOAD_SECONDS + 30)

        assert not history.errors, history.errors[:5]
        assert (
            len(history.created) > 50 and len(history.revoked_at) > 10 and len(history.uses) > 200
        )

        # Every acknowledged create exists exactly once; every acknowledged revoke is revoked.
        stored = run_async(stored_keys(database_url))
        for key_id, (name, _) in history.created.items():
            assert stored[name][0] == key_id
        for key_id in history.revoked_at:
            name = history.created[key_id][0]
            assert stored[name][1], f"key {key_id} was acknowledged revoked but is not"

        # No use sent after a revoke was acknowledged succeeded, on any node.
        late_successes = [
            (key_id, sent - history.revoked_at[key_id])
            for key_id, sent, status in history.uses
            if key_id in history.revoked_at and sent > history.revoked_at[key_id] and status == 200
        ]
        assert late_successes == []
        assert all(status in (200, 401) for _, _, status in history.uses)

        # The restarted node serves correctly: live keys work there, revoked ones do not.
        alive = next(k for k in history.created if k not in history.revoked_at)
        dead = next(iter(history.revoked_at))
        with httpx.Client(base_url=f"{restarted.base_url}/api/v2") as http:
            assert (
                http.get(
                    "/users/me", headers={"Authorization": f"Bearer {history.created[alive][1]}"}
                ).status_code
                == 200
            )
            assert (
                http.get(
                    "/users/me", headers={"Authorization": f"Bearer {history.created[dead][1]}"}
                ).status_code
                == 401
            )
    finally:
        cluster.stop()
