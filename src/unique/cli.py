"""The ``unique`` command: run the server, migrate the database, bootstrap users and keys.

Scripts depend on the output: ``admin create-user`` prints only the new user's id and
``admin create-api-key`` only the key (or, with ``--output json``, the API's create response).
Diagnostics go to stderr, and a failure is one line there and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import asyncio
import os
import sys
import uuid
from collections.abc import Awaitable, Callable
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer
from unique.client import cli as client_cli

from unique.actor import Actor
from unique.api.schemas import ApiKeyCreated
from unique.config import Settings, SettingsError, load_settings
from unique.errors import DomainError

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# The server side's modules (SQLAlchemy, the domain, the HTTP server) are imported inside the
# server commands: client commands then start in a fraction of the time.

T = TypeVar("T")

app = typer.Typer(
    help="Unique: a self-hostable account and API-key service.\n\n"
    "Server side: serve, db, admin. Client side: auth, me, api-keys, projects.\n\n"
    "Example: unique --api-key unq_... api-keys list --output json",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Database schema management.", no_args_is_help=True)
admin_app = typer.Typer(help="Bootstrap users and keys from the server side.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(admin_app, name="admin")
client_cli.register(app)


@app.callback()
def connection_options(
    ctx: typer.Context,
    api_key: client_cli.ApiKeyOption = None,
    api_host: client_cli.ApiHostOption = None,
    output: client_cli.OutputOption = None,
) -> None:
    client_cli.remember_connection(ctx, api_key, api_host, output)


class KeyOutput(StrEnum):
    key = "key"
    json = "json"


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def settings_or_exit() -> Settings:
    try:
        return load_settings()
    except SettingsError as error:
        raise fail(str(error), 2) from None


def run_with_database(settings: Settings, work: Callable[..., Awaitable[T]]) -> T:
    """Run ``work(sessions)`` against a migrated database, turning failures into one line."""
    from sqlalchemy.exc import SQLAlchemyError

    from unique import accounts
    from unique.db.engine import create_engine, session_factory
    from unique.db.migrate import upgrade

    accounts.use_password_hash_cost(settings.password_hash_cost)

    async def main() -> T:
        engine = create_engine(settings)
        try:
            await upgrade(engine)
            return await work(session_factory(engine))
        finally:
            await engine.dispose()

    try:
        return asyncio.run(main())
    except DomainError as error:
        raise fail(error.message) from None
    except (SQLAlchemyError, OSError) as error:
        raise fail(
            f"database unavailable ({type(error).__name__}); check UNIQUE_DATABASE_URL"
        ) from None


@app.command()
def serve(
    host: Annotated[
        str | None, typer.Option(help="Address to bind (default: UNIQUE_HOST, else 127.0.0.1)")
    ] = None,
    port: Annotated[int | None, typer.Option(help="Port (default: UNIQUE_PORT, else 8000)")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (default: UNIQUE_WORKERS, else 1)")
    ] = None,
) -> None:
    """Migrate the database, then serve the API (and Console) until stopped."""
    from sqlalchemy import func, select

    from unique import serving
    from unique.db.tables import User

    for name, value in (("UNIQUE_HOST", host), ("UNIQUE_PORT", port), ("UNIQUE_WORKERS", workers)):
        if value is not None:
            os.environ[name] = str(value)
    settings = settings_or_exit()

    async def count_users(sessions) -> int:  # type: ignore[no-untyped-def]
        async with sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(User)) or 0)

    users = run_with_database(settings, count_users)
    where = settings.database_url if settings.is_sqlite else "PostgreSQL"
    typer.echo(
        f"Unique: database {where} is current; serving on http://{settings.host}:{settings.port}",
        err=True,
    )
    if users == 0:
        typer.echo(
            "No users yet. Create the first one with:\n"
            "  echo 'a-long-password' | unique admin create-user --email you@example.com "
            "--name 'Your Name' --password-stdin\n"
            "  unique admin create-api-key --email you@example.com --name bootstrap",
            err=True,
        )
    serving.run(settings)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending migrations (safe to run from several nodes at once)."""
    settings = settings_or_exit()

    async def nothing(_sessions) -> None:  # type: ignore[no-untyped-def]
        return None

    run_with_database(settings, nothing)
    typer.echo("database is current", err=True)


@admin_app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="The user's email (their login).")],
    name: Annotated[str, typer.Option(help="The user's display name.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
) -> None:
    """Create a user; prints only the new user's id."""
    if not password_stdin:
        raise fail("pass --password-stdin and the password on standard input", 2)
    password = sys.stdin.readline().rstrip("\r\n")
    settings = settings_or_exit()
    work = partial(
        create_user_as_operator,
        email=email,
        name=name,
        password=password,
        projects_limit=settings.projects_limit,
    )
    typer.echo(str(run_with_database(settings, work)))


async def create_user_as_operator(
    sessions: async_sessionmaker[AsyncSession],
    *,
    email: str,
    name: str,
    password: str,
    projects_limit: int,
) -> uuid.UUID:
    """Create a user on the operator's authority, in a transaction of its own; return the id.

    What ``admin create-user`` does: the tests make their users through it too.
    """
    from unique import accounts

    async with sessions.begin() as session:
        user = await accounts.create_user(
            session,
            email=email,
            name=name,
            password=password,
            projects_limit=projects_limit,
            actor=Actor.operator(),
        )
        return user.id


@admin_app.command("invite")
def invite(
    email: Annotated[str, typer.Option(help="The address that may then sign up.")],
) -> None:
    """Let an address sign up while UNIQUE_SIGNUP=invite (inviting twice changes nothing)."""
    from unique import signup

    settings = settings_or_exit()

    async def work(sessions) -> str:  # type: ignore[no-untyped-def]
        async with sessions.begin() as session:
            invitation = await signup.invite(session, email)
            return str(invitation.email)

    invited = run_with_database(settings, work)
    typer.echo(f"{invited} may now sign up", err=True)


@admin_app.command("create-api-key")
def create_api_key(
    email: Annotated[str, typer.Option(help="Email of the user who will own the key.")],
    name: Annotated[str, typer.Option(help="A name for the key.")],
    output: Annotated[
        KeyOutput, typer.Option(help="key: the key alone; json: the API's create response.")
    ] = KeyOutput.key,
) -> None:
    """Create an API key for a user; prints only the key."""
    from unique import accounts, api_keys

    settings = settings_or_exit()

    async def work(sessions) -> api_keys.NewKey:  # type: ignore[no-untyped-def]
        async with sessions.begin() as session:
            user = await accounts.find_user_by_email(session, email)
            if user is None:
                raise DomainError(f"no user with email {email}")
            return await api_keys.create_key(
                session, owner_id=user.id, name=name, actor=Actor.operator(user.id)
            )

    new_key = run_with_database(settings, work)
    if output is KeyOutput.json:
        typer.echo(ApiKeyCreated.of(new_key).model_dump_json())
    else:
        typer.echo(new_key.secret)


def main() -> None:
    app()
