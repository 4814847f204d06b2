"""Settings come from UNIQUE_* variables; a bad value names its variable."""

from __future__ import annotations

import ipaddress

import pytest

from unique.config import (
    PasswordHashCost,
    SettingsError,
    SignupMode,
    load_settings,
    to_async_url,
)


def test_defaults_run_on_sqlite_under_var() -> None:
    settings = load_settings({})
    assert settings.database_url == "sqlite:///var/unique.db"
    assert settings.async_database_url == "sqlite+aiosqlite:///var/unique.db"
    assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8000, 1)
    assert settings.trusted_proxies == ()
    assert settings.regions == ("aws-us-east-2", "aws-us-west-2", "aws-eu-central-1")
    assert settings.rate_limits is True


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///relative/path.db", "sqlite+aiosqlite:///relative/path.db"),
        ("sqlite:////absolute/path.db", "sqlite+aiosqlite:////absolute/path.db"),
        ("postgresql://u:pw@db:5432/unique", "postgresql+asyncpg://u:pw@db:5432/unique"),
    ],
)
def test_driver_free_urls_choose_the_async_driver(url: str, expected: str) -> None:
    assert to_async_url(url) == expected


def test_trusted_proxies_accept_addresses_and_ranges() -> None:
    settings = load_settings({"UNIQUE_TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.1,::1"})
    assert settings.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("192.0.2.1/32"),
        ipaddress.ip_network("::1/128"),
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("UNIQUE_DATABASE_URL", "mysql://x"),
        ("UNIQUE_PORT", "http"),
        ("UNIQUE_PORT", "70000"),
        ("UNIQUE_WORKERS", "0"),
        ("UNIQUE_TRUSTED_PROXIES", "10.0.0.0/8,proxy.local"),
        ("UNIQUE_REGIONS", "us east"),
        ("UNIQUE_RATE_LIMITS", "maybe"),
        ("UNIQUE_RATE_LIMIT_PER_MINUTE", "-1"),
        ("UNIQUE_AUTH_FAILURES_PER_MINUTE", "lots"),
        ("UNIQUE_SIGNUP", "invited"),
        ("UNIQUE_SIGNUPS_PER_HOUR", "0"),
        ("UNIQUE_PASSWORD_HASH_COST", "high"),
        ("UNIQUE_PASSWORD_HASH_COST", "m=65536,t=3"),
        ("UNIQUE_PASSWORD_HASH_COST", "m=65536,t=3,p=4,t=2"),
        ("UNIQUE_PASSWORD_HASH_COST", "m=64MiB,t=3,p=4"),
        ("UNIQUE_PASSWORD_HASH_COST", "m=31,t=1,p=4"),
        ("UNIQUE_PASSWORD_HASH_COST", "m=65536,t=0,p=4"),
        ("UNIQUE_PASSWORD_HASH_COST", "m=65536,t=3,p=0"),
        ("UNIQUE_PASSWORD_HASH_COST", "m=99999999999,t=3,p=4"),
    ],
)
def test_a_bad_value_names_its_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        load_settings({name: value})


@pytest.mark.parametrize(
    ("value", "mode"),
    [("", SignupMode.OPEN), ("open", SignupMode.OPEN), ("Invite", SignupMode.INVITE),
     ("closed", SignupMode.CLOSED)],
)  # fmt: skip
def test_sign_up_is_open_unless_the_operator_says_otherwise(value: str, mode: SignupMode) -> None:
    assert load_settings({"UNIQUE_SIGNUP": value}).signup is mode


@pytest.mark.parametrize(
    ("value", "cost"),
    [
        ("", PasswordHashCost(memory_kib=65536, time_cost=3, parallelism=4)),
        ("m=19456,t=2,p=1", PasswordHashCost(memory_kib=19456, time_cost=2, parallelism=1)),
        (" p=2, m=16 ,t=1", PasswordHashCost(memory_kib=16, time_cost=1, parallelism=2)),
    ],
)
def test_the_password_hash_cost_is_read_as_in_a_hash(value: str, cost: PasswordHashCost) -> None:
    assert load_settings({"UNIQUE_PASSWORD_HASH_COST": value}).password_hash_cost == cost
