"""Gives every request an id (echoing a sane ``X-Request-ID``); turns crashes into the error shape.

Written as plain ASGI so it wraps everything, including Starlette's own 404/405 answers, and so an
unexpected exception still answers in the documented shape with the request id, never a traceback.
"""

from __future__ import annotations

import logging
import re
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unique.api.errors import error_response

log = logging.getLogger(__name__)

_PRINTABLE_ID = re.compile(r"[\x20-\x7e]{1,128}")


def choose_request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _PRINTABLE_ID.fullmatch(candidate) and candidate.strip():
                return candidate
            break
    return uuid.uuid4().hex


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = choose_request_id(scope["headers"])
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("latin-1"))
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            log.exception("unhandled error in %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = error_response(
                request_id, 500, "INTERNAL_ERROR", "The server failed to handle the request."
            )
            await response(scope, receive, send_with_id)
