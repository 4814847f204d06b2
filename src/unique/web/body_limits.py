"""Limits on a request body: at most 64 KiB, all of it within 15 s of the end of the headers.

The server bounds a request's headers, not its body: without these limits a client could send an
endless body, or trickle one in, and hold its connection, its task and the memory it fills for as
long as it likes. Plain ASGI, wrapping ``receive`` only while parts of the body are still to come,
so the size is counted as the body arrives, whether or not it declared a Content-Length, and a
request without a body never meets the deadline, nor does what a handler waits for once the body
is in. A limit is met where the body is read: the API reads it before checking the key, so an
oversized body answers 413 before any 401 (``read_body_within_limit``).
"""

from __future__ import annotations

import asyncio
import re

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unique.errors import InvalidInput
from unique.serving import BODY_READ_SECONDS
from unique.web.errors import ApiError

MAX_BODY_BYTES = 64 * 1024


def body_too_large(max_bytes: int = MAX_BODY_BYTES) -> ApiError:
    return ApiError(
        413, "PAYLOAD_TOO_LARGE", f"The request body must be at most {max_bytes} bytes."
    )


def body_too_slow(seconds: float) -> ApiError:
    # Closing the connection, as the rest of the body may still arrive on it.
    return ApiError(
        408,
        "REQUEST_TIMEOUT",
        f"The request body did not arrive within {seconds:g} seconds.",
        {"Connection": "close"},
    )


class BodyLimitsMiddleware:
    def __init__(
        self, app: ASGIApp, seconds: float = BODY_READ_SECONDS, max_bytes: int = MAX_BODY_BYTES
    ) -> None:
        self.app = app
        self.seconds = seconds
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        body_pending = True
        received = 0

        async def receive_within_limits() -> Message:
            nonlocal body_pending, received
            if not body_pending:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise body_too_slow(self.seconds) from None
            if message["type"] != "http.request":
                body_pending = False
                return message
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise body_too_large(self.max_bytes)
            body_pending = message.get("more_body", False)
            return message

        await self.app(scope, receive_within_limits, send)


async def read_body_within_limit(request: Request) -> None:
    """Read the whole body now, so that its size is refused (413) before the key is checked; the
    middleware refuses it past ``MAX_BODY_BYTES`` as it arrives, and a declared length over the
    limit needs no reading. Starlette keeps the body read; FastAPI's parsing reuses it."""
    declared = request.headers.get("content-length")
    if declared is not None and (
        not re.fullmatch(r"[0-9]{1,18}", declared) or int(declared) > MAX_BODY_BYTES
    ):
        raise body_too_large()
    await request.body()


async def check_body_is_utf8(request: Request) -> None:
    """JSON travels as UTF-8 (RFC 8259 §8.1), but the JSON parser would also take UTF-16 and
    UTF-32, which it recognises by a byte-order mark (never valid UTF-8) or by zero bytes among
    the first ones. Zero bytes cannot appear in a UTF-8 JSON text at all, so refusing them and
    invalid UTF-8 leaves the parser nothing else to guess."""
    body = await request.body()
    if b"\x00" in body or not _valid_utf8(body):
        raise InvalidInput("body", "The request body must be JSON encoded as UTF-8.")


def _valid_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
