"""Fixtures: every API test runs once on SQLite and once on PostgreSQL, each on a fresh database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.helpers import Account, DatabaseFactory, Service, postgres_available, running_service
from unique.config import Settings

IN_CI = os.environ.get("CI", "").lower() == "true"
DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(scope="session")
def database_factories(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, DatabaseFactory]]:
    factories: dict[str, DatabaseFactory] = {}
    yield factories
    for factory in factories.values():
        factory.close()


@pytest.fixture(params=DATABASES)
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(
    database_kind: str,
    database_factories: dict[str, DatabaseFactory],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[str]:
    """A fresh, migrated database of the test's kind. PostgreSQL is never skipped in CI."""
    if database_kind not in database_factories:
        if database_kind == "postgresql" and not postgres_available():
            if IN_CI:
                pytest.fail("PostgreSQL is not reachable, and CI must run the PostgreSQL tests")
            pytest.skip("PostgreSQL is not reachable")
        database_factories[database_kind] = DatabaseFactory(
            database_kind, tmp_path_factory.mktemp(f"db-{database_kind}")
        )
    factory = database_factories[database_kind]
    url = factory.new_url()
    yield url
    factory.drop(url)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, rate_limits=False)


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Service]:
    async with running_service(settings) as running:
        yield running


@pytest.fixture
async def account(service: Service) -> Account:
    return await service.new_account()
