"""The API-client half of the ``unique`` command: keys, projects and the current user.

``--api-key``, ``--api-host`` and ``--output`` are accepted before and after the subcommand.
The key comes from ``--api-key``, else ``UNIQUE_API_KEY``, else the file ``unique auth`` wrote.
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
from typing import Annotated, Any, TypeVar

import typer
import yaml
from rich.console import Console
from rich.table import Table

from unique.client import DEFAULT_API_HOST, Client, Project, UniqueError

T = TypeVar("T")

stdout = Console()


class Output(StrEnum):
    table = "table"
    json = "json"
    yaml = "yaml"


ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key", help="API key (default: UNIQUE_API_KEY, else the key `unique auth` saved)"
    ),
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
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "unique" / "config.json"


def _saved() -> dict[str, str]:
    try:
        data = json.loads(config_path().read_text())
    except (OSError, ValueError):
        return {}
    return {key: str(value) for key, value in data.items()} if isinstance(data, dict) else {}


@dataclass
class Connection:
    """Connection options, as given before the subcommand; those after it override them."""

    api_key: str | None = None
    api_host: str | None = None
    output: Output | None = None

    def merged(
        self, api_key: str | None, api_host: str | None, output: Output | None
    ) -> Connection:
        return Connection(api_key or self.api_key, api_host or self.api_host, output or self.output)

    def client(self) -> Client:
        saved = _saved()
        host = self.api_host or os.environ.get("UNIQUE_API_HOST") or saved.get("api_host")
        key = self.api_key or os.environ.get("UNIQUE_API_KEY")
        # The saved key goes only to the host it was saved for, never to whatever host is
        # given later (a typo, or a test server, would otherwise receive it).
        if not key and _same_host(host, saved.get("api_host")):
            key = saved.get("api_key")
        if not key:
            raise usage_error(
                "no API key: pass --api-key, set UNIQUE_API_KEY, or run `unique auth`"
            )
        return Client(api_key=key, base_url=host)


def _same_host(host: str | None, saved_host: str | None) -> bool:
    def normal(value: str | None) -> str:
        return (value or DEFAULT_API_HOST).rstrip("/")

    return normal(host) == normal(saved_host)


def usage_error(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


def connection(
    ctx: typer.Context, api_key: str | None, api_host: str | None, output: Output | None
) -> Connection:
    parent = ctx.find_object(Connection) or Connection()
    return parent.merged(api_key, api_host, output)


@contextmanager
def api_errors() -> Iterator[None]:
    """Turn an API failure into one line on stderr and exit code 1."""
    try:
        yield
    except UniqueError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def emit(output: Output | None, raw: Any, table: Callable[[], Table | str]) -> None:
    if output is Output.json:
        typer.echo(json.dumps(raw, indent=2, ensure_ascii=False))
    elif output is Output.yaml:
        typer.echo(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True), nl=False)
    else:
        stdout.print(table())


def run(
    ctx: typer.Context,
    api_key: str | None,
    api_host: str | None,
    output: Output | None,
    call: Callable[[Client], T],
) -> tuple[T, Output | None]:
    options = connection(ctx, api_key, api_host, output)
    with api_errors(), options.client() as client:
        return call(client), options.output


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "never"


def _table(title: str, columns: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, header_style="bold")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


# --- me --------------------------------------------------------------------------------------


def me(
    ctx: typer.Context,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Show the user the key belongs to.

    Example: unique me --output json
    """
    user, chosen = run(ctx, api_key, api_host, output, lambda client: client.users.me())
    emit(
        chosen,
        user.raw,
        lambda: _table(
            "Current user",
            ["ID", "Name", "Email", "Projects limit", "Plan"],
            [[user.id, user.name, user.email, str(user.projects_limit), user.plan]],
        ),
    )


def auth(
    ctx: typer.Context,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
) -> None:
    """Check an API key and save it for later commands (in a file only you can read).

    Without --api-key, the key is asked for without echoing it.

    Example: unique auth --api-host https://unique.example.com/api/v2
    """
    options = connection(ctx, api_key, api_host, None)
    if not options.api_key:
        options.api_key = typer.prompt("API key", hide_input=True).strip()
    with api_errors(), options.client() as client:
        user = client.users.me()
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Saved with the host it was checked against: it is only ever sent there again.
    saved = {"api_key": options.api_key, "api_host": client.base_url}
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(saved, file)
    path.chmod(0o600)
    typer.echo(f"Signed in as {user.name} <{user.email}>; the key is saved in {path}", err=True)


# --- api-keys --------------------------------------------------------------------------------

api_keys_app = typer.Typer(
    help="Create, list and revoke API keys.\n\nExample: unique api-keys create --name ci-deploy",
    no_args_is_help=True,
)


@api_keys_app.command("list")
def list_keys(
    ctx: typer.Context,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """List the account's active keys, newest first. Secrets are never shown again.

    Example: unique api-keys list --output json
    """
    keys, chosen = run(ctx, api_key, api_host, output, lambda client: client.api_keys.list())
    emit(
        chosen,
        [key.raw for key in keys],
        lambda: _table(
            "API keys",
            ["ID", "Name", "Created", "Created by", "Last used", "From"],
            [
                [
                    str(key.id),
                    key.name,
                    _when(key.created_at),
                    key.created_by.name,
                    _when(key.last_used_at),
                    key.last_used_from_addr,
                ]
                for key in keys
            ]
            or [["", "No API keys yet", "", "", "", ""]],
        ),
    )


@api_keys_app.command("create")
def create_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="A name for the key (1-64 characters).")],
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Create a key and print it. It is shown this once: store it safely.

    Example: unique api-keys create --name ci-deploy --output json | jq -r .key
    """
    created, chosen = run(
        ctx, api_key, api_host, output, lambda client: client.api_keys.create(name)
    )
    emit(
        chosen,
        created.raw,
        lambda: (
            f"Created API key [bold]{created.name}[/bold] (id {created.id}):\n\n"
            f"  {created.key}\n\n"
            "[yellow]Store it now in a safe place: it cannot be shown again.[/yellow]"
        ),
    )


@api_keys_app.command("revoke")
def revoke_key(
    ctx: typer.Context,
    key_id: Annotated[int, typer.Argument(help="The key's id, from `unique api-keys list`.")],
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Revoke a key for good: every request with it fails from now on.

    Example: unique api-keys revoke 177630
    """
    revoked, chosen = run(
        ctx, api_key, api_host, output, lambda client: client.api_keys.revoke(key_id)
    )
    emit(chosen, revoked.raw, lambda: f"Revoked API key {revoked.name} (id {revoked.id}).")


