"""A client that goes away in the middle of its request body is a client disconnect: one info
line and status 499 in the log and in ``/metrics``, never an unhandled error or a 5xx."""

from __future__ import annotations

import logging

import pytest
from starlette.types import Message, Scope

from tests.helpers import Account, Service
from unique import metrics
from unique.web.request_context import CLIENT_CLOSED_REQUEST

ROUTE = "/api/v2/api_keys"


async def abandon_upload(service: Service, account: Account) -> list[Message]:
    """Send the headers and half the declared body, then disconnect; return what was sent back."""
    incoming: list[Message] = [
        {"type": "http.request", "body": b'{"key_name": "half', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return incoming.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": ROUTE,
        "raw_path": ROUTE.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"authorization", f"Bearer {account.key}".encode()),
            (b"content-type", b"application/json"),
            (b"content-length", b"1000"),
        ],
        "client": ("203.0.113.7", 40000),
        "server": ("testserver", 80),
    }
    await service.app(scope, receive, send)
    return sent


def answered(status: int) -> float:
    value = metrics.registry.get_sample_value(
        "unique_http_requests_total", {"route": ROUTE, "method": "POST", "status": str(status)}
    )
    return value or 0.0


async def test_an_abandoned_upload_is_logged_and_counted_as_a_client_disconnect(
    service: Service, account: Account, caplog: pytest.LogCaptureFixture
) -> None:
    errors_before = answered(500)
    disconnects_before = answered(CLIENT_CLOSED_REQUEST)

    with caplog.at_level(logging.INFO, logger="unique"):
        sent = await abandon_upload(service, account)

    assert sent == [], "nobody is left to answer"
    assert answered(500) == errors_before
    assert answered(CLIENT_CLOSED_REQUEST) == disconnects_before + 1
    assert [(record.levelno, record.getMessage()) for record in caplog.records] == [
        (logging.INFO, "request")
    ]
    (line,) = caplog.records
    assert getattr(line, "status", None) == CLIENT_CLOSED_REQUEST
    assert line.exc_info is None


async def test_the_key_list_is_unchanged_by_an_abandoned_creation(
    service: Service, account: Account
) -> None:
    await abandon_upload(service, account)
    listed = await service.client.get("/api_keys", headers=account.headers)
    assert [key["name"] for key in listed.json()] == ["bootstrap"]
