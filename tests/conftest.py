"""Fixtures: every API test runs once on SQLite and once on PostgreSQL, each on a fresh database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest

from tests.helpers import (
    TEST_PASSWORD_HASH_COST,
    Account,
    DatabaseFactory,
    Service,
    postgres_available,
    running_service,
)
from unique.config import Settings, password_hash_cost_from

# Argon2 at its minimum cost for every password the suite hashes, in this process and in every
# server and command it starts (they inherit the environment): at the production cost each
# account a test makes would cost a few hundred milliseconds of CPU. tests/unit/test_passwords.py
# and tests/api/test_server_cli.py check the production cost.
os.environ["UNIQUE_PASSWORD_HASH_COST"] = TEST_PASSWORD_HASH_COST

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
    return Settings(
        database_url=database_url,
        rate_limits=False,
        password_hash_cost=password_hash_cost_from(
            {"UNIQUE_PASSWORD_HASH_COST": TEST_PASSWORD_HASH_COST}
        ),
    )


@pytest.fixture
async def service(settings: Settings) -> AsyncIterator[Service]:
    async with running_service(settings) as running:
        yield running


@pytest.fixture
async def account(service: Service) -> Account:
    return await service.new_account()


def _run_early(item: pytest.Item) -> int:
    """0 for the tests that run for the longest (clusters of servers under load, then browsers),
    1 for the others that start servers, 2 for the rest."""
    if item.get_closest_marker("slow") is None:
        return 2
    return 0 if item.nodeid.startswith(("tests/cluster/", "tests/console/")) else 1


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first, in their files' order: spread over parallel workers that each take
    the next test when free (see the Makefile), they start at once, and the many short tests fill
    in around them instead of one long test running alone at the end."""
    items.sort(key=_run_early)
