"""An organization's projects (API.md, "Organizations"), on SQLite and PostgreSQL.

A member creates a project with ``project.org_id``; every member's personal keys list it with
``GET /projects?org_id=`` and may read and rename it; deleting it takes an admin. The personal
listing stays personal. Someone outside gets 404 for all of it. A member's keys reach the
organization's projects until the moment their removal is answered, and not one request more.
"""

from __future__ import annotations

from typing import Any

from tests.api.test_organizations import create_organization, join
from tests.helpers import Account, Service, assert_error


async def create_org_project(
    service: Service, member: Account, org_id: str, name: str = "shared"
) -> Any:
    response = await service.client.post(
        "/projects", json={"project": {"name": name, "org_id": org_id}}, headers=member.headers
    )
    assert response.status_code == 201, response.text
    return response.json()["project"]


async def listed_ids(service: Service, user: Account, **params: str) -> list[str]:
    response = await service.client.get("/projects", params=params, headers=user.headers)
    assert response.status_code == 200, response.text
    return [project["id"] for project in response.json()["projects"]]


async def test_members_share_the_organizations_projects_and_keep_their_own_apart(
    service: Service, account: Account
) -> None:
    org = await create_organization(service, account)
    bob = await service.new_account("bob@example.com", "Bob")
    await join(service, org["id"], bob)
    personal = await service.client.post(
        "/projects", json={"project": {"name": "alice's own"}}, headers=account.headers
    )
    shared = await create_org_project(service, bob, org["id"])
    assert shared["org_id"] == org["id"]
    assert "org_id" not in personal.json()["project"]

    for member in (account, bob):
        assert await listed_ids(service, member, org_id=org["id"]) == [shared["id"]]
        fetched = await service.client.get(f"/projects/{shared['id']}", headers=member.headers)
        assert fetched.status_code == 200
        assert fetched.json()["project"]["name"] == "shared"
    assert await listed_ids(service, account) == [personal.json()["project"]["id"]]
    assert await listed_ids(service, bob) == []

    renamed = await service.client.patch(
        f"/projects/{shared['id']}", json={"project": {"name": "renamed"}}, headers=bob.headers
    )
    assert renamed.json()["project"]["name"] == "renamed"


async def test_deleting_an_organizations_project_takes_an_admin(
    service: Service, account: Account
) -> None:
    org = await create_organization(service, account)
    bob = await service.new_account("bob@example.com", "Bob")
    await join(service, org["id"], bob)
    shared = await create_org_project(service, bob, org["id"])

    refused = await service.client.delete(f"/projects/{shared['id']}", headers=bob.headers)
    assert_error(refused, 403, code="FORBIDDEN")
    still = await service.client.get(f"/projects/{shared['id']}", headers=bob.headers)
    assert still.status_code == 200
    org_refused = await service.client.delete(
        f"/organizations/{org['id']}", headers=account.headers
    )
    assert_error(org_refused, 409, code="CONFLICT")

    deleted = await service.client.delete(f"/projects/{shared['id']}", headers=account.headers)
    assert deleted.status_code == 200, deleted.text
    assert await listed_ids(service, bob, org_id=org["id"]) == []
    gone = await service.client.delete(f"/organizations/{org['id']}", headers=account.headers)
    assert gone.status_code == 200


async def test_someone_outside_cannot_see_create_or_touch_them(
    service: Service, account: Account
) -> None:
    org = await create_organization(service, account)
    shared = await create_org_project(service, account, org["id"])
    stranger = await service.new_account()

    assert_error(
        await service.client.get(
            "/projects", params={"org_id": org["id"]}, headers=stranger.headers
        ),
        404,
        code="NOT_FOUND",
    )
    created = await service.client.post(
        "/projects", json={"project": {"org_id": org["id"]}}, headers=stranger.headers
    )
    assert_error(created, 404, code="NOT_FOUND")
    for method, body in (("GET", None), ("PATCH", {"project": {"name": "x"}}), ("DELETE", None)):
        response = await service.client.request(
            method, f"/projects/{shared['id']}", json=body, headers=stranger.headers
        )
        assert_error(response, 404, code="NOT_FOUND")
    assert await listed_ids(service, account, org_id=org["id"]) == [shared["id"]]


async def test_a_removed_members_keys_stop_reaching_them_at_once(
    service: Service, account: Account
) -> None:
    org = await create_organization(service, account)
    bob = await service.new_account("bob@example.com", "Bob")
    bob_member = await join(service, org["id"], bob)
    shared = await create_org_project(service, account, org["id"])
    bobs_other_key = await service.another_key(bob, "laptop")
    for key in (bob, bobs_other_key):
        fetched = await service.client.get(f"/projects/{shared['id']}", headers=key.headers)
        assert fetched.status_code == 200

    removed = await service.client.delete(
        f"/organizations/{org['id']}/members/{bob_member}", headers=account.headers
    )
    assert removed.status_code == 200

    for key in (bob, bobs_other_key):
        assert_error(
            await service.client.get(f"/projects/{shared['id']}", headers=key.headers),
            404,
            code="NOT_FOUND",
        )
        assert_error(
            await service.client.get(
                "/projects", params={"org_id": org["id"]}, headers=key.headers
            ),
            404,
            code="NOT_FOUND",
        )


async def test_a_one_project_key_for_an_organizations_project_reaches_it_alone(
    service: Service, account: Account
) -> None:
    org = await create_organization(service, account)
    shared = await create_org_project(service, account, org["id"])
    other = await create_org_project(service, account, org["id"], "other")
    limited = await service.another_key(account, "one", project_id=shared["id"])
    assert await listed_ids(service, limited, org_id=org["id"]) == [shared["id"]]
    assert_error(
        await service.client.get(f"/projects/{other['id']}", headers=limited.headers),
        404,
        code="NOT_FOUND",
    )


async def test_a_bad_org_id_is_400_naming_it_and_creates_nothing(
    service: Service, account: Account
) -> None:
    for bad in (7, "", "acme", "org-" + "x" * 80, ["org-a-b-1"]):
        response = await service.client.post(
            "/projects", json={"project": {"org_id": bad}}, headers=account.headers
        )
        assert_error(response, 400, field="org_id")
        listed = await service.client.get(
            "/projects", params={"org_id": str(bad)}, headers=account.headers
        )
        assert_error(listed, 400, field="org_id")
    assert await listed_ids(service, account) == []
