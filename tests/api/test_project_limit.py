"""An account holds at most its limit of projects, however many creations arrive at once."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import func, select, update

from tests.helpers import Account, Service, assert_error
from unique.db.tables import Project, User

LIMIT = 3


async def limit_projects(service: Service, account: Account, limit: int) -> None:
    async with service.runtime.sessions.begin() as session:
        await session.execute(
            update(User).where(User.id == account.user_id).values(projects_limit=limit)
        )


async def stored_projects(service: Service, account: Account) -> int:
    async with service.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(Project).where(Project.owner_id == account.user_id)
        )
    return int(count or 0)


async def create(service: Service, account: Account) -> httpx.Response:
    return await service.client.post("/projects", json={"project": {}}, headers=account.headers)


async def test_creating_past_the_limit_is_refused(service: Service, account: Account) -> None:
    await limit_projects(service, account, LIMIT)
    for _ in range(LIMIT):
        assert (await create(service, account)).status_code == 201
    refused = await create(service, account)
    assert_error(refused, 422, code="LIMIT_EXCEEDED")
    assert f"limit of {LIMIT} projects" in refused.json()["message"]
    assert await stored_projects(service, account) == LIMIT


async def test_a_deleted_project_frees_its_place(service: Service, account: Account) -> None:
    await limit_projects(service, account, 1)
    first = (await create(service, account)).json()["project"]["id"]
    assert (await create(service, account)).status_code == 422
    deleted = await service.client.delete(f"/projects/{first}", headers=account.headers)
    assert deleted.status_code == 200
    assert (await create(service, account)).status_code == 201


async def test_concurrent_creations_never_exceed_the_limit(
    service: Service, account: Account
) -> None:
    await limit_projects(service, account, LIMIT)
    answers = await asyncio.gather(*(create(service, account) for _ in range(8)))
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * LIMIT + [422] * (8 - LIMIT)
    assert await stored_projects(service, account) == LIMIT
