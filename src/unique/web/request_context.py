"""Gives every request an id (echoing a sane ``X-Request-ID``); turns crashes into the error shape.

Written as plain ASGI so it wraps everything, including Starlette's own 404/405 answers, and so an
unexpected exception still answers in the documented shape with the request id, never a traceback.
A client that goes away before its request is read is not a crash: nobody is left to answer, and
the request is logged and counted as status 499 (client closed request), not as a server error.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from typing import Any

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from unique import metrics
from unique.web.errors import error_response

log = logging.getLogger(__name__)

_PRINTABLE_ID = re.compile(r"[\x20-\x7e]{1,128}")
# The status nginx made the convention for a request its client abandoned.
CLIENT_CLOSED_REQUEST = 499


def choose_request_id(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == b"x-request-id":
            candidate = value.decode("latin-1")
            if _PRINTABLE_ID.fullmatch(candidate) and candidate.strip():
                return candidate
            break
    return uuid.uuid4().hex


def _route_template(scope: Scope) -> str:
    """The matched route as a template (``/api/v2/api_keys/{key_id}``): a label of bounded
    cardinality that never carries an id."""
    if "route" not in scope:
        return "unmatched"
    names = {str(value): name for name, value in scope.get("path_params", {}).items()}
    segments = scope["path"].split("/")
    return "/".join(f"{{{names[part]}}}" if part in names else part for part in segments)


def _observe(
    scope: Scope, state: dict[str, Any], request_id: str, status: int, seconds: float
) -> None:
    route = _route_template(scope)
    answered, latency = metrics.request_series(route, scope["method"], status)
    answered.inc()
    latency.observe(seconds)
    caller = state.get("caller")
    principal = getattr(caller, "principal", None)
    log.info(
        "request",
        extra={
            "request_id": request_id,
            "method": scope["method"],
            "path": scope["path"],
            "route": route,
            "status": status,
            "duration_ms": round(seconds * 1000, 2),
            "client": (scope.get("client") or ("",))[0],
            "key_id": getattr(principal, "key_id", None),
            "account_id": str(getattr(principal, "owner_id", "")) or None,
        },
    )


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began = time.perf_counter()
        request_id = choose_request_id(scope["headers"])
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("latin-1"))
        status = 500
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except ClientDisconnect:
            status = CLIENT_CLOSED_REQUEST
        except Exception:
            log.exception("unhandled error", extra={"request_id": request_id})
            if started:
                raise
            response = error_response(
                request_id, 500, "INTERNAL_ERROR", "The server failed to handle the request."
            )
            await response(scope, receive, send_with_id)
        finally:
            _observe(scope, state, request_id, status, time.perf_counter() - began)
