"""The HTTP server `unique serve` runs, and the limits that keep one client from holding it.

Every limit a client meets before its request reaches the app is here, with why it has its value.
They are safe on their own: a reverse proxy in front may add its own, but none is needed. The
server is Granian, whose HTTP/1 parsing is hyper's; it answers a request head over a limit with
431 and closes a connection whose head is late. The body's deadline is kept by the app
(`unique.api.body_limits`), as the server has none.
"""

from __future__ import annotations

import signal
import sys

from unique.config import Settings
from unique.logs import LOGGING_CONFIG

APP = "unique.api.app:create_server_app"

HEADER_BYTES = 16 * 1024
"""The request line and headers together. What Unique's clients send (a 64-character key, a Console
session cookie, a browser's usual headers) stays under 2 KiB; 16 KiB leaves room for the
forwarding and tracing headers of proxies on the way, and is what Node.js allows. A larger head
is answered 431, and a connection never buffers more than this while its head arrives."""

HEADER_COUNT = 100
"""At most this many header fields; the 101st is answered 431. Fixed by the server (hyper's
default), not set here: a browser sends about 15, a proxy adds a few."""

HEADER_READ_SECONDS = 10
"""From a connection's start, or from the end of its previous response, to the end of the next
request's headers. A client on a poor mobile link sends 16 KiB in well under a second; a client
that takes longer is holding the connection, not sending. The same clock closes a kept-alive
connection that sends nothing more."""

BODY_READ_SECONDS = 15
"""From the end of the headers to the end of the body. Bodies are at most 64 KiB
(`unique.api.body_limits.MAX_BODY_BYTES`): sending one in this time takes about 4 KiB/s, slower
than any link still in use. A later body is answered 408 and its connection closed."""

CONNECTIONS_PER_WORKER = 1024
"""Open connections a worker process serves at once; further ones wait in the listen queue until
one closes. With the limits above each costs at most 16 KiB of head, a 64 KiB body and one
waiting task, so a worker's memory for them stays bounded (80 MiB at worst) while hundreds of slow
clients cannot crowd out a normal one: each is closed within the deadlines above."""

STOP_SECONDS = 30
"""How long SIGTERM waits for a worker to finish its in-flight requests and write pending
last-use times before the worker is killed. With the deadlines above a request has long ended by
then; the bound is only for a worker that is stuck."""


def run(settings: Settings, app: str = APP) -> None:
    """Serve ``app`` (a factory, ``module:function``) until SIGTERM or SIGINT, then stop gracefully:
    no new connections, in-flight requests finished, the app's shutdown run, exit status 0.

    HTTP/1 only: HTTP/2 would bring limits of its own (16 MiB of headers by default). Access logs
    are off (the app writes a JSON line per request); the server does not read ``X-Forwarded-For``
    (the app believes it only from ``UNIQUE_TRUSTED_PROXIES``); a worker that dies is started
    again. Every answer carries ``server: granian``: the server has no switch to leave it out."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces
    from granian.http import HTTP1Settings

    Granian(
        app,
        factory=True,
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        http=HTTPModes.http1,
        websockets=False,
        backpressure=CONNECTIONS_PER_WORKER,
        http1_settings=HTTP1Settings(
            header_read_timeout=HEADER_READ_SECONDS * 1000, max_buffer_size=HEADER_BYTES
        ),
        log_dictconfig=LOGGING_CONFIG,
        log_access=False,
        respawn_failed_workers=True,
        workers_kill_timeout=STOP_SECONDS,
    ).serve()


_PR_SET_PDEATHSIG = 1


def end_with_server() -> None:
    """Have this worker process stopped, gracefully (SIGTERM), when the server's main process
    dies, even by SIGKILL: an orphaned worker would go on serving the port with nobody to stop
    it. Called in each worker as it starts; Linux only (``prctl(PR_SET_PDEATHSIG)``)."""
    if sys.platform == "linux":
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
