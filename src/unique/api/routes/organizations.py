"""``/api/v2/organizations``, ``/api/v2/users/me/organizations`` and ``/api/v2/auth``.

A personal key acts for its owner: it sees the organizations its owner is a member of, with the
owner's role there. To anyone else an organization is 404, never 403, so ids cannot be probed.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Path

from unique import organizations
from unique.api.deps import CurrentCaller, authenticated_router
from unique.api.organization_schemas import (
    AuthDetails,
    MemberBody,
    MembersResponse,
    MemberUpdateRequest,
    MemberUser,
    MemberWithUser,
    OrganizationBody,
    OrganizationCreateRequest,
    OrganizationsResponse,
    OrganizationUpdateRequest,
)
from unique.api.requirements import requires
from unique.api.schemas import ErrorBody
from unique.auth.access import Scope
from unique.web.requests import Database

router = authenticated_router("/organizations", "Organizations")
me_router = authenticated_router("/users/me/organizations", "Organizations")
auth_router = authenticated_router("/auth", "Users")

OrgId = Annotated[
    str, Path(pattern=organizations.ORG_ID_PATTERN, description="The organization's id.")
]
MemberId = Annotated[uuid.UUID, Path(description="The membership's id.")]


def _conflict(description: str) -> dict[int | str, dict[str, Any]]:
    return {409: {"model": ErrorBody, "description": description}}


@auth_router.get("", operation_id="getAuthDetails", summary="Who the key acts for")
@requires(Scope.ACCOUNT_READ, within_one_project=True)
async def auth_details(caller: CurrentCaller) -> AuthDetails:
    return AuthDetails(account_id=str(caller.principal.owner_id), auth_method="api_key_user")


@me_router.get("", operation_id="getCurrentUserOrganizations", summary="Your organizations")
@requires(Scope.ORGANIZATIONS_READ)
async def my_organizations(caller: CurrentCaller, session: Database) -> OrganizationsResponse:
    found = await organizations.organizations_of(session, caller.principal.owner_id)
    return OrganizationsResponse(organizations=[OrganizationBody.of(org) for org in found])


@router.post(
    "", operation_id="createOrganization", summary="Create an organization", status_code=201
)
@requires(Scope.ORGANIZATIONS_WRITE)
async def create_organization(
    body: OrganizationCreateRequest, caller: CurrentCaller, session: Database
) -> OrganizationBody:
    """Create an organization; you become its admin."""
    created = await organizations.create_organization(
        session, caller.principal.owner_id, body.organization.name, caller.actor
    )
    answer = OrganizationBody.of(created)
    await session.commit()
    return answer


@router.get("/{org_id}", operation_id="getOrganization", summary="An organization")
@requires(Scope.ORGANIZATIONS_READ)
async def get_organization(
    org_id: OrgId, caller: CurrentCaller, session: Database
) -> OrganizationBody:
    found = await organizations.get_organization(session, org_id, caller.principal.owner_id)
    return OrganizationBody.of(found)


@router.patch("/{org_id}", operation_id="updateOrganization", summary="Rename an organization")
@requires(Scope.ORGANIZATIONS_WRITE)
async def update_organization(
    org_id: OrgId, body: OrganizationUpdateRequest, caller: CurrentCaller, session: Database
) -> OrganizationBody:
    """Admins only."""
    renamed = await organizations.rename_organization(
        session, org_id, caller.principal.owner_id, body.name, caller.actor
    )
    answer = OrganizationBody.of(renamed)
    await session.commit()
    return answer


@router.delete(
    "/{org_id}",
    operation_id="deleteOrganization",
    summary="Delete an organization",
    responses=_conflict("The organization still owns projects."),
)
@requires(Scope.ORGANIZATIONS_WRITE)
async def delete_organization(
    org_id: OrgId, caller: CurrentCaller, session: Database
) -> OrganizationBody:
    """Admins only; refused while the organization owns projects."""
    deleted = await organizations.delete_organization(
        session, org_id, caller.principal.owner_id, caller.actor
    )
    answer = OrganizationBody.of(deleted)
    await session.commit()
    return answer


@router.get("/{org_id}/members", operation_id="getOrganizationMembers", summary="Members")
@requires(Scope.ORGANIZATIONS_READ)
async def list_members(org_id: OrgId, caller: CurrentCaller, session: Database) -> MembersResponse:
    found = await organizations.list_members(session, org_id, caller.principal.owner_id)
    return MembersResponse(
        members=[
            MemberWithUser(member=MemberBody.of(item.member), user=MemberUser(email=item.email))
            for item in found
        ]
    )


@router.get(
    "/{org_id}/members/{member_id}", operation_id="getOrganizationMember", summary="A member"
)
@requires(Scope.ORGANIZATIONS_READ)
async def get_member(
    org_id: OrgId, member_id: MemberId, caller: CurrentCaller, session: Database
) -> MemberBody:
    """Admins only."""
    found = await organizations.get_member(session, org_id, member_id, caller.principal.owner_id)
    return MemberBody.of(found)


@router.patch(
    "/{org_id}/members/{member_id}",
    operation_id="updateOrganizationMember",
    summary="Change a member's role",
    responses=_conflict("The change would leave the organization without an admin."),
)
@requires(Scope.ORGANIZATIONS_WRITE)
async def update_member(
    org_id: OrgId,
    member_id: MemberId,
    body: MemberUpdateRequest,
    caller: CurrentCaller,
    session: Database,
) -> MemberBody:
    """Admins only; the last admin cannot be demoted."""
    changed = await organizations.change_role(
        session, org_id, member_id, body.role, caller.principal.owner_id, caller.actor
    )
    answer = MemberBody.of(changed)
    await session.commit()
    return answer


@router.delete(
    "/{org_id}/members/{member_id}",
    operation_id="removeOrganizationMember",
    summary="Remove a member",
    responses=_conflict("The member is the organization's last admin."),
)
@requires(Scope.ORGANIZATIONS_WRITE)
async def remove_member(
    org_id: OrgId, member_id: MemberId, caller: CurrentCaller, session: Database
) -> dict[str, Any]:
    """Admins remove anyone; a member may remove themself. The last admin cannot leave."""
    await organizations.remove_member(
        session, org_id, member_id, caller.principal.owner_id, caller.actor
    )
    await session.commit()
    return {}
