"""The client commands: ``me``, ``auth``, ``api-keys ...``, ``projects ...`` and ``orgs ...``.

Plain functions, registered by ``unique.client.cli.register`` into a Typer app (``uniquectl``'s
own, or the server's ``unique``); their examples name ``uniquectl``, and ``register`` puts the
program's own name there.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table
from unique.client import (
    READ_ONLY_SCOPES,
    SCOPES,
    Client,
    CreatedApiKey,
    Member,
    Organization,
    Project,
    RotatedApiKey,
)
from unique.client.cli._connection import (
    ApiHostOption,
    ApiKeyOption,
    Output,
    OutputOption,
    api_errors,
    connection,
    run,
    save,
    usage_error,
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
    "Create, list, rotate and revoke API keys.\n\n"
    "Example: uniquectl api-keys create --name ci-deploy --expires-in 30d --read-only"
)
_DURATION = re.compile(r"(\d+)([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str, option: str) -> timedelta:
    """``90m``, ``24h``, ``30d``, ``2w`` (or ``45s``) as a timedelta; anything else is a usage
    error naming ``option``."""
    found = _DURATION.fullmatch(value.strip())
    if found is None:
        raise usage_error(
            f"{option}: {value!r} is not a duration; use a whole number and a unit "
            "(s, m, h, d or w), e.g. 90m, 24h, 30d, 2w"
        )
    try:
        return timedelta(**{_UNITS[found.group(2)]: int(found.group(1))})
    except OverflowError:
        raise usage_error(f"{option}: {value!r} is too long") from None


def parse_time(value: str, option: str) -> datetime:
    """An ISO 8601 / RFC 3339 date or time (UTC unless it says otherwise); anything else is a
    usage error naming ``option``."""
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise usage_error(
            f"{option}: {value!r} is not a date or time; use e.g. 2027-01-31T12:00:00Z "
            "or 2027-01-31"
        ) from None
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=UTC)


def describe_access(scopes: list[str], project_id: str | None) -> str:
    """What a key may do, in a few words: ``Full access``, ``Read only`` or its scopes, and the
    one project it reaches."""
    held = set(scopes)
    if held >= set(SCOPES):
        what = "" if project_id else "Full access"
    elif held == set(READ_ONLY_SCOPES):
        what = "Read only"
    else:
        what = ", ".join(sorted(held))
    where = f"project {project_id}" if project_id else ""
    return "; ".join(part for part in (what, where) if part)


def describe_expiry(expires_at: datetime | None, now: datetime | None = None) -> str:
    """When a key stops working: ``never``, the time, or ``expired``."""
    if expires_at is None:
        return "never"
    if expires_at <= (now or datetime.now(UTC)):
        return "expired"
    return when(expires_at)


def list_keys(
    ctx: typer.Context,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """List the account's keys, newest first, with what each may do and when it expires
    (expired keys stay listed until revoked). Secrets are never shown again.

    Example: uniquectl api-keys list --output json
    """
    keys, chosen = run(ctx, api_key, api_host, output, lambda client: client.api_keys.list())
    now = datetime.now(UTC)
    emit(
        chosen,
        [key.raw for key in keys],
        lambda: table(
            "API keys",
            ["ID", "Name", "Access", "Expires", "Created", "Created by", "Last used", "From"],
            [
                [
                    str(key.id),
                    key.name,
                    describe_access(key.scopes, key.project_id),
                    describe_expiry(key.expires_at, now),
                    when(key.created_at),
                    key.created_by.name,
                    when(key.last_used_at),
                    key.last_used_from_addr,
                ]
                for key in keys
            ]
            or [["", "No API keys yet", "", "", "", "", "", ""]],
        ),
    )


def _new_secret(heading: str, created: CreatedApiKey, *notes: str) -> str:
    """A new key as the table output shows it: the secret once, with what the key may do."""
    access = describe_access(created.scopes, created.project_id)
    lines = [
        f"{heading}:",
        "",
        f"  {created.key}",
        "",
        f"Access: {escape(access)}. Expires: {describe_expiry(created.expires_at)}.",
        *notes,
        "[yellow]Store it now in a safe place: it cannot be shown again.[/yellow]",
    ]
    return "\n".join(lines)


def create_key(
    ctx: typer.Context,
    name: Annotated[str, typer.Option("--name", help="A name for the key (1-64 characters).")],
    expires_in: Annotated[
        str | None,
        typer.Option(
            "--expires-in", metavar="DURATION", help="Expire after 90m, 24h, 30d, 2w, ..."
        ),
    ] = None,
    expires_at: Annotated[
        str | None,
        typer.Option(
            "--expires-at",
            metavar="TIME",
            help="Expire at this RFC 3339 time or date (UTC unless it says), e.g. 2027-01-31.",
        ),
    ] = None,
    scopes: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            metavar="SCOPE",
            help=f"Allow only this (repeat it, or separate with commas): {', '.join(SCOPES)}. "
            "X:write implies X:read. Default: everything the creating key may do.",
        ),
    ] = None,
    read_only: Annotated[
        bool, typer.Option("--read-only", help="Allow every :read scope and nothing else.")
    ] = False,
    project: Annotated[
        str | None,
        typer.Option("--project", metavar="ID", help="Reach this one project and nothing else."),
    ] = None,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Create a key and print it. It is shown this once: store it safely.

    With only --name the new key gets what the creating key has: its scopes, its project and
    its expiry (none, for a key that never expires).

    Examples: uniquectl api-keys create --name ci-deploy --output json | jq -r .key;
    uniquectl api-keys create --name dashboards --read-only --expires-in 30d;
    uniquectl api-keys create --name deploy --scope projects:write --project misty-lake-12345678
    """
    if expires_in is not None and expires_at is not None:
        raise usage_error("give --expires-in or --expires-at, not both")
    if read_only and scopes:
        raise usage_error("give --scope or --read-only, not both")
    lifetime = parse_duration(expires_in, "--expires-in") if expires_in is not None else None
    if lifetime is not None and not lifetime:
        raise usage_error("--expires-in: the duration must be more than zero")
    end = parse_time(expires_at, "--expires-at") if expires_at is not None else None
    named = [part.strip() for item in scopes or [] for part in item.split(",") if part.strip()]
    created, chosen = run(
        ctx,
        api_key,
        api_host,
        output,
        lambda client: client.api_keys.create(
            name,
            expires_at=end,
            expires_in=lifetime,
            scopes=named or None,
            read_only=read_only,
            project_id=project,
        ),
    )
    emit(
        chosen,
        created.raw,
        lambda: _new_secret(
            f"Created API key [bold]{escape(created.name)}[/bold] (id {created.id})", created
        ),
    )


