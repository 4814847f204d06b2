"""What every request shares, sync or async: where it goes, with which key and headers, when it
is sent again, and how its answer becomes a result or an exception."""

from __future__ import annotations

import os
import random
from typing import TypeVar

import httpx
from unique.client._calls import Call
from unique.client._errors import APIConnectionError, error_from, retry_after

DEFAULT_API_HOST = "http://127.0.0.1:8000/api/v2"
DEFAULT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 2
MAX_RETRY_DELAY = 30.0
RETRYABLE_STATUSES = {429, 503}

T = TypeVar("T")


class BaseClient:
    """The settings and the retry policy that ``Client`` and ``AsyncClient`` share.

    The key and the base URL default to ``UNIQUE_API_KEY`` and ``UNIQUE_API_HOST``. The key is
    kept private: it is in no ``repr`` and no exception, only in the ``Authorization`` header.
    """

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        timeout: float,
        max_retries: int,
    ) -> None:
        self._api_key = api_key if api_key is not None else os.environ.get("UNIQUE_API_KEY", "")
        host = base_url or os.environ.get("UNIQUE_API_HOST") or DEFAULT_API_HOST
        self.base_url = host.rstrip("/")
        self.timeout = timeout
        self.max_retries = max_retries

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "unique-python"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def _delay(self, call: Call[T], attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before sending ``call`` again after ``attempt`` (0 for the first
        sending) got ``response`` (None: no answer), or None when the outcome should stand.

        Only idempotent Calls are sent again, at most ``max_retries`` times, and only after a
        429, a 503 or no answer at all: ``Retry-After`` when the answer has one (capped at
        ``MAX_RETRY_DELAY``), else exponential backoff with jitter.
        """
        if not call.idempotent or attempt >= self.max_retries:
            return None
        if response is not None:
            if response.status_code not in RETRYABLE_STATUSES:
                return None
            hinted = retry_after(response)
            if hinted is not None:
                return min(hinted, MAX_RETRY_DELAY)
        backoff: float = 0.25 * 2**attempt * (1 + random.random())  # noqa: S311 - jitter only
        return min(backoff, MAX_RETRY_DELAY)

    @staticmethod
    def _result(call: Call[T], response: httpx.Response) -> T:
        if response.is_success:
            return call.parse(response.json())
        raise error_from(response)

    def _unreachable(self, error: httpx.TransportError) -> APIConnectionError:
        return APIConnectionError(
            f"could not reach the Unique API at {self.base_url} ({type(error).__name__})"
        )
