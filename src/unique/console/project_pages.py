"""The projects page: list and search, create, rename, delete."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import RedirectResponse

from unique import projects
from unique.console.web import (
    ConsoleRoute,
    SignedIn,
    SignedInForm,
    render_signed_in,
)
from unique.errors import InvalidInput, LimitExceeded, NotFound
from unique.web.requests import Database, actor_of, runtime_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 20
ProjectId = Annotated[str, Path(pattern=r"^[a-z0-9-]{1,60}$")]
_NOTICES = {
    "created": "Project {} created.",
    "renamed": "Project {} renamed.",
    "deleted": "Project {} deleted.",
}


def _done(action: str, project_id: str) -> Response:
    return RedirectResponse(f"/projects?done={action}&project={project_id}", status_code=303)


async def _page(
    request: Request,
    login: SignedIn,
    *,
    search: str = "",
    cursor: str = "",
    status_code: int = 200,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    runtime = runtime_of(request)
    try:
        page = await projects.list_projects(
            runtime.reads,
            login.user.id,
            limit=PAGE_SIZE,
            cursor=cursor or None,
            search=search or None,
        )
    except InvalidInput:
        page = await projects.list_projects(runtime.reads, login.user.id, limit=PAGE_SIZE)
    return render_signed_in(
        request,
        login,
        "projects.html",
        status_code=status_code,
        nav="projects",
        projects=page.projects,
        next_cursor=page.cursor if len(page.projects) == PAGE_SIZE else None,
        search=search,
        regions=runtime.settings.regions,
        pg_versions=list(projects.PG_VERSIONS),
        default_pg_version=projects.DEFAULT_PG_VERSION,
        error=error,
        notice=notice,
    )


@router.get("/projects")
async def projects_page(
    request: Request,
    login: SignedIn,
    search: Annotated[str, Query(max_length=projects.SEARCH_MAX_LENGTH)] = "",
    cursor: Annotated[str, Query(max_length=32)] = "",
    done: Annotated[str, Query(max_length=16)] = "",
    project: Annotated[str, Query(pattern=r"^[a-z0-9-]{0,60}$")] = "",
) -> Response:
    # Notices come from a fixed list: a link must not be able to put words in our mouth.
    notice = _NOTICES[done].format(project) if done in _NOTICES else None
    return await _page(request, login, search=search.strip(), cursor=cursor, notice=notice)


@router.post("/projects")
async def create_project(
    request: Request,
    session: Database,
    login: SignedInForm,
    name: Annotated[str, Form(max_length=1024)] = "",
    region_id: Annotated[str, Form(max_length=64)] = "",
    pg_version: Annotated[str, Form(max_length=4)] = "",
) -> Response:
    runtime = runtime_of(request)
    try:
        project = await projects.create_project(
            session,
            login.user,
            regions=runtime.settings.regions,
            name=name if name.strip() else None,
            region_id=region_id or None,
            pg_version=int(pg_version) if re.fullmatch(r"[0-9]{1,3}", pg_version) else None,
            creation_source="console",
            actor=actor_of(request, login.user.id),
        )
    except (InvalidInput, LimitExceeded) as error:
        return await _page(request, login, status_code=400, error=error.message)
    await session.commit()
    return _done("created", project.id)


@router.post("/projects/{project_id}/rename")
async def rename_project(
    request: Request,
    project_id: ProjectId,
    session: Database,
    login: SignedInForm,
    name: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        await projects.rename_project(
            session,
            login.user.id,
            project_id,
            name,
            actor=actor_of(request, login.user.id),
        )
    except (InvalidInput, NotFound) as error:
        return await _page(request, login, status_code=400, error=error.message)
    await session.commit()
    return _done("renamed", project_id)


@router.post("/projects/{project_id}/delete")
async def delete_project(
    request: Request,
    project_id: ProjectId,
    session: Database,
    login: SignedInForm,
) -> Response:
    try:
        await projects.delete_project(
            session,
            login.user.id,
            project_id,
            actor=actor_of(request, login.user.id),
        )
    except NotFound as error:
        return await _page(request, login, status_code=404, error=error.message)
    await session.commit()
    return _done("deleted", project_id)
