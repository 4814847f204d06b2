"""Organizations and their members through the API (API.md, "Organizations"), on SQLite and
PostgreSQL.

The creator of an organization is its admin. Members see it; anyone else gets 404, never 403, so
ids cannot be probed. Admins rename and delete it (not while it owns projects) and change roles;
a member may leave. The last admin can be neither demoted nor removed, even when two admins try
at once.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from typing import Any

import pytest
from sqlalchemy import delete

from tests.helpers import Account, Service, assert_error
from unique import organizations
from unique.actor import Actor
from unique.db.tables import Project
from unique.errors import Forbidden
from unique.organizations import Role

ORG_ID = re.compile(r"org-[a-z]+-[a-z]+-[0-9]{8}")
ORGANIZATION_FIELDS = {"id", "name", "handle", "plan", "managed_by", "created_at", "updated_at"}


async def create_organization(service: Service, admin: Account, name: str = "Acme") -> Any:
    response = await service.client.post(
        "/organizations", json={"organization": {"name": name}}, headers=admin.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


async def join(service: Service, org_id: str, user: Account, role: Role = Role.MEMBER) -> str:
    """``user`` joins as ``role``, as accepting an invitation makes them; their member id."""
    async with service.runtime.sessions.begin() as session:
        member = await organizations.add_member(
            session, org_id, user.user_id, role, Actor(user.user_id)
        )
    return str(member.id)


async def member_id_of(service: Service, org_id: str, admin: Account, user: Account) -> str:
    listed = await service.client.get(f"/organizations/{org_id}/members", headers=admin.headers)
    (found,) = [m for m in listed.json()["members"] if m["user"]["email"] == user.email]
    return str(found["member"]["id"])


async def test_the_creator_is_the_one_admin_and_sees_it_among_their_organizations(
    service: Service, account: Account
) -> None:
    created = await create_organization(service, account, "  Acme Inc.  ")
    assert set(created) == ORGANIZATION_FIELDS
    assert ORG_ID.fullmatch(created["id"])
    assert created["name"] == "Acme Inc."
    assert created["handle"] == f"acme-inc-{created['id'][-8:]}"
    assert (created["plan"], created["managed_by"]) == ("self-hosted", "console")

    mine = await service.client.get("/users/me/organizations", headers=account.headers)
    assert mine.json() == {"organizations": [created]}
    fetched = await service.client.get(f"/organizations/{created['id']}", headers=account.headers)
    assert fetched.json() == created
    members = (
        await service.client.get(f"/organizations/{created['id']}/members", headers=account.headers)
    ).json()["members"]
    assert len(members) == 1
    assert members[0]["user"] == {"email": account.email}
    assert members[0]["member"]["role"] == "admin"
    assert members[0]["member"]["user_id"] == str(account.user_id)
    assert members[0]["member"]["org_id"] == created["id"]


async def test_someone_outside_gets_404_for_everything_about_it(
    service: Service, account: Account
) -> None:
    org = await create_organization(service, account)
    stranger = await service.new_account()
    member_id = await member_id_of(service, org["id"], account, account)
    requests = [
        ("GET", f"/organizations/{org['id']}", None),
        ("PATCH", f"/organizations/{org['id']}", {"name": "Mine now"}),
        ("DELETE", f"/organizations/{org['id']}", None),
        ("GET", f"/organizations/{org['id']}/members", None),
        ("GET", f"/organizations/{org['id']}/members/{member_id}", None),
        ("PATCH", f"/organizations/{org['id']}/members/{member_id}", {"role": "member"}),
        ("DELETE", f"/organizations/{org['id']}/members/{member_id}", None),
    ]
    for method, path, body in requests:
        response = await service.client.request(method, path, json=body, headers=stranger.headers)
        assert_error(response, 404, code="NOT_FOUND")
        missing = path.replace(org["id"], "org-no-such-00000000")
        response = await service.client.request(method, missing, json=body, headers=account.headers)
        assert_error(response, 404, code="NOT_FOUND")
    assert (
        await service.client.get("/users/me/organizations", headers=stranger.headers)
    ).json() == {"organizations": []}
    fetched = await service.client.get(f"/organizations/{org['id']}", headers=account.headers)
    assert fetched.json() == org


async def test_an_admin_renames_it_and_a_member_may_not(service: Service, account: Account) -> None:
    org = await create_organization(service, account)
    bob = await service.new_account("bob@example.com", "Bob")
    await join(service, org["id"], bob)

    refused = await service.client.patch(
        f"/organizations/{org['id']}", json={"name": "Bob's"}, headers=bob.headers
    )
    assert_error(refused, 403, code="FORBIDDEN")
    renamed = await service.client.patch(
        f"/organizations/{org['id']}", json={"name": "Acme Corp"}, headers=account.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Acme Corp"
    seen_by_bob = await service.client.get(f"/organizations/{org['id']}", headers=bob.headers)
    assert seen_by_bob.json()["name"] == "Acme Corp"


async def test_roles_change_and_the_last_admin_stays(service: Service, account: Account) -> None:
    org = await create_organization(service, account)
    bob = await service.new_account("bob@example.com", "Bob")
    bob_id = await join(service, org["id"], bob)
    alice_id = await member_id_of(service, org["id"], account, account)
    members = f"/organizations/{org['id']}/members"

    demote_self = await service.client.patch(
        f"{members}/{alice_id}", json={"role": "member"}, headers=account.headers
    )
    assert_error(demote_self, 409, code="CONFLICT")
    leave = await service.client.delete(f"{members}/{alice_id}", headers=account.headers)
    assert_error(leave, 409, code="CONFLICT")
    bob_tries = await service.client.patch(
        f"{members}/{bob_id}", json={"role": "admin"}, headers=bob.headers
    )
    assert_error(bob_tries, 403, code="FORBIDDEN")
    assert_error(
        await service.client.get(f"{members}/{alice_id}", headers=bob.headers),
        403,
        code="FORBIDDEN",
    )

    promoted = await service.client.patch(
        f"{members}/{bob_id}", json={"role": "admin"}, headers=account.headers
    )
    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "admin"
    demoted = await service.client.patch(
        f"{members}/{alice_id}", json={"role": "member"}, headers=account.headers
    )
    assert demoted.json()["role"] == "member"
    fetched = await service.client.get(f"{members}/{alice_id}", headers=bob.headers)
    assert fetched.json() == demoted.json()


async def test_two_admins_demoting_each_other_at_once_leave_one_admin(
    service: Service, account: Account
) -> None:
    org = await create_organization(service, account)
    bob = await service.new_account("bob@example.com", "Bob")
    bob_id = await join(service, org["id"], bob, Role.ADMIN)
    alice_id = await member_id_of(service, org["id"], account, account)

    async with service.runtime.sessions() as first, service.runtime.sessions() as second:
        # Alice demotes Bob; before that commits, Bob demotes Alice.
        await organizations.change_role(
            first, org["id"], uuid.UUID(bob_id), "member", account.user_id, Actor(account.user_id)
        )
        bobs_change = asyncio.create_task(
            organizations.change_role(
                second, org["id"], uuid.UUID(alice_id), "member", bob.user_id, Actor(bob.user_id)
            )
        )
        await asyncio.sleep(0.2)  # lets Bob's change start and reach the organization's row
        await first.commit()
        with pytest.raises(Forbidden):
            await bobs_change

    listed = await service.client.get(
        f"/organizations/{org['id']}/members", headers=account.headers
    )
    roles = {m["user"]["email"]: m["member"]["role"] for m in listed.json()["members"]}
    assert roles == {account.email: "admin", bob.email: "member"}


async def test_a_member_leaves_and_an_admin_removes_members(
    service: Service, account: Account
) -> None:
    org = await create_organization(service, account)
    bob = await service.new_account("bob@example.com", "Bob")
    carol = await service.new_account("carol@example.com", "Carol")
    bob_id = await join(service, org["id"], bob)
    carol_id = await join(service, org["id"], carol)
    members = f"/organizations/{org['id']}/members"

    assert_error(
        await service.client.delete(f"{members}/{carol_id}", headers=bob.headers),
        403,
        code="FORBIDDEN",
    )
    left = await service.client.delete(f"{members}/{bob_id}", headers=bob.headers)
    assert (left.status_code, left.json()) == (200, {})
    assert_error(
        await service.client.get(f"/organizations/{org['id']}", headers=bob.headers),
        404,
        code="NOT_FOUND",
    )
    removed = await service.client.delete(f"{members}/{carol_id}", headers=account.headers)
    assert removed.status_code == 200
    assert (await service.client.get("/users/me/organizations", headers=carol.headers)).json() == {
        "organizations": []
    }
    emails = [
        m["user"]["email"]
        for m in (await service.client.get(members, headers=account.headers)).json()["members"]
    ]
    assert emails == [account.email]


async def test_deleting_is_for_admins_and_refused_while_it_owns_projects(
    service: Service, account: Account
) -> None:
    org = await create_organization(service, account)
    bob = await service.new_account("bob@example.com", "Bob")
    await join(service, org["id"], bob)
    assert_error(
        await service.client.delete(f"/organizations/{org['id']}", headers=bob.headers),
        403,
        code="FORBIDDEN",
    )
    async with service.runtime.sessions.begin() as session:
        session.add(
            Project(
                id="quiet-lake-12345678",
                owner_id=account.user_id,
                org_id=org["id"],
                name="shared",
                platform_id="aws",
                region_id="aws-us-east-2",
                pg_version=17,
                creation_source="api",
            )
        )
    refused = await service.client.delete(f"/organizations/{org['id']}", headers=account.headers)
    assert_error(refused, 409, code="CONFLICT", field="1 project")
    async with service.runtime.sessions.begin() as session:
        await session.execute(delete(Project).where(Project.id == "quiet-lake-12345678"))
    deleted = await service.client.delete(f"/organizations/{org['id']}", headers=account.headers)
    assert (deleted.status_code, deleted.json()) == (200, org)
    for user in (account, bob):
        gone = await service.client.get(f"/organizations/{org['id']}", headers=user.headers)
        assert_error(gone, 404, code="NOT_FOUND")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"organization": {}}, "name"),
        ({"organization": {"name": ""}}, "name"),
        ({"organization": {"name": "   "}}, "name"),
        ({"organization": {"name": "x" * 65}}, "name"),
        ({"organization": {"name": 7}}, "name"),
        ({"organization": {"name": "a\u202eb"}}, "name"),
        ({"organization": {"name": "Acme", "plan": "free"}}, "plan"),
        ({"name": "Acme"}, "organization"),
        ([], "body"),
    ],
)
async def test_a_bad_organization_is_400_naming_the_field_and_creates_nothing(
    service: Service, account: Account, body: Any, field: str
) -> None:
    response = await service.client.post("/organizations", json=body, headers=account.headers)
    assert_error(response, 400, field=field)
    mine = await service.client.get("/users/me/organizations", headers=account.headers)
    assert mine.json() == {"organizations": []}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/members/{member}", {"role": "owner"}, "role"),
        ("/members/{member}", {"role": None}, "role"),
        ("/members/{member}", {}, "role"),
        ("/members/not-a-uuid", {"role": "admin"}, "member_id"),
        ("", {"name": "<script>alert(1)</script>", "extra": 1}, "extra"),
    ],
)
async def test_a_bad_change_is_400_naming_the_field_and_changes_nothing(
    service: Service, account: Account, path: str, body: Any, field: str
) -> None:
    org = await create_organization(service, account)
    member = await member_id_of(service, org["id"], account, account)
    response = await service.client.patch(
        f"/organizations/{org['id']}{path.format(member=member)}",
        json=body,
        headers=account.headers,
    )
    assert_error(response, 400, field=field)
    assert (
        await service.client.get(f"/organizations/{org['id']}", headers=account.headers)
    ).json() == org
    listed = (
        await service.client.get(f"/organizations/{org['id']}/members", headers=account.headers)
    ).json()["members"]
    assert [m["member"]["role"] for m in listed] == ["admin"]


async def test_keys_need_the_organization_scopes_and_one_project_keys_are_refused(
    service: Service, account: Account
) -> None:
    org = await create_organization(service, account)
    reader = await service.another_key(account, "reader", scopes=["organizations:read"])
    assert (
        await service.client.get(f"/organizations/{org['id']}", headers=reader.headers)
    ).status_code == 200
    refused = await service.client.patch(
        f"/organizations/{org['id']}", json={"name": "x"}, headers=reader.headers
    )
    assert_error(refused, 403, code="FORBIDDEN")
    assert 'scope="organizations:write"' in refused.headers["www-authenticate"]
    projects_only = await service.another_key(account, "projects", scopes=["projects:read"])
    assert_error(
        await service.client.get("/users/me/organizations", headers=projects_only.headers),
        403,
        code="FORBIDDEN",
    )
    created = await service.client.post(
        "/projects", json={"project": {"name": "p"}}, headers=account.headers
    )
    one_project = await service.another_key(
        account, "one", project_id=created.json()["project"]["id"]
    )
    assert_error(
        await service.client.get("/users/me/organizations", headers=one_project.headers),
        403,
        code="FORBIDDEN",
    )


async def test_auth_names_the_account_the_key_acts_for(service: Service, account: Account) -> None:
    response = await service.client.get("/auth", headers=account.headers)
    assert response.json() == {"account_id": str(account.user_id), "auth_method": "api_key_user"}
    assert uuid.UUID(response.json()["account_id"]) == account.user_id
