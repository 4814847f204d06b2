"""Where a command sends its requests, with which key, and how it prints: the options given
before and after the subcommand, the environment, and the file ``auth`` saved.

Exit codes: 0 success; 1 API error or server unreachable (one line on stderr, with the request
id when there is one); 2 usage error.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from unique.client import DEFAULT_API_HOST, Client, UniqueError

T = TypeVar("T")


class Output(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


ApiKeyOption = Annotated[
    str | None,
    typer.Option("--api-key", help="API key (default: UNIQUE_API_KEY, else the key `auth` saved)"),
]
ApiHostOption = Annotated[
    str | None,
    typer.Option(
        "--api-host", help=f"API base URL (default: UNIQUE_API_HOST, else {DEFAULT_API_HOST})"
    ),
]
OutputOption = Annotated[
    Output | None,
    typer.Option("--output", "-o", help="table (default), json (exactly the API's JSON) or yaml"),
]


def config_path() -> Path:
    """The file ``auth`` saves the key and its host in: ``$XDG_CONFIG_HOME/unique/config.json``."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "unique" / "config.json"


def saved() -> dict[str, str]:
    try:
        data = json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}
    return {key: str(value) for key, value in data.items()} if isinstance(data, dict) else {}


def save(api_key: str, api_host: str) -> Path:
    """Save the key with the host it was checked against, in a file only its owner can read."""
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump({"api_key": api_key, "api_host": api_host}, file)
    path.chmod(0o600)
    return path


@dataclass
class Connection:
    """Connection options, as given before the subcommand; those after it override them.

    ``prog`` is the command as it was typed (``unique``, ``uniquectl``), for messages.
    """

    api_key: str | None = None
    api_host: str | None = None
    output: Output | None = None
    prog: str = "uniquectl"

    def merged(
        self, api_key: str | None, api_host: str | None, output: Output | None
    ) -> Connection:
        return Connection(
            api_key or self.api_key, api_host or self.api_host, output or self.output, self.prog
        )

    def client(self) -> Client:
        stored = saved()
        host = self.api_host or os.environ.get("UNIQUE_API_HOST") or stored.get("api_host")
        key = self.api_key or os.environ.get("UNIQUE_API_KEY")
        # The saved key goes only to the host it was saved for, never to whatever host is
        # given later (a typo, or a test server, would otherwise receive it).
        if not key and _same_host(host, stored.get("api_host")):
            key = stored.get("api_key")
        if not key:
            raise usage_error(
                f"no API key: pass --api-key, set UNIQUE_API_KEY, or run `{self.prog} auth`"
            )
        return Client(api_key=key, base_url=host)


def _same_host(host: str | None, saved_host: str | None) -> bool:
    def normal(value: str | None) -> str:
        return (value or DEFAULT_API_HOST).rstrip("/")

    return normal(host) == normal(saved_host)


def usage_error(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def remember_connection(
    ctx: typer.Context, api_key: str | None, api_host: str | None, output: Output | None
) -> None:
    """Keep the options given before the subcommand for it to merge with its own."""
    ctx.obj = Connection(api_key, api_host, output, _prog(ctx))


def connection(
    ctx: typer.Context, api_key: str | None, api_host: str | None, output: Output | None
) -> Connection:
    parent = ctx.find_object(Connection) or Connection(prog=_prog(ctx))
    return parent.merged(api_key, api_host, output)


def _prog(ctx: typer.Context) -> str:
    return ctx.find_root().info_name or "uniquectl"


@contextmanager
def api_errors() -> Iterator[None]:
    """Turn an API failure into one line on stderr and exit code 1."""
    try:
        yield
    except UniqueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def run(
    ctx: typer.Context,
    api_key: str | None,
    api_host: str | None,
    output: Output | None,
    call: Callable[[Client], T],
) -> tuple[T, Output | None]:
    """``call`` with a client for the merged options; API failures exit 1."""
    options = connection(ctx, api_key, api_host, output)
    with api_errors(), options.client() as client:
        return call(client), options.output
