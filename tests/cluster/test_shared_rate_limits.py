"""With Redis, rate limits hold across nodes; without Redis reachable, nodes keep serving."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis

from tests.helpers import ServerProcess, bootstrap_user, free_port

pytestmark = pytest.mark.slow


class RedisServer:
    """A throw-away Redis of our own, so that stopping it disturbs nobody else."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def burst_across(nodes: list[httpx.Client], key: str, count: int) -> list[int]:
    """``count`` requests within one clock second, alternating over the nodes.

    The burst limit counts per clock second, so a burst that a busy machine stretches past the
    second's end is sent again in a fresh second rather than judged."""
    headers = {"Authorization": f"Bearer {key}"}
    for _ in range(5):
        while time.time() % 1 > 0.2:
            time.sleep(0.01)
        second = int(time.time())
        statuses = [
            nodes[index % len(nodes)].get("/api/v2/projects", headers=headers).status_code
            for index in range(count)
        ]
        if int(time.time()) == second:
            return statuses
    pytest.fail(f"five tries, and no {count} requests fitted within one clock second")


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_the_burst_limit_is_shared_and_survives_a_redis_outage(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    _, key = bootstrap_user(database_url)
    env = {"UNIQUE_RATE_LIMITS": "on", "UNIQUE_REDIS_URL": redis_server.url}
    nodes = [ServerProcess(database_url, tmp_path / f"node{i}.log", env=env) for i in range(2)]
    clients = [httpx.Client(base_url=node.base_url, timeout=5) for node in nodes]
    try:
        statuses = burst_across(clients, key, 41)
        assert statuses[:40] == [200] * 40
        assert statuses[40] == 429, "the 41st request in a second is refused, whichever node"

        redis_server.stop()
        time.sleep(1.1)
        assert burst_across(clients, key, 45) == [200] * 45, "no Redis: serve without limits"

        redis_server.start()
        time.sleep(1.1)
        recovered = burst_across(clients, key, 41)
        assert recovered[-1] == 429, "Redis back: limits enforced again"
        assert "Redis unreachable" in nodes[0].log() + nodes[1].log()
    finally:
        for client in clients:
            client.close()
        for node in nodes:
            node.stop()


def failed_sign_ins(nodes: list[str], email: str, count: int) -> list[int]:
    """``count`` wrong passwords for ``email``, alternating over the nodes, each from a fresh
    client (so also over each node's worker processes)."""
    statuses = []
    for index in range(count):
        with httpx.Client(base_url=nodes[index % len(nodes)], timeout=10) as browser:
            form = browser.get("/login").text
            token = form.split('name="csrf_token" value="')[1].split('"')[0]
            answer = browser.post(
                "/login", data={"email": email, "password": "guess", "csrf_token": token}
            )
            statuses.append(answer.status_code)
    return statuses


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_failed_sign_ins_are_counted_across_nodes_and_workers(
    database_url: str, tmp_path: Path, redis_server: RedisServer
) -> None:
    bootstrap_user(database_url, email="sam@example.com")
    env = {"UNIQUE_REDIS_URL": redis_server.url}
    nodes = [
        ServerProcess(database_url, tmp_path / f"node{i}.log", workers=2, env=env) for i in range(2)
    ]
    try:
        statuses = failed_sign_ins([node.base_url for node in nodes], "sam@example.com", 7)
        assert statuses == [400] * 5 + [429] * 2
    finally:
        for node in nodes:
            node.stop()
