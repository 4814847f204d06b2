"""A slow or oversized client cannot hold a real `unique serve`, and a normal one never notices.

Each limit is taken from `unique.serving`, where its value is explained; every wait here is
bounded by a deadline a few seconds past the limit, never an exact time.
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import ServerProcess, bootstrap_user
from unique.serving import BODY_READ_SECONDS, HEADER_BYTES, HEADER_COUNT, HEADER_READ_SECONDS

pytestmark = pytest.mark.slow

GRACE = 5  # seconds past a limit before the test gives up waiting
REFUSED = {400, 431, "closed"}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    """One server for the module (its tests leave nothing behind), with a user's key."""
    directory: Path = tmp_path_factory.mktemp("slow-clients")
    database_url = f"sqlite:///{directory / 'unique.db'}"
    _, key = bootstrap_user(database_url)
    node = ServerProcess(database_url, directory / "server.log")
    yield node, key
    node.stop()


@pytest.fixture
def node(server: tuple[ServerProcess, str]) -> ServerProcess:
    return server[0]


@pytest.fixture
def key(server: tuple[ServerProcess, str]) -> str:
    return server[1]


def connect(node: ServerProcess) -> socket.socket:
    return socket.create_connection(("127.0.0.1", node.port), timeout=GRACE)


def unfinished_head(node: ServerProcess) -> socket.socket:
    """A connection that has sent the start of a request head, but not its end."""
    sock = connect(node)
    sock.sendall(b"GET /api/v2/projects HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    return sock


def wait_until_closed(sockets: list[socket.socket], deadline: float) -> int:
    """Read from the sockets until the server closes them or the deadline passes; how many are
    still open then."""
    selector = selectors.DefaultSelector()
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    open_count = len(sockets)
    while open_count and time.monotonic() < deadline:
        for event, _ in selector.select(timeout=max(0.0, min(1.0, deadline - time.monotonic()))):
            ready = event.fileobj
            assert isinstance(ready, socket.socket)
            try:
                data = ready.recv(65536)
            except BlockingIOError:
                continue
            except OSError:
                data = b""
            if not data:
                selector.unregister(ready)
                open_count -= 1
    selector.close()
    return open_count


def received_until(sock: socket.socket, marker: bytes) -> bytes:
    """What the server sends until ``marker`` arrives or it closes (or resets) the connection.

    Raises TimeoutError if it does neither within the socket's timeout.
    """
    received = b""
    try:
        while marker not in received:
            chunk = sock.recv(4096)
            if not chunk:
                break
            received += chunk
    except TimeoutError:
        raise
    except OSError:
        pass
    return received


def outcome(sock: socket.socket, request: bytes) -> int | str:
    """The status the server answers ``request`` with, "closed" when it closes the connection
    before answering (possibly while the request is still being sent), or "no answer"."""
    # Closed or stalled under the sender, the connection may still hold an answer to read.
    with contextlib.suppress(OSError):
        sock.sendall(request)
    try:
        received = received_until(sock, b"\r\n")
    except TimeoutError:
        return "no answer"
    finally:
        sock.close()
    if not received.startswith(b"HTTP/1.1 "):
        return "closed"
    return int(received.split(b" ", 2)[1])


def head(key: str, extra: list[bytes]) -> bytes:
    lines = [
        b"GET /api/v2/projects HTTP/1.1",
        b"Host: 127.0.0.1",
        b"Authorization: Bearer " + key.encode(),
        *extra,
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


@pytest.mark.parametrize("trickling", [False, True], ids=["silent", "trickling"])
def test_a_head_that_is_never_finished_is_closed(node: ServerProcess, trickling: bool) -> None:
    """Closed on time whether the client goes quiet or keeps sending header lines."""
    sock = unfinished_head(node)
    deadline = time.monotonic() + HEADER_READ_SECONDS + GRACE
    still_open = 1
    for line in range(HEADER_READ_SECONDS + GRACE):
        if trickling:
            try:
                sock.sendall(b"X-Line-%d: still sending\r\n" % line)
            except (BrokenPipeError, ConnectionResetError):
                still_open = 0
                break
        still_open = wait_until_closed([sock], min(deadline, time.monotonic() + 1))
        if not still_open or time.monotonic() >= deadline:
            break
    sock.close()
    assert still_open == 0, f"a head unfinished for {HEADER_READ_SECONDS + GRACE} s is still open"


def test_a_normal_request_is_answered_while_200_heads_hang(node: ServerProcess, key: str) -> None:
    started = time.monotonic()
    hanging = [unfinished_head(node) for _ in range(200)]
    try:
        response = httpx.get(
            f"{node.base_url}/api/v2/projects",
            headers={"Authorization": f"Bearer {key}"},
            timeout=GRACE,
        )
        assert response.status_code == 200
        still_open = wait_until_closed(hanging, started + HEADER_READ_SECONDS + GRACE)
    finally:
        for sock in hanging:
            sock.close()
    assert still_open == 0, f"{still_open} of 200 unfinished heads outlived their deadline"


def test_a_head_over_the_size_limit_is_refused_and_an_ordinary_one_served(
    node: ServerProcess, key: str
) -> None:
    ordinary = [
        b"User-Agent: Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/131.0",
        b"Accept: application/json",
        b"Accept-Language: en-GB,en;q=0.9",
        b"Cookie: unique_session=" + b"s" * 1500,
        b"X-Forwarded-For: 203.0.113.7, 198.51.100.2",
        b"Traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    ]
    assert outcome(connect(node), head(key, ordinary)) == 200
    for size in (HEADER_BYTES + 1024, 8 * 1024 * 1024):
        big = b"X-Big: " + b"a" * size
        assert outcome(connect(node), head(key, [big])) in REFUSED, f"a {size}-byte header"
    assert outcome(connect(node), head(key, ordinary)) == 200


def test_more_headers_than_the_limit_are_refused_and_the_limit_is_served(
    node: ServerProcess, key: str
) -> None:
    def fields(count: int) -> list[bytes]:
        # Host and Authorization are two of the request's fields.
        return [b"X-Field-%d: value" % index for index in range(count - 2)]

    assert outcome(connect(node), head(key, fields(HEADER_COUNT))) == 200
    for count in (HEADER_COUNT + 1, 10_000):
        assert outcome(connect(node), head(key, fields(count))) in REFUSED, f"{count} headers"


def test_a_body_that_does_not_arrive_in_time_is_answered_408(node: ServerProcess, key: str) -> None:
    sock = connect(node)
    sock.settimeout(BODY_READ_SECONDS + GRACE)
    sock.sendall(
        b"POST /api/v2/projects HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Authorization: Bearer " + key.encode() + b"\r\n"
        b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        b'{"project": '
    )
    received = received_until(sock, b'"request_id"')
    assert received.startswith(b"HTTP/1.1 408 "), received[:200]
    assert b'"code":"REQUEST_TIMEOUT"' in received
    assert wait_until_closed([sock], time.monotonic() + GRACE) == 0, "left open after the 408"
    sock.close()
