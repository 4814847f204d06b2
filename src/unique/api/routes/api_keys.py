"""``/api/v2/api_keys``: create, list and revoke keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Response

from unique import api_keys
from unique.api.deps import CurrentCaller, authenticated_router
from unique.api.direct import call_directly
from unique.api.schemas import (
    ApiKeyCreated,
    ApiKeyCreateRequest,
    ApiKeyListItem,
    ApiKeyRevoked,
    json_response,
)
from unique.web.formats import CANONICAL_INTEGER
from unique.web.requests import CurrentRuntime, Database

router = authenticated_router("/api_keys", "API keys")

KeyId = Annotated[
    int,
    Path(ge=-(2**63), le=2**63 - 1, description="The key's id (int64)."),
    CANONICAL_INTEGER,
]


@router.post("", operation_id="createApiKey", summary="Create an API key")
async def create_api_key(
    body: ApiKeyCreateRequest, caller: CurrentCaller, session: Database, response: Response
) -> ApiKeyCreated:
    """Create a key for your account. The secret `key` is in this response only."""
    response.headers["Cache-Control"] = "no-store"
    owner = caller.principal.owner_id
    new_key = await api_keys.create_key(
        session,
        owner_id=owner,
        name=body.key_name,
        actor=caller.actor,
    )
    await session.commit()
    return ApiKeyCreated(
        id=new_key.id,
        key=new_key.secret,
        name=new_key.name,
        created_at=new_key.created_at,
        created_by=new_key.created_by,
    )


@router.get(
    "",
    operation_id="listApiKeys",
    summary="List your active API keys",
    response_model=list[ApiKeyListItem],
)
@call_directly
async def list_api_keys(caller: CurrentCaller, runtime: CurrentRuntime) -> Response:
    """Your account's unrevoked keys, newest first."""
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
            }
            for record in records
        ]
    )


@router.delete("/{key_id}", operation_id="revokeApiKey", summary="Revoke an API key")
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
    )
