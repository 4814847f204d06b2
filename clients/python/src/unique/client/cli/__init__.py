"""``uniquectl``: the command-line client of a Unique server (needs the ``cli`` extra).

``--api-key``, ``--api-host`` and ``--output table|json|yaml`` are accepted before and after the
subcommand. The key comes from ``--api-key``, else ``UNIQUE_API_KEY``, else the file ``auth``
wrote (only for the host it was saved with). Exit codes: 0 success; 1 API error or server
unreachable (one line on stderr, with the request id when there is one); 2 usage error.

The server's own ``unique`` command offers the same subcommands: it calls ``register`` on its
app and ``remember_connection`` in its callback, with these ``*Option`` types.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import typer
from unique.client.cli import _commands
from unique.client.cli._connection import (
    ApiHostOption,
    ApiKeyOption,
    Connection,
    Output,
    OutputOption,
    config_path,
    remember_connection,
)

__all__ = [
    "ApiHostOption",
    "ApiKeyOption",
    "Connection",
    "Output",
    "OutputOption",
    "app",
    "config_path",
    "main",
    "register",
    "remember_connection",
]

PROG = "uniquectl"


def register(app: typer.Typer, prog: str = "unique") -> None:
    """Add ``me``, ``auth``, ``api-keys``, ``projects`` and ``orgs`` to ``app``, a command called
    ``prog``.

    Each call builds its own sub-apps, so that the examples in every help name ``prog``.
    """

    def help_of(function: Callable[..., Any]) -> str:
        return _named(inspect.getdoc(function) or "", prog)

    def add(target: typer.Typer, name: str, function: Callable[..., Any]) -> None:
        target.command(name, help=help_of(function))(function)

    add(app, "me", _commands.me)
    add(app, "auth", _commands.auth)

    api_keys = typer.Typer(help=_named(_commands.API_KEYS_HELP, prog), no_args_is_help=True)
    add(api_keys, "list", _commands.list_keys)
    add(api_keys, "create", _commands.create_key)
    add(api_keys, "rotate", _commands.rotate_key)
    add(api_keys, "revoke", _commands.revoke_key)
    app.add_typer(api_keys, name="api-keys")

    projects = typer.Typer(help=_named(_commands.PROJECTS_HELP, prog), no_args_is_help=True)
    add(projects, "list", _commands.list_projects)
    add(projects, "create", _commands.create_project)
    add(projects, "get", _commands.get_project)
    add(projects, "update", _commands.update_project)
    add(projects, "delete", _commands.delete_project)
    app.add_typer(projects, name="projects")

    orgs = typer.Typer(help=_named(_commands.ORGS_HELP, prog), no_args_is_help=True)
    add(orgs, "list", _commands.list_orgs)
    add(orgs, "create", _commands.create_org)
    add(orgs, "get", _commands.get_org)
    add(orgs, "rename", _commands.rename_org)
    add(orgs, "delete", _commands.delete_org)
    add(orgs, "members", _commands.list_members)
    add(orgs, "set-role", _commands.set_role)
    add(orgs, "remove-member", _commands.remove_member)
    app.add_typer(orgs, name="orgs")


def _named(text: str, prog: str) -> str:
    return text.replace(f"{PROG} ", f"{prog} ")


app = typer.Typer(
    help="uniquectl: a client of a Unique server (API keys, projects, organizations, the "
    "current user).\n\n"
    "Example: uniquectl --api-key unq_... api-keys list --output json",
    no_args_is_help=True,
)


@app.callback()
def _connection_options(
    ctx: typer.Context,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    remember_connection(ctx, api_key, api_host, output)


register(app, PROG)


def main() -> None:
    app()
