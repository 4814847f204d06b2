"""What every request shares, sync or async: where it goes, with which key and headers, when it
is sent again, and how its answer becomes a result or an exception. The clients keep only what
is I/O, sync or async: sending a request and waiting before the next attempt."""

from __future__ import annotations

import os
import random
from typing import Any, Generic, TypeVar

import httpx
from unique.client._calls import Call
from unique.client._errors import APIConnectionError, error_from, retry_after

DEFAULT_API_HOST = "http://127.0.0.1:8000/api/v2"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 2
MAX_RETRY_DELAY = 30.0
RETRYABLE_STATUSES = {429, 503}

T = TypeVar("T")
Http = TypeVar("Http", httpx.Client, httpx.AsyncClient)
# What sending a request once came to: the answer, or the transport error instead of one.
Outcome = httpx.Response | httpx.TransportError


class BaseClient(Generic[Http]):
    """The settings that ``Client`` and ``AsyncClient`` share, and the httpx client they send
    with.

    The key and the base URL default to ``UNIQUE_API_KEY`` and ``UNIQUE_API_HOST``. The key is
    kept private: it is in no ``repr`` and no exception, only in the ``Authorization`` header.
    """

    def __init__(
        self,
        http: Http,
        api_key: str | None,
        base_url: str | None,
        timeout: float,
        max_retries: int,
    ) -> None:
        self._http: Http = http
        self._api_key = api_key if api_key is not None else os.environ.get("UNIQUE_API_KEY", "")
        host = base_url or os.environ.get("UNIQUE_API_HOST") or DEFAULT_API_HOST
        self.base_url = host.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _request(self, call: Call[Any]) -> httpx.Request:
        """The HTTP request for ``call``, the key in its ``Authorization`` header and nowhere
        else."""
        headers = {"Accept": "application/json", "User-Agent": "unique-python"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return self._http.build_request(
            call.method,
            self.base_url + call.path,
            json=call.json,
            params=call.params,
            headers=headers,
        )


class Exchange(Generic[T]):
    """The sending of one Call, attempt after attempt, but for the I/O: the request each attempt
    sends, whether its outcome stands or the Call goes again (after how long), and what the
    outcome that stands comes to. Both clients drive it, so their retries cannot drift apart.
    """

    def __init__(self, client: BaseClient[Any], call: Call[T]) -> None:
        self._client = client
        self._call = call
        self._retries = 0

    def request(self) -> httpx.Request:
        """The request of the next attempt, built afresh for each."""
        return self._client._request(self._call)

    def next_wait(self, outcome: Outcome) -> float | None:
        """Seconds to wait before the next attempt, after one that came to ``outcome``; None
        when ``outcome`` stands.

        Only idempotent Calls are sent again, at most ``max_retries`` times, and only after a
        429, a 503 or no answer at all: ``Retry-After`` when the answer has one (capped at
        ``MAX_RETRY_DELAY``), else exponential backoff with jitter.
        """
        if not self._call.idempotent or self._retries >= self._client.max_retries:
            return None
        wait = None
        if isinstance(outcome, httpx.Response):
            if outcome.status_code not in RETRYABLE_STATUSES:
                return None
            wait = retry_after(outcome)
        if wait is None:
            wait = 0.25 * 2**self._retries * (1 + random.random())  # noqa: S311 - jitter only
        self._retries += 1
        return min(wait, MAX_RETRY_DELAY)

    def result(self, outcome: Outcome) -> T:
        """The Call's parsed result, or the exception its final ``outcome`` stands for."""
        if isinstance(outcome, httpx.TransportError):
            raise APIConnectionError(
                f"could not reach the Unique API at {self._client.base_url} "
                f"({type(outcome).__name__})"
            )
        if outcome.is_success:
            return self._call.parse(outcome.json())
        raise error_from(outcome)
