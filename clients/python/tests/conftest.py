"""Fixtures of the SDK's own tests: they need neither the server nor a network."""

from __future__ import annotations

from collections.abc import Iterator
from types import SimpleNamespace

import pytest
import unique.client._async
import unique.client._sync
from sdk_support import FakeApi, Sdk


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    """Every test that takes it runs with ``Client`` and with ``AsyncClient``."""
    return str(request.param)


@pytest.fixture
def fake_api() -> FakeApi:
    return FakeApi()


@pytest.fixture
def sdk(flavour: str, fake_api: FakeApi) -> Sdk:
    return Sdk(flavour, fake_api)


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """The seconds the clients wait between attempts, recorded instead of slept."""
    waited: list[float] = []

    def sleep(seconds: float) -> None:
        waited.append(seconds)

    async def async_sleep(seconds: float) -> None:
        waited.append(seconds)

    monkeypatch.setattr(unique.client._sync, "time", SimpleNamespace(sleep=sleep))
    monkeypatch.setattr(unique.client._async, "asyncio", SimpleNamespace(sleep=async_sleep))
    yield waited
