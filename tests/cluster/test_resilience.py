"""A node under faults: SIGTERM during load, a PostgreSQL restart, and a long run's memory."""

from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import (
    ServerProcess,
    assert_error,
    bootstrap_user,
    free_port,
    postgres_rows,
    run_async,
)

pytestmark = pytest.mark.slow

LOAD_HANG_GUARD_SECONDS = 480
SERVED_BEFORE_SIGTERM = 50


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def last_use_of(database_url: str) -> tuple[object, str]:
    (row,) = await postgres_rows(
        database_url, "SELECT last_used_at, last_used_from_addr FROM api_keys ORDER BY id LIMIT 1"
    )
    return row["last_used_at"], row["last_used_from_addr"]


@pytest.mark.parametrize("database_kind", ["postgresql"])
def test_sigterm_finishes_in_flight_requests_and_stores_last_use(
    database_url: str, tmp_path: Path
) -> None:
    _, key = bootstrap_user(database_url)
    # Last use is only written at shutdown here, so what is stored proves the final flush.
    node = ServerProcess(
        database_url, tmp_path / "node.log", env={"UNIQUE_LAST_USE_FLUSH_SECONDS": "3600"}
    )
    statuses: list[int | str] = []
    stop = threading.Event()

    def hammer() -> None:
        with httpx.Client(base_url=node.base_url, timeout=10) as http:
            while not stop.is_set():
                try:
                    statuses.append(http.get("/api/v2/users/me", headers=bearer(key)).status_code)
                except httpx.ConnectError:
                    statuses.append("refused")  # after the signal: no longer accepting
                    return
                except httpx.TransportError as error:
                    statuses.append(type(error).__name__)
                    return

    threads = [threading.Thread(target=hammer) for _ in range(6)]
    for thread in threads:
        thread.start()
    # Under load by then, however slow the machine: the signal arrives with requests in flight.
    deadline = time.monotonic() + 60  # only a guard against a hang
    while statuses.count(200) <= SERVED_BEFORE_SIGTERM:
        if time.monotonic() > deadline or not any(thread.is_alive() for thread in threads):
            stop.set()
            node.stop()
            pytest.fail(f"only {statuses.count(200)} requests served before the signal: {statuses}")
        time.sleep(0.05)
    node.process.send_signal(signal.SIGTERM)
    exit_code = node.process.wait(timeout=30)
    stop.set()
    for thread in threads:
        thread.join(timeout=10)
    node.stop()

    assert exit_code == 0
    assert statuses.count(200) > SERVED_BEFORE_SIGTERM
    # A keep-alive connection the server closes while idle can meet the client's next request on
    # the way: the client then sees the close (RemoteProtocolError) or, when the request already
    # reached the closing socket, a reset (ReadError). Either way that request was never served.
    assert set(statuses) <= {200, "refused", "RemoteProtocolError", "ReadError"}, set(statuses)
    assert not any(isinstance(status, int) and status >= 500 for status in statuses)
    used_at, address = run_async(last_use_of(database_url))
    assert used_at is not None and address == "127.0.0.1"


class PostgresServer:
    """A throw-away PostgreSQL of our own, so that restarting it disturbs nobody else: the shared
    one serves the tests running meanwhile in the other workers."""

    def __init__(self, workdir: Path) -> None:
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        self.bin = Path("/usr/lib/postgresql") / version / "bin"
        self.port = free_port()
        self.workdir = workdir
        self.data = workdir / "data"
        # initdb refuses to run as root: root runs the server as the postgres user.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_owner:
            shutil.chown(workdir, "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "--no-sync")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self.as_owner, str(self.bin / tool), *args],
            check=True, timeout=60, capture_output=True,
        )  # fmt: skip

    def _ctl(self, action: str) -> None:
        options = f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl", action, "-D", str(self.data), "-m", "fast", "-w",
            "-l", str(self.workdir / "postgres.log"), "-o", options,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        self._ctl("stop")


