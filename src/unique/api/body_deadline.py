"""A deadline for the request body: a client that sends it too slowly, or never, is answered 408.

The server bounds the time to a request's headers, not to its body, and a handler waiting on a
body that trickles in would hold its connection and its task for as long as the client likes.
Plain ASGI, wrapping ``receive`` only while parts of the body are still to come: a request without
a body never meets the deadline, and neither does what a handler waits for once the body is in.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unique.api.errors import ApiError
from unique.serving import BODY_READ_SECONDS


def body_too_slow(seconds: float) -> ApiError:
    # Closing the connection, as the rest of the body may still arrive on it.
    return ApiError(
        408,
        "REQUEST_TIMEOUT",
        f"The request body did not arrive within {seconds:g} seconds.",
        {"Connection": "close"},
    )


class BodyDeadlineMiddleware:
    def __init__(self, app: ASGIApp, seconds: float = BODY_READ_SECONDS) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        deadline = asyncio.get_running_loop().time() + self.seconds
        body_pending = True

        async def receive_by_deadline() -> Message:
            nonlocal body_pending
            if not body_pending:
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                raise body_too_slow(self.seconds) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                body_pending = False
            return message

        await self.app(scope, receive_by_deadline, send)
