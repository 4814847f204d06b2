"""The body's limits: a body still arriving at the deadline is refused with 408, one past the size
limit with 413, as it arrives; nothing else is cut off."""

from __future__ import annotations

import asyncio

import pytest
from starlette.types import Message, Receive, Scope, Send

from unique.web.body_limits import BodyLimitsMiddleware
from unique.web.errors import ApiError

DEADLINE = 0.05
SCOPE: Scope = {"type": "http", "method": "POST", "path": "/"}


def client_sending(*parts: Message) -> Receive:
    """A client that sends ``parts`` at once, then nothing more."""
    pending = list(parts)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    return receive


async def no_send(message: Message) -> None:
    raise AssertionError("the app answers through its error handlers, not here")


async def read_body(scope: Scope, receive: Receive, send: Send) -> None:
    while (await receive()).get("more_body", False):
        pass


async def test_a_body_unfinished_at_the_deadline_is_refused_with_408() -> None:
    app = BodyLimitsMiddleware(read_body, seconds=DEADLINE)
    client = client_sending({"type": "http.request", "body": b"{", "more_body": True})
    with pytest.raises(ApiError) as raised:
        await asyncio.wait_for(app(SCOPE, client, no_send), 5)
    assert raised.value.status == 408
    assert raised.value.code == "REQUEST_TIMEOUT"
    assert raised.value.headers == {"Connection": "close"}


async def test_waiting_after_the_whole_body_is_not_cut_short() -> None:
    async def read_then_wait(scope: Scope, receive: Receive, send: Send) -> None:
        await read_body(scope, receive, send)
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(receive(), DEADLINE * 4)

    app = BodyLimitsMiddleware(read_then_wait, seconds=DEADLINE)
    client = client_sending({"type": "http.request", "body": b"{}", "more_body": False})
    await asyncio.wait_for(app(SCOPE, client, no_send), 5)


async def test_a_body_past_the_size_limit_is_refused_with_413_as_it_arrives() -> None:
    app = BodyLimitsMiddleware(read_body, max_bytes=10)
    client = client_sending(
        {"type": "http.request", "body": b"0123456789", "more_body": True},
        {"type": "http.request", "body": b"!", "more_body": True},
    )
    with pytest.raises(ApiError) as raised:
        await asyncio.wait_for(app(SCOPE, client, no_send), 5)
    assert raised.value.status == 413
    assert raised.value.code == "PAYLOAD_TOO_LARGE"


async def test_a_body_of_exactly_the_size_limit_is_read() -> None:
    app = BodyLimitsMiddleware(read_body, max_bytes=10)
    client = client_sending(
        {"type": "http.request", "body": b"01234", "more_body": True},
        {"type": "http.request", "body": b"56789", "more_body": False},
    )
    await asyncio.wait_for(app(SCOPE, client, no_send), 5)
