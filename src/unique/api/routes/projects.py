"""``/api/v2/projects``: the records API keys protect."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path, Query, Response
from pydantic import BeforeValidator

from unique import accounts, projects
from unique.api.deps import ERROR_RESPONSES, CurrentCaller, authenticated_router
from unique.api.direct import call_directly
from unique.api.guard import Caller
from unique.api.requirements import requires
from unique.api.schemas import (
    NO_CONTROLS_PATTERN,
    ProjectCreated,
    ProjectCreateRequest,
    ProjectDetail,
    ProjectResponse,
    ProjectsPage,
    ProjectUpdated,
    ProjectUpdateRequest,
    json_response,
)
from unique.auth.access import Scope
from unique.db.reads import Row
from unique.db.tables import Project
from unique.errors import NotFound
from unique.organizations import ORG_ID_PATTERN
from unique.web.formats import CANONICAL_INTEGER
from unique.web.requests import CurrentRuntime, Database

router = authenticated_router("/projects", "Projects")

ProjectId = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,60}$", description="The project's id.")]
MiB = 1024 * 1024


def _strict_boolean(value: object) -> object:
    """A boolean in a query is written `true` or `false`, as Neon's clients write it."""
    if isinstance(value, str) and value not in ("true", "false"):
        raise ValueError("must be true or false")
    return value


# Goes after the Query, like CANONICAL_INTEGER.
STRICT_BOOLEAN = BeforeValidator(_strict_boolean)


def _list_item(project: Row | Project, proxy_domain: str) -> dict[str, Any]:
    """A ProjectListItem's fields."""
    region = project.region_id.split("-", 1)[1]
    return {
        "id": project.id,
        "name": project.name,
        "platform_id": project.platform_id,
        "region_id": project.region_id,
        "provisioner": project.provisioner,
        "pg_version": project.pg_version,
        "proxy_host": f"{region}.{project.platform_id}.{proxy_domain}",
        "locked": False,
        "cpu_used_sec": 0,
        "active_time": 0,
        "branch_logical_size_limit": project.branch_logical_size_limit,
        "branch_logical_size_limit_bytes": project.branch_logical_size_limit * MiB,
        "store_passwords": project.store_passwords,
        "creation_source": project.creation_source,
        "history_retention_seconds": project.history_retention_seconds,
        "owner_id": project.owner_id,
        **({"org_id": project.org_id} if project.org_id is not None else {}),
        "created_at": project.created_at,
        "updated_at": project.updated_at,
    }


def _detail(project: Project, proxy_domain: str) -> ProjectDetail:
    now = datetime.now(UTC)
    period_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    period_end = period_start.replace(
        year=period_start.year + period_start.month // 12, month=period_start.month % 12 + 1
    )
    return ProjectDetail(
        **_list_item(project, proxy_domain),
        data_storage_bytes_hour=0,
        data_transfer_bytes=0,
        written_data_bytes=0,
        compute_time_seconds=0,
        active_time_seconds=0,
        consumption_period_start=period_start,
        consumption_period_end=period_end,
        settings=projects.project_settings(project),
    )


@router.get(
    "",
    operation_id="listProjects",
    summary="List projects",
    response_model=ProjectsPage,
    response_model_exclude_none=True,
)
@requires(Scope.PROJECTS_READ, within_one_project=True)
@call_directly
async def list_projects(
    caller: CurrentCaller,
    runtime: CurrentRuntime,
    limit: Annotated[int, Query(ge=1, le=400), CANONICAL_INTEGER] = 10,
    cursor: Annotated[
        str | None, Query(pattern=f"^{projects.CURSOR_PATTERN.pattern}$", description="Opaque.")
    ] = None,
    search: Annotated[
        str | None,
        Query(
            max_length=projects.SEARCH_MAX_LENGTH,
            json_schema_extra={"pattern": NO_CONTROLS_PATTERN},
        ),
    ] = None,
    recoverable: Annotated[
        bool | None,
        Query(description="Neon's deleted projects within a recovery window: none here."),
        STRICT_BOOLEAN,
    ] = None,
    timeout: Annotated[  # noqa: ASYNC109 (Neon's parameter, accepted and ignored)
        int | None,
        Query(ge=100, le=30000, description="Milliseconds; accepted, ignored."),
        CANONICAL_INTEGER,
    ] = None,
    org_id: Annotated[
        str | None,
        Query(pattern=ORG_ID_PATTERN, description="An organization's projects instead of yours."),
    ] = None,
) -> Response:
    """Your personal projects, or with `org_id` an organization's you are a member of; newest
    first, a page at a time (repeat `search` and `limit` with `cursor`). Nothing here is ever
    deleted-but-recoverable, so `recoverable=true` lists none."""
    page = (
        projects.Page(projects=[], cursor=None)
        if recoverable
        else await projects.list_projects(
            runtime.reads,
            caller.principal.owner_id,
            limit=limit,
            cursor=cursor,
            search=search,
            only_project=caller.principal.access.project_id,
            org_id=org_id,
        )
    )
    domain = runtime.settings.proxy_domain
    # Written straight from the rows, in ProjectsPage's shape: the API's busiest route skips a
    # model per project and FastAPI's re-validation of the page.
    body: dict[str, Any] = {"projects": [_list_item(project, domain) for project in page.projects]}
    if page.cursor:
        body["pagination"] = {"cursor": page.cursor}
    body["applications"] = {}
    body["integrations"] = {}
    return json_response(body)