def rotate_key(
    ctx: typer.Context,
    key_id: Annotated[int, typer.Argument(help="The key's id, from `api-keys list`.")],
    grace: Annotated[
        str | None,
        typer.Option(
            "--grace",
            metavar="DURATION",
            help="Keep the old key working this long (up to 7d), e.g. 90m, 24h. "
            "Default: revoke it at once.",
        ),
    ] = None,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Replace a key by a new one with the same name, access and lifetime length, and print
    the new key. It is shown this once: store it safely. A key can be rotated only once.

    Example: uniquectl api-keys rotate 177630 --grace 24h
    """
    grace_period = parse_duration(grace, "--grace") if grace is not None else None
    rotated, chosen = run(
        ctx,
        api_key,
        api_host,
        output,
        lambda client: client.api_keys.rotate(key_id, grace_period=grace_period),
    )
    kept_for = grace.strip() if grace is not None and grace_period else None
    emit(chosen, rotated.raw, lambda: _rotated(rotated, kept_for))


def _rotated(rotated: RotatedApiKey, kept_for: str | None) -> str:
    old = f"The old key (id {rotated.rotated_from})"
    old += f" keeps working for {kept_for}." if kept_for else " is revoked."
    heading = f"Rotated API key [bold]{escape(rotated.name)}[/bold]: new id {rotated.id}"
    return _new_secret(heading, rotated, old)


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


# --- orgs ------------------------------------------------------------------------------------

ORGS_HELP = (
    "Create, list, inspect, rename and delete organizations, and manage their members.\n\n"
    "Example: uniquectl orgs create --name Acme"
)
ORGANIZATION_COLUMNS = ["ID", "Name", "Handle", "Created"]
MEMBER_COLUMNS = ["ID", "User ID", "Role", "Joined"]


class Role(StrEnum):
    admin = "admin"
    member = "member"


OrgIdArgument = Annotated[
    str, typer.Argument(metavar="ORG_ID", help="The organization's id, from `orgs list`.")
]
MemberIdArgument = Annotated[
    uuid.UUID,
    typer.Argument(metavar="MEMBER_ID", help="The member's id, from `orgs members ORG_ID`."),
]
OrgNameOption = Annotated[str, typer.Option("--name", help="The name (1-64 characters).")]


def _organization_row(organization: Organization) -> list[str]:
    return [organization.id, organization.name, organization.handle, when(organization.created_at)]


def _member_row(member: Member) -> list[str]:
    return [member.id, member.user_id, member.role, when(member.joined_at)]


def _show_organization(
    ctx: typer.Context,
    api_key: str | None,
    api_host: str | None,
    output: Output | None,
    title: str,
    call: Callable[[Client], Organization],
) -> None:
    """What the organization commands but ``list`` share: ``call`` as ``run`` makes it, and the
    organization it answers with shown under ``title`` (or its JSON, for json and yaml)."""
    organization, chosen = run(ctx, api_key, api_host, output, call)
    emit(
        chosen,
        organization.raw,
        lambda: table(title, ORGANIZATION_COLUMNS, [_organization_row(organization)]),
    )


def list_orgs(
    ctx: typer.Context,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """List the organizations you are a member of.

    Example: uniquectl orgs list --output json
    """
    found, chosen = run(ctx, api_key, api_host, output, lambda client: client.organizations.list())
    emit(
        chosen,
        {"organizations": [organization.raw for organization in found]},
        lambda: table(
            "Organizations",
            ORGANIZATION_COLUMNS,
            [_organization_row(organization) for organization in found]
            or [["", "No organizations", "", ""]],
        ),
    )


def create_org(
    ctx: typer.Context,
    name: OrgNameOption,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Create an organization; you become its admin.

    Example: uniquectl orgs create --name Acme
    """
    _show_organization(
        ctx,
        api_key,
        api_host,
        output,
        "Created organization",
        lambda client: client.organizations.create(name),
    )


def get_org(
    ctx: typer.Context,
    org_id: OrgIdArgument,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Show one organization.

    Example: uniquectl orgs get org-misty-lake-12345678 --output yaml
    """
    _show_organization(
        ctx,
        api_key,
        api_host,
        output,
        "Organization",
        lambda client: client.organizations.get(org_id),
    )


def rename_org(
    ctx: typer.Context,
    org_id: OrgIdArgument,
    name: OrgNameOption,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Rename an organization (admins only).

    Example: uniquectl orgs rename org-misty-lake-12345678 --name "Acme Corp"
    """
    _show_organization(
        ctx,
        api_key,
        api_host,
        output,
        "Renamed organization",
        lambda client: client.organizations.rename(org_id, name),
    )


def delete_org(
    ctx: typer.Context,
    org_id: OrgIdArgument,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Delete an organization (admins only; refused while it owns projects).

    Example: uniquectl orgs delete org-misty-lake-12345678
    """
    _show_organization(
        ctx,
        api_key,
        api_host,
        output,
        "Deleted organization",
        lambda client: client.organizations.delete(org_id),
    )


def list_members(
    ctx: typer.Context,
    org_id: OrgIdArgument,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """List an organization's members with their e-mail addresses, admins first.

    Example: uniquectl orgs members org-misty-lake-12345678
    """
    found, chosen = run(
        ctx, api_key, api_host, output, lambda client: client.organizations.members(org_id)
    )
    emit(
        chosen,
        {"members": [listed.raw for listed in found]},
        lambda: table(
            f"Members of {escape(org_id)}",
            ["ID", "Email", "Role", "Joined"],
            [
                [listed.member.id, listed.email, listed.member.role, when(listed.member.joined_at)]
                for listed in found
            ],
        ),
    )


def set_role(
    ctx: typer.Context,
    org_id: OrgIdArgument,
    member_id: MemberIdArgument,
    role: Annotated[Role, typer.Option("--role", help="The member's new role.")],
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Make a member an admin or a plain member (admins only; the last admin stays one).

    Example: uniquectl orgs set-role org-misty-lake-12345678 MEMBER_ID --role admin
    """
    changed, chosen = run(
        ctx,
        api_key,
        api_host,
        output,
        lambda client: client.organizations.change_role(org_id, member_id, role.value),
    )
    emit(chosen, changed.raw, lambda: table("Changed role", MEMBER_COLUMNS, [_member_row(changed)]))


def remove_member(
    ctx: typer.Context,
    org_id: OrgIdArgument,
    member_id: MemberIdArgument,
    api_key: ApiKeyOption = None,
    api_host: ApiHostOption = None,
    output: OutputOption = None,
) -> None:
    """Remove a member: admins remove anyone, a member may remove themself; the last admin
    cannot leave.

    Example: uniquectl orgs remove-member org-misty-lake-12345678 MEMBER_ID
    """
    _, chosen = run(
        ctx,
        api_key,
        api_host,
        output,
        lambda client: client.organizations.remove_member(org_id, member_id),
    )
    # The API answers {}: json and yaml print just that.
    emit(chosen, {}, lambda: f"Removed member {member_id} from {escape(org_id)}.")