@pytest.fixture
def private_postgres() -> Iterator[PostgresServer]:
    # Not under tmp_path: pytest keeps that private to root, and the server may run as postgres.
    workdir = Path(tempfile.mkdtemp(prefix="unique-postgres-"))
    try:
        server = PostgresServer(workdir)
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def test_a_postgres_restart_gives_503s_and_the_node_recovers(
    private_postgres: PostgresServer, tmp_path: Path
) -> None:
    database_url = private_postgres.url
    _, key = bootstrap_user(database_url)
    node = ServerProcess(database_url, tmp_path / "node.log")
    outcomes: list[tuple[int, float]] = []
    stop = threading.Event()

    def poll() -> None:
        with httpx.Client(base_url=node.base_url, timeout=15) as http:
            while not stop.is_set():
                started = time.monotonic()
                response = http.get("/api/v2/projects", headers=bearer(key))
                outcomes.append((response.status_code, time.monotonic() - started))
                if response.status_code == 503:
                    assert_error(response, 503, code="SERVICE_UNAVAILABLE")
                time.sleep(0.02)

    poller = threading.Thread(target=poll)
    poller.start()
    try:
        time.sleep(1)
        private_postgres.restart()
        time.sleep(3)
    finally:
        stop.set()
        poller.join(timeout=30)
    try:
        statuses = [status for status, _ in outcomes]
        assert set(statuses) <= {200, 503}, set(statuses)
        assert max(duration for _, duration in outcomes) < 12, "no request hangs past the timeout"
        # Recovered without a restart of the node.
        with httpx.Client(base_url=node.base_url) as http:
            assert http.get("/api/v2/projects", headers=bearer(key)).status_code == 200
            assert http.get("/readyz").status_code == 200
    finally:
        node.stop()


def rss_kib(group: int) -> int:
    """Resident memory of a node's process group: its server process and the workers that
    serve the requests."""
    total = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) == group:
                status = (stat.parent / "status").read_text()
                total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]
        except (OSError, AttributeError):
            continue  # a process that ended meanwhile
    assert total, f"no process in group {group}"
    return total


def load(url: str, key: str, seconds: int) -> int:
    """Requests made by wrk in ``seconds`` (bounded), all of which must succeed."""
    if shutil.which("wrk") is None:
        pytest.fail("wrk is missing: `make test` installs it from Debian")
    output = subprocess.run(
        ["wrk", "-t2", "-c16", f"-d{seconds}s", "-H", f"Authorization: Bearer {key}", url],
        capture_output=True, text=True, timeout=seconds + 30, check=True,
    ).stdout  # fmt: skip
    assert "Non-2xx" not in output, output
    return int(re.search(r"(\d+) requests in", output).group(1))  # type: ignore[union-attr]


def load_until(url: str, key: str, total: int, *, done: int) -> int:
    """Load until ``total`` requests are done in all, in runs of wrk sized by the rate seen so far
    (wrk counts time, not requests); how many are done then. The time allowed only guards
    against a hang, with room for a slow shared machine."""
    deadline = time.monotonic() + LOAD_HANG_GUARD_SECONDS
    seconds = 2
    while done < total:
        if time.monotonic() > deadline:
            pytest.fail(f"only {done} of {total} requests in {LOAD_HANG_GUARD_SECONDS} s")
        made = load(url, key, seconds)
        done += made
        rate = max(made / seconds, 1.0)
        seconds = max(1, min(5, math.ceil((total - done) / rate)))
    return done


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_memory_stays_flat_over_100000_requests(database_url: str, tmp_path: Path) -> None:
    _, key = bootstrap_user(database_url)
    node = ServerProcess(database_url, tmp_path / "node.log")
    url = f"{node.base_url}/api/v2/users/me"
    try:
        done = load_until(url, key, 10_000, done=0)
        after_10k = rss_kib(node.process.pid)
        load_until(url, key, 100_000, done=done)
        after_100k = rss_kib(node.process.pid)
    finally:
        node.stop()
    assert after_100k <= after_10k * 1.2, (after_10k, after_100k)
