"""One account's key cannot see or touch another account's resources (API.md, Conventions).

"Another account's resources are invisible: their ids answer 404, never 403." User B's key
neither lists nor revokes user A's API keys, and neither reads, renames, deletes, lists nor finds
A's projects. The 404 B gets for A's resource is the same as for an id that does not exist at all
(same status, code and message once the id itself is blanked out), so existence does not leak.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.helpers import Account, Service

REQUEST_ID = "isolation-check"
# Ids that cannot belong to anyone: a valid int64 no deployment reaches, and a project id that
# matches the id pattern but that the generator never makes (no 8-digit suffix).
MISSING_KEY_ID = 9_000_000_000_000_000_000
MISSING_PROJECT_ID = "no-such-project"


async def create_project(service: Service, owner: Account, name: str) -> dict[str, Any]:
    response = await service.client.post(
        "/projects", json={"project": {"name": name}}, headers=owner.headers
    )
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()["project"]
    return project


async def listed_key_ids(service: Service, owner: Account) -> list[int]:
    response = await service.client.get("/api_keys", headers=owner.headers)
    assert response.status_code == 200
    return [key["id"] for key in response.json()]


async def listed_project_ids(service: Service, owner: Account, **params: Any) -> list[str]:
    response = await service.client.get("/projects", params=params, headers=owner.headers)
    assert response.status_code == 200
    return [project["id"] for project in response.json()["projects"]]


def blanked(response: httpx.Response, resource_id: object) -> tuple[int, dict[str, Any]]:
    """The status and body with the requested id blanked out of the message."""
    body: dict[str, Any] = response.json()
    return response.status_code, {
        **body,
        "message": body["message"].replace(str(resource_id), "<id>"),
    }


async def assert_answers_as_missing(
    service: Service,
    other: Account,
    method: str,
    path: str,
    *,
    foreign_id: object,
    missing_id: object,
    body: dict[str, Any] | None = None,
) -> None:
    """B's request on A's resource answers the same 404 as on an id that does not exist: the
    request is ``method`` on ``path`` with the one id or the other in place of ``{id}``."""
    headers = {"Authorization": f"Bearer {other.key}", "X-Request-ID": REQUEST_ID}
    foreign = await service.client.request(
        method, path.format(id=foreign_id), json=body, headers=headers
    )
    missing = await service.client.request(
        method, path.format(id=missing_id), json=body, headers=headers
    )
    assert foreign.status_code == 404
    assert set(foreign.json()) == {"code", "message", "request_id"}
    assert foreign.json()["code"] == "NOT_FOUND"
    assert blanked(foreign, foreign_id) == blanked(missing, missing_id)


@pytest.fixture
async def other(service: Service) -> Account:
    """User B: a second account, with its own bootstrap key."""
    return await service.new_account(name="Bea Other")


# --- API keys -----------------------------------------------------------------------------------


async def test_another_accounts_keys_are_absent_from_my_list(
    service: Service, account: Account, other: Account
) -> None:
    a_key = await service.create_key(account, "a-ci")
    b_key = await service.create_key(other, "b-ci")

    b_listed = await listed_key_ids(service, other)

    assert sorted(b_listed) == sorted([other.key_id, b_key["id"]])
    assert account.key_id not in b_listed
    assert a_key["id"] not in b_listed


async def test_revoking_another_accounts_key_is_404_and_the_key_keeps_working(
    service: Service, account: Account, other: Account
) -> None:
    a_key = await service.create_key(account, "a-ci")

    await assert_answers_as_missing(
        service,
        other,
        "DELETE",
        "/api_keys/{id}",
        foreign_id=a_key["id"],
        missing_id=MISSING_KEY_ID,
    )

    a_key_headers = {"Authorization": f"Bearer {a_key['key']}"}
    assert (await service.client.get("/api_keys", headers=a_key_headers)).status_code == 200
    assert a_key["id"] in await listed_key_ids(service, account)


async def test_revoking_another_accounts_bootstrap_key_is_404_and_it_keeps_working(
    service: Service, account: Account, other: Account
) -> None:
    response = await service.client.delete(f"/api_keys/{account.key_id}", headers=other.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"
    assert (await service.client.get("/users/me", headers=account.headers)).status_code == 200


# --- Projects -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "body"),
    [
        pytest.param("GET", None, id="read"),
        pytest.param("PATCH", {"project": {"name": "taken over"}}, id="rename"),
        pytest.param("DELETE", None, id="delete"),
    ],
)
async def test_another_accounts_project_is_the_same_404_as_a_missing_one_and_stays_as_it_was(
    service: Service, account: Account, other: Account, method: str, body: dict[str, Any] | None
) -> None:
    project = await create_project(service, account, "a's project")

    await assert_answers_as_missing(
        service,
        other,
        method,
        "/projects/{id}",
        foreign_id=project["id"],
        missing_id=MISSING_PROJECT_ID,
        body=body,
    )

    after = await service.client.get(f"/projects/{project['id']}", headers=account.headers)
    assert after.status_code == 200
    assert after.json()["project"] == project
    assert await listed_project_ids(service, account) == [project["id"]]


async def test_another_accounts_projects_are_absent_from_my_list(
    service: Service, account: Account, other: Account
) -> None:
    a_first = await create_project(service, account, "shared name one")
    b_project = await create_project(service, other, "shared name two")
    a_second = await create_project(service, account, "shared name three")

    assert await listed_project_ids(service, other) == [b_project["id"]]
    assert await listed_project_ids(service, other, limit=400) == [b_project["id"]]
    assert await listed_project_ids(service, account) == [a_second["id"], a_first["id"]]


async def test_another_accounts_projects_are_not_found_by_search(
    service: Service, account: Account, other: Account
) -> None:
    a_project = await create_project(service, account, "shared name alpha")
    b_project = await create_project(service, other, "shared name beta")

    assert await listed_project_ids(service, other, search="shared name") == [b_project["id"]]
    assert await listed_project_ids(service, other, search="alpha") == []
    assert await listed_project_ids(service, other, search=a_project["id"]) == []
    assert await listed_project_ids(service, account, search="shared") == [a_project["id"]]


async def test_my_cursor_does_not_reveal_another_accounts_projects(
    service: Service, account: Account, other: Account
) -> None:
    b_old = await create_project(service, other, "b old")
    for i in range(3):
        await create_project(service, account, f"a {i}")
    b_new = await create_project(service, other, "b new")

    first = await service.client.get("/projects", params={"limit": 1}, headers=other.headers)
    assert [project["id"] for project in first.json()["projects"]] == [b_new["id"]]
    cursor = first.json()["pagination"]["cursor"]
    rest = await listed_project_ids(service, other, limit=400, cursor=cursor)
    assert rest == [b_old["id"]]
