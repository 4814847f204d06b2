"""The client commands: ``me``, ``auth``, ``api-keys ...`` and ``projects ...``.

Plain functions, registered by ``unique.client.cli.register`` into a Typer app (``uniquectl``'s
own, or the server's ``unique``); their examples name ``uniquectl``, and ``register`` puts the
program's own name there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.table import Table
from unique.client import Client, Project
from unique.client.cli._connection import (
    ApiHostOption,
    ApiKeyOption,
    Output,
    OutputOption,
    api_errors,
    connection,
    run,
    save,
)
from unique.client.cli._render import emit, table, when

# --- me and auth -----------------------------------------------------------------------------


def me(
    ctx: typer.Context,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Show the user the key belongs to.

    Example: uniquectl me --output json
    """
    user, chosen = run(ctx, api_key, api_host, output, lambda client: client.users.me())
    emit(
        chosen,
        user.raw,
        lambda: table(
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

    Example: uniquectl auth --api-host https://unique.example.com/api/v2
    """
    options = connection(ctx, api_key, api_host, None)
    if not options.api_key:
        options.api_key = typer.prompt("API key", hide_input=True).strip()
    with api_errors(), options.client() as client:
        user = client.users.me()
    # Saved with the host it was checked against: it is only ever sent there again.
    path = save(options.api_key, client.base_url)
    typer.echo(f"Signed in as {user.name} <{user.email}>; the key is saved in {path}", err=True)


# --- api-keys --------------------------------------------------------------------------------

API_KEYS_HELP = (
    "Create, list and revoke API keys.\n\nExample: uniquectl api-keys create --name ci-deploy"
)


def list_keys(
    ctx: typer.Context,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """List the account's active keys, newest first. Secrets are never shown again.

    Example: uniquectl api-keys list --output json
    """
    keys, chosen = run(ctx, api_key, api_host, output, lambda client: client.api_keys.list())
    emit(
        chosen,
        [key.raw for key in keys],
        lambda: table(
            "API keys",
            ["ID", "Name", "Created", "Created by", "Last used", "From"],
            [
                [
                    str(key.id),
                    key.name,
                    when(key.created_at),
                    key.created_by.name,
                    when(key.last_used_at),
                    key.last_used_from_addr,
                ]
                for key in keys
            ]
            or [["", "No API keys yet", "", "", "", ""]],
        ),
    )


def create_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="A name for the key (1-64 characters).")],
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Create a key and print it. It is shown this once: store it safely.

    Example: uniquectl api-keys create --name ci-deploy --output json | jq -r .key
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


def revoke_key(
    ctx: typer.Context,
    key_id: Annotated[int, typer.Argument(help="The key's id, from `api-keys list`.")],
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Revoke a key for good: every request with it fails from now on.

    Example: uniquectl api-keys revoke 177630
    """
    revoked, chosen = run(
        ctx, api_key, api_host, output, lambda client: client.api_keys.revoke(key_id)
    )
    emit(chosen, revoked.raw, lambda: f"Revoked API key {revoked.name} (id {revoked.id}).")


# --- projects --------------------------------------------------------------------------------

PROJECTS_HELP = (
    "List, create, inspect, rename and delete projects.\n\n"
    "Example: uniquectl projects list --search analytics"
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
        when(project.created_at),
    ]


ProjectIdArgument = Annotated[str, typer.Argument(help="The project's id.")]


def _show_project(
    ctx: typer.Context,
    api_key: str | None,
    api_host: str | None,
    output: Output | None,
    title: str,
    call: Callable[[Client], Project],
) -> None:
    """What the project commands but ``list`` share: ``call`` as ``run`` makes it, and the
    project it answers with shown under ``title`` (or its whole answer, for json and yaml)."""
    project, chosen = run(ctx, api_key, api_host, output, call)
    emit(chosen, project.response, lambda: table(title, PROJECT_COLUMNS, [_project_row(project)]))


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

    Examples: uniquectl projects list --search prod; uniquectl projects list --all --output json
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

    def listing_table() -> Table:
        rows = [_project_row(Project.from_json(item)) for item in raw["projects"]]
        listing = table("Projects", PROJECT_COLUMNS, rows or [["", "No projects", "", "", ""]])
        if next_cursor and not all_pages and len(rows) == (limit or DEFAULT_PAGE_SIZE):
            listing.caption = f"Next page: --cursor {next_cursor}"
        return listing

    emit(chosen, raw, listing_table)


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

    Example: uniquectl projects create --name analytics --region-id aws-eu-central-1 --pg-version 16
    """
    _show_project(
        ctx,
        api_key,
        api_host,
        output,
        "Created project",
        lambda client: client.projects.create(
            name=name, region_id=region_id, pg_version=pg_version
        ),
    )


def get_project(
    ctx: typer.Context,
    project_id: ProjectIdArgument,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Show one project.

    Example: uniquectl projects get purple-shape-41136123 --output yaml
    """
    _show_project(
        ctx, api_key, api_host, output, "Project", lambda client: client.projects.get(project_id)
    )


def update_project(
    ctx: typer.Context,
    project_id: ProjectIdArgument,
    name: Annotated[str, typer.Option("--name", help="The new name.")],
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Rename a project.

    Example: uniquectl projects update purple-shape-41136123 --name "Analytics (prod)"
    """
    _show_project(
        ctx,
        api_key,
        api_host,
        output,
        "Updated project",
        lambda client: client.projects.update(project_id, name=name),
    )


def delete_project(
    ctx: typer.Context,
    project_id: ProjectIdArgument,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Delete a project.

    Example: uniquectl projects delete purple-shape-41136123
    """
    _show_project(
        ctx,
        api_key,
        api_host,
        output,
        "Deleted project",
        lambda client: client.projects.delete(project_id),
    )
