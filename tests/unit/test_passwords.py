"""Password hashes: Argon2id at RFC 9106's low-memory profile unless UNIQUE_PASSWORD_HASH_COST
says otherwise, and a hash made at any cost keeps verifying whatever the cost is now."""

from __future__ import annotations

from pathlib import Path

import argon2
from argon2.profiles import RFC_9106_LOW_MEMORY

from tests.helpers import PASSWORD, TEST_PASSWORD_HASH_COST
from unique import accounts
from unique.config import PasswordHashCost, Settings, load_settings, password_hash_cost_from
from unique.runtime import Runtime


def test_the_production_default_is_the_rfc_9106_low_memory_profile() -> None:
    default = load_settings({}).password_hash_cost
    assert default == Settings().password_hash_cost == PasswordHashCost()
    made = accounts.password_hasher(default).hash(PASSWORD)
    assert made.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert argon2.extract_parameters(made) == RFC_9106_LOW_MEMORY


def test_the_process_hashes_at_the_configured_cost() -> None:
    """The suite's own setting reaches the hasher every caller uses (else it runs slowly)."""
    made = accounts.hash_password(PASSWORD)
    cost = password_hash_cost_from({"UNIQUE_PASSWORD_HASH_COST": TEST_PASSWORD_HASH_COST})
    parameters = argon2.extract_parameters(made)
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (8, 1, 1)
    assert str(cost) == "m=8,t=1,p=1"
    assert accounts.password_matches(made, PASSWORD)


def test_a_hash_made_at_another_cost_still_verifies() -> None:
    """Lowering or raising the cost locks nobody out: each hash is checked at its own cost."""
    production = accounts.password_hasher(PasswordHashCost()).hash(PASSWORD)
    assert accounts.password_matches(production, PASSWORD)
    assert not accounts.password_matches(production, PASSWORD + "!")
    assert not accounts.password_matches("not a hash", PASSWORD)


async def test_a_server_hashes_at_the_cost_its_settings_name(tmp_path: Path) -> None:
    chosen = password_hash_cost_from({"UNIQUE_PASSWORD_HASH_COST": "m=16,t=2,p=1"})
    suite_cost = password_hash_cost_from({"UNIQUE_PASSWORD_HASH_COST": TEST_PASSWORD_HASH_COST})
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'unique.db'}", password_hash_cost=chosen
    )
    runtime = Runtime.create(settings)
    try:
        parameters = argon2.extract_parameters(accounts.hash_password(PASSWORD))
        assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (16, 2, 1)
    finally:
        await runtime.stop()
        accounts.use_password_hash_cost(suite_cost)