# --- projects --------------------------------------------------------------------------------

projects_app = typer.Typer(
    help="List, create, inspect, rename and delete projects.\n\n"
    "Example: unique projects list --search analytics",
    no_args_is_help=True,
)

PROJECT_COLUMNS = ["ID", "Name", "Region", "Postgres", "Created"]
DEFAULT_PAGE_SIZE = 10  # the API's default limit
ALL_PAGES_PAGE_SIZE = 100  # --all without --limit: fewer round trips than the default


def _project_row(project: Any) -> list[str]:
    return [
        project.id,
        project.name,
        project.region_id,
        str(project.pg_version),
        _when(project.created_at),
    ]


def _show_project(chosen: Output | None, project: Project, title: str) -> None:
    emit(
        chosen,
        project.response,
        lambda: _table(title, PROJECT_COLUMNS, [_project_row(project)]),
    )


@projects_app.command("list")
def list_projects(
    ctx: typer.Context,
    search: Annotated[str | None, typer.Option(help="Part of a name or id.")] = None,
    limit: Annotated[int | None, typer.Option(min=1, max=400, help="Projects per page.")] = None,
    cursor: Annotated[str | None, typer.Option(help="The cursor a previous page printed.")] = None,
    all_pages: Annotated[
        bool, typer.Option("--all", help="Follow cursors to the end (from --cursor, if given).")
    ] = False,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """List projects, newest first: one page, or every page with --all.

    Examples: unique projects list --search prod; unique projects list --all --output json
    """

    def fetch(client: Client) -> dict[str, Any]:
        if all_pages:
            listing = client.projects.list(
                search=search, limit=limit or ALL_PAGES_PAGE_SIZE, cursor=cursor
            )
            return {"projects": [project.raw for project in listing]}
        page = client.projects.list(search=search, limit=limit, cursor=cursor).first_page()
        return dict(page.raw)

    raw, chosen = run(ctx, api_key, api_host, output, fetch)
    next_cursor = (raw.get("pagination") or {}).get("cursor")

    def table() -> Table:
        rows = [_project_row(Project.from_json(item)) for item in raw["projects"]]
        listing = _table("Projects", PROJECT_COLUMNS, rows or [["", "No projects", "", "", ""]])
        if next_cursor and not all_pages and len(rows) == (limit or DEFAULT_PAGE_SIZE):
            listing.caption = f"Next page: --cursor {next_cursor}"
        return listing

    emit(chosen, raw, table)


@projects_app.command("create")
def create_project(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Option(help="Defaults to the generated id.")] = None,
    region_id: Annotated[str | None, typer.Option("--region-id", help="e.g. aws-us-east-2")] = None,
    pg_version: Annotated[int | None, typer.Option("--pg-version", min=14, max=18)] = None,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Create a project.

    Example: unique projects create --name analytics --region-id aws-eu-central-1 --pg-version 16
    """
    project, chosen = run(
        ctx,
        api_key,
        api_host,
        output,
        lambda client: client.projects.create(
            name=name, region_id=region_id, pg_version=pg_version
        ),
    )
    _show_project(chosen, project, "Created project")


@projects_app.command("get")
def get_project(
    ctx: typer.Context,
    project_id: Annotated[str, typer.Argument(help="The project's id.")],
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Show one project.

    Example: unique projects get purple-shape-41136123 --output yaml
    """
    project, chosen = run(
        ctx, api_key, api_host, output, lambda client: client.projects.get(project_id)
    )
    _show_project(chosen, project, "Project")


@projects_app.command("update")
def update_project(
    ctx: typer.Context,
    project_id: Annotated[str, typer.Argument(help="The project's id.")],
    name: Annotated[str, typer.Option("--name", help="The new name.")],
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Rename a project.

    Example: unique projects update purple-shape-41136123 --name "Analytics (prod)"
    """
    project, chosen = run(
        ctx, api_key, api_host, output, lambda client: client.projects.update(project_id, name=name)
    )
    _show_project(chosen, project, "Updated project")


@projects_app.command("delete")
def delete_project(
    ctx: typer.Context,
    project_id: Annotated[str, typer.Argument(help="The project's id.")],
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Delete a project.

    Example: unique projects delete purple-shape-41136123
    """
    project, chosen = run(
        ctx, api_key, api_host, output, lambda client: client.projects.delete(project_id)
    )
    _show_project(chosen, project, "Deleted project")


def register(app: typer.Typer) -> None:
    app.command("me")(me)
    app.command("auth")(auth)
    app.add_typer(api_keys_app, name="api-keys")
    app.add_typer(projects_app, name="projects")


def remember_connection(
    ctx: typer.Context, api_key: str | None, api_host: str | None, output: Output | None
) -> None:
    """Keep the options given before the subcommand for it to merge with its own."""
    ctx.obj = Connection(api_key, api_host, output)
