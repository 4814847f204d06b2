"""Wire models of organizations, their members and ``GET /auth``, in Neon's shapes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, WithJsonSchema

from unique.api.schemas import NAME_PATTERN, Request, Timestamp, as_value_error
from unique.db.tables import Member, Organization
from unique.organizations import ORGANIZATION_NAME_MAX_LENGTH, Role, clean_organization_name

OrganizationName = Annotated[
    str,
    BeforeValidator(as_value_error(clean_organization_name)),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": ORGANIZATION_NAME_MAX_LENGTH,
            "pattern": NAME_PATTERN,
        }
    ),
]


class OrganizationBody(BaseModel):
    id: str
    name: str
    handle: str
    plan: Literal["self-hosted"] = "self-hosted"
    managed_by: Literal["console"] = "console"
    created_at: Timestamp
    updated_at: Timestamp

    @classmethod
    def of(cls, organization: Organization) -> OrganizationBody:
        return cls(
            id=organization.id,
            name=organization.name,
            handle=organization.handle,
            created_at=organization.created_at,
            updated_at=organization.updated_at,
        )


class OrganizationsResponse(BaseModel):
    organizations: list[OrganizationBody]


class OrganizationCreateFields(Request):
    name: OrganizationName


class OrganizationCreateRequest(Request):
    organization: OrganizationCreateFields


class OrganizationUpdateRequest(Request):
    name: OrganizationName


class MemberBody(BaseModel):
    id: uuid.UUID
    user_id: uuid.UUID
    org_id: str
    role: Role
    joined_at: Timestamp

    @classmethod
    def of(cls, member: Member) -> MemberBody:
        return cls(
            id=member.id,
            user_id=member.user_id,
            org_id=member.org_id,
            role=Role(member.role),
            joined_at=member.joined_at,
        )


class MemberUser(BaseModel):
    email: str


class MemberWithUser(BaseModel):
    member: MemberBody
    user: MemberUser


class MembersResponse(BaseModel):
    members: list[MemberWithUser]


class MemberUpdateRequest(Request):
    role: Literal["admin", "member"]


class AuthDetails(BaseModel):
    account_id: str
    auth_method: Literal["api_key_user", "api_key_org"]
