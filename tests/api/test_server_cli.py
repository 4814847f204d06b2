"""The server-side `unique` commands scripts depend on: exact stdout, one-line errors on stderr."""

from __future__ import annotations

import json
import re
import uuid

import argon2
import pytest
from argon2.profiles import RFC_9106_LOW_MEMORY
from sqlalchemy import select

from tests.helpers import PASSWORD, run_async, run_cli
from unique.config import Settings
from unique.db.engine import create_engine, session_factory
from unique.db.tables import User

pytestmark = pytest.mark.slow


def create_user(env: dict[str, str], email: str = "sam@example.com", password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return run_cli(
        ["admin", "create-user", "--email", email, "--name", "Sam Smith", "--password-stdin"],
        env,
        stdin=password + "\n",
    )


def assert_one_line_error(result, exit_code: int = 1) -> str:  # type: ignore[no-untyped-def]
    assert result.returncode == exit_code
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return str(lines[0])


def test_create_user_prints_only_the_new_id(database_url: str) -> None:
    result = create_user({"UNIQUE_DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    uuid.UUID(result.stdout.strip())
    assert result.stdout.count("\n") == 1


async def stored_password_hash(database_url: str, email: str) -> str:
    engine = create_engine(Settings(database_url=database_url))
    try:
        async with session_factory(engine)() as session:
            stored = await session.scalar(select(User.password_hash).where(User.email == email))
    finally:
        await engine.dispose()
    assert isinstance(stored, str)
    return stored


@pytest.mark.parametrize("database_kind", ["sqlite"])
def test_by_default_a_password_is_hashed_at_rfc_9106_low_memory_cost(database_url: str) -> None:
    """The production cost, end to end: the suite sets a cheap one, which an empty value
    overrides here as if the variable were unset."""
    env = {"UNIQUE_DATABASE_URL": database_url, "UNIQUE_PASSWORD_HASH_COST": ""}
    assert create_user(env).returncode == 0
    stored = run_async(stored_password_hash(database_url, "sam@example.com"))
    assert stored.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert argon2.extract_parameters(stored) == RFC_9106_LOW_MEMORY


def test_a_bad_password_hash_cost_stops_the_command_in_one_line() -> None:
    result = create_user({"UNIQUE_PASSWORD_HASH_COST": "m=1,t=1,p=1"})
    assert "UNIQUE_PASSWORD_HASH_COST" in assert_one_line_error(result, exit_code=2)


def test_a_taken_email_is_refused_whatever_its_case(database_url: str) -> None:
    env = {"UNIQUE_DATABASE_URL": database_url}
    assert create_user(env).returncode == 0
    line = assert_one_line_error(create_user(env, email="SAM@Example.com"))
    assert "already exists" in line


def test_a_short_password_is_refused(database_url: str) -> None:
    line = assert_one_line_error(
        create_user({"UNIQUE_DATABASE_URL": database_url}, password="short")
    )
    assert "password" in line


def test_create_api_key_prints_only_a_working_key(database_url: str) -> None:
    env = {"UNIQUE_DATABASE_URL": database_url}
    create_user(env)
    result = run_cli(["admin", "create-api-key", "--email", "sam@example.com", "--name", "ci"], env)
    assert result.returncode == 0, result.stderr
    assert re.fullmatch(r"unq_[0-9a-z]{60}\n", result.stdout)


def test_create_api_key_as_json_matches_the_api_create_response(database_url: str) -> None:
    env = {"UNIQUE_DATABASE_URL": database_url}
    user_id = create_user(env).stdout.strip()
    result = run_cli(
        [
            "admin",
            "create-api-key",
            "--email",
            "sam@example.com",
            "--name",
            "ci",
            "--output",
            "json",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert set(body) == {"id", "key", "name", "created_at", "created_by", "expires_at", "scopes"}
    assert body["created_by"] == user_id
    assert body["name"] == "ci"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", body["created_at"])


def test_create_api_key_for_an_unknown_user_fails_clearly(database_url: str) -> None:
    result = run_cli(
        ["admin", "create-api-key", "--email", "nobody@example.com", "--name", "x"],
        {"UNIQUE_DATABASE_URL": database_url},
    )
    assert "nobody@example.com" in assert_one_line_error(result)


def test_db_upgrade_is_idempotent(database_url: str) -> None:
    for _ in range(2):
        result = run_cli(["db", "upgrade"], {"UNIQUE_DATABASE_URL": database_url})
        assert result.returncode == 0, result.stderr


def test_an_unsupported_database_url_names_the_variable() -> None:
    result = run_cli(["db", "upgrade"], {"UNIQUE_DATABASE_URL": "mysql://root@localhost/x"})
    assert "UNIQUE_DATABASE_URL" in assert_one_line_error(result, exit_code=2)


def test_an_unreachable_database_fails_in_one_line() -> None:
    result = run_cli(
        ["db", "upgrade"], {"UNIQUE_DATABASE_URL": "postgresql://postgres@127.0.0.1:1/x"}
    )
    assert "database unavailable" in assert_one_line_error(result)


def test_serve_refuses_a_bad_setting_before_starting() -> None:
    result = run_cli(["serve"], {"UNIQUE_PORT": "eighty"})
    assert "UNIQUE_PORT" in assert_one_line_error(result, exit_code=2)


def test_create_user_requires_the_password_on_stdin(database_url: str) -> None:
    result = run_cli(
        ["admin", "create-user", "--email", "a@example.com", "--name", "A"],
        {"UNIQUE_DATABASE_URL": database_url},
    )
    assert "--password-stdin" in assert_one_line_error(result, exit_code=2)