@router.post(
    "",
    status_code=201,
    operation_id="createProject",
    summary="Create a project",
    responses={422: ERROR_RESPONSES[400] | {"description": "The account's project limit."}},
)
@requires(Scope.PROJECTS_WRITE)
async def create_project(
    body: ProjectCreateRequest, caller: CurrentCaller, session: Database, runtime: CurrentRuntime
) -> ProjectCreated:
    """Keeps `settings`, `provisioner`, `store_passwords` and `history_retention_seconds`;
    `branch`, `default_endpoint_settings` and `autoscaling_limit_*_cu` are checked and ignored
    (this service runs no databases or computes)."""
    fields = body.project
    owner = await accounts.get_user(session, caller.principal.owner_id)
    assert owner is not None, "a key always belongs to an existing user"
    project = await projects.create_project(
        session,
        owner,
        regions=runtime.settings.regions,
        name=fields.name,
        region_id=fields.region_id,
        pg_version=fields.pg_version,
        provisioner=fields.provisioner,
        store_passwords=fields.store_passwords,
        history_retention_seconds=fields.history_retention_seconds,
        settings=None if fields.settings is None else fields.settings.as_given(),
        org_id=fields.org_id,
        creation_source="api",
        actor=caller.actor,
    )
    await session.commit()
    return ProjectCreated(
        project=_detail(project, runtime.settings.proxy_domain),
        connection_uris=[],
        roles=[],
        databases=[],
        operations=[],
        endpoints=[],
    )


def _within_reach(caller: Caller, project_id: str) -> None:
    """A key limited to one project sees no other: another id is as unknown as another
    account's."""
    reach = caller.principal.access.project_id
    if reach is not None and reach != project_id:
        raise NotFound(f"project {project_id} not found")


@router.get("/{project_id}", operation_id="getProject", summary="Get a project")
@requires(Scope.PROJECTS_READ, within_one_project=True)
async def get_project(
    project_id: ProjectId, caller: CurrentCaller, session: Database, runtime: CurrentRuntime
) -> ProjectResponse:
    _within_reach(caller, project_id)
    project = await projects.get_project(session, caller.principal.owner_id, project_id)
    return ProjectResponse(project=_detail(project, runtime.settings.proxy_domain))


@router.patch("/{project_id}", operation_id="updateProject", summary="Update a project")
@requires(Scope.PROJECTS_WRITE, within_one_project=True)
async def update_project(
    project_id: ProjectId,
    body: ProjectUpdateRequest,
    caller: CurrentCaller,
    session: Database,
    runtime: CurrentRuntime,
) -> ProjectUpdated:
    """Renames, merges `settings` (each top-level setting given replaces the stored one) and sets
    `history_retention_seconds`; `default_endpoint_settings` is checked and ignored."""
    _within_reach(caller, project_id)
    fields = body.project
    project = await projects.update_project(
        session,
        caller.principal.owner_id,
        project_id,
        name=fields.name,
        settings=None if fields.settings is None else fields.settings.as_given(),
        history_retention_seconds=fields.history_retention_seconds,
        actor=caller.actor,
    )
    await session.commit()
    return ProjectUpdated(project=_detail(project, runtime.settings.proxy_domain), operations=[])


@router.delete("/{project_id}", operation_id="deleteProject", summary="Delete a project")
@requires(Scope.PROJECTS_WRITE)
async def delete_project(
    project_id: ProjectId, caller: CurrentCaller, session: Database, runtime: CurrentRuntime
) -> ProjectResponse:
    project = await projects.delete_project(
        session,
        caller.principal.owner_id,
        project_id,
        actor=caller.actor,
    )
    await session.commit()
    return ProjectResponse(project=_detail(project, runtime.settings.proxy_domain))
