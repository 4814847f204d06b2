"""Limits on a request body: at most 64 KiB, all of it within 15 s of the end of the headers.

The server bounds a request's headers, not its body: without these limits a client could send an
endless body, or trickle one in, and hold its connection, its task and the memory it fills for as
long as it likes. Plain ASGI, wrapping ``receive`` only while parts of the body are still to come,
so the size is counted as the body arrives, whether or not it declared a Content-Length, and a
request without a body never meets the deadline, nor does what a handler waits for once the body
is in. A limit is met where the body is read: the API reads it before checking the key, so an
oversized body answers 413 before any 401 (``unique.api.guard``).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unique.api.errors import ApiError
from unique.serving import BODY_READ_SECONDS

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
