"""``/api/v2/api_keys``: create, list, revoke and rotate keys."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import Path, Response

from unique import api_keys
from unique.api.deps import CurrentCaller, authenticated_router
from unique.api.direct import call_directly
from unique.api.requirements import requires
from unique.api.schemas import (
    ApiKeyCreated,
    ApiKeyCreateRequest,
    ApiKeyListItem,
    ApiKeyRevoked,
    ApiKeyRotated,
    ApiKeyRotateRequest,
    ErrorBody,
    access_fields,
    json_response,
)
from unique.auth.access import Access, Scope, scopes_from_column
from unique.db.reads import Row
from unique.web.formats import CANONICAL_INTEGER
from unique.web.requests import CurrentRuntime, Database

router = authenticated_router("/api_keys", "API keys")

KeyId = Annotated[
    int,
    Path(ge=-(2**63), le=2**63 - 1, description="The key's id (int64)."),
    CANONICAL_INTEGER,
]


def _stored_access(record: Row) -> Access:
    return Access(scopes_from_column(record.scopes), record.project_id, record.expires_at)


@router.post("", operation_id="createApiKey", summary="Create an API key")
@requires(Scope.API_KEYS_WRITE)
async def create_api_key(
    body: ApiKeyCreateRequest,
    caller: CurrentCaller,
    session: Database,
    runtime: CurrentRuntime,
    response: Response,
) -> ApiKeyCreated:
    """Create a key for your account. The secret `key` is in this response only. A key never
    grants more than the key that creates it: absent fields take its limits."""
    response.headers["Cache-Control"] = "no-store"
    new_key = await api_keys.create_key(
        session,
        owner_id=caller.principal.owner_id,
        name=body.key_name,
        actor=caller.actor,
        requested=api_keys.Requested(body.scopes, body.project_id, body.expires_at),
        grantor=caller.principal.access,
        policy=api_keys.LifetimePolicy(runtime.settings.key_max_lifetime_days),
    )
    await session.commit()
    return ApiKeyCreated.of(new_key)


@router.get(
    "",
    operation_id="listApiKeys",
    summary="List your active API keys",
    response_model=list[ApiKeyListItem],
)
@requires(Scope.API_KEYS_READ)
@call_directly
async def list_api_keys(caller: CurrentCaller, runtime: CurrentRuntime) -> Response:
    """Your account's unrevoked keys, newest first, expired ones included until revoked."""
    records = await api_keys.list_active_keys(runtime.reads, caller.principal.owner_id)
    # Serialised straight from the records: with 10,000 keys, a model per key (and FastAPI's
    # re-validation of the list) would cost more than the query. The shape is ApiKeyListItem's.
    return json_response(
        [
            {
                "id": record.id,
                "name": record.name,
                "created_at": record.created_at,
                "created_by": {
                    "id": record.creator_id,
                    "name": record.creator_name,
                    "image": record.creator_image,
                },
                "last_used_at": record.last_used_at,
                "last_used_from_addr": record.last_used_from_addr,
                **access_fields(_stored_access(record)),
            }
            for record in records
        ]
    )


@router.delete("/{key_id}", operation_id="revokeApiKey", summary="Revoke an API key")
@requires(Scope.API_KEYS_WRITE)
async def revoke_api_key(
    key_id: KeyId, caller: CurrentCaller, session: Database, runtime: CurrentRuntime
) -> ApiKeyRevoked:
    """Revoke a key for good. Every request with it fails from this response on."""
    record = await api_keys.revoke_key(
        session,
        owner_id=caller.principal.owner_id,
        key_id=key_id,
        actor=caller.actor,
        last_use=runtime.last_use,
    )
    await session.commit()
    return ApiKeyRevoked(
        id=record.id,
        name=record.name,
        created_at=record.created_at,
        created_by=record.creator_id,
        last_used_at=record.last_used_at,
        last_used_from_addr=record.last_used_from_addr,
        revoked=record.revoked,
        **access_fields(_stored_access(record)),
    )


@router.post(
    "/{key_id}/rotate",
    operation_id="rotateApiKey",
    summary="Rotate an API key",
    responses={
        409: {"model": ErrorBody, "description": "The key was already rotated or is revoked."}
    },
)
@requires(Scope.API_KEYS_WRITE)
async def rotate_api_key(
    key_id: KeyId,
    caller: CurrentCaller,
    session: Database,
    response: Response,
    body: ApiKeyRotateRequest | None = None,
) -> ApiKeyRotated:
    """Replace a key by a new one with the same name, scopes, project and lifetime length. The
    old key keeps working for `grace_period_seconds` (up to 7 days; 0, the default, revokes it
    at once). The new secret `key` is in this response only."""
    response.headers["Cache-Control"] = "no-store"
    grace = body.grace_period_seconds if body is not None else 0
    rotated = await api_keys.rotate_key(
        session,
        owner_id=caller.principal.owner_id,
        key_id=key_id,
        grace_period=timedelta(seconds=grace),
        actor=caller.actor,
        grantor=caller.principal.access,
    )
    await session.commit()
    return ApiKeyRotated.of(rotated.new_key, rotated_from=rotated.rotated_from)
