"""Account settings: profile, and API keys (create, show once, copy, revoke)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Path, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from unique import api_keys, keys
from unique.console.web import (
    ConsoleRoute,
    SignedIn,
    SignedInForm,
    render_signed_in,
    when,
)
from unique.errors import InvalidInput, NotFound
from unique.web.formats import CANONICAL_INTEGER
from unique.web.requests import Database, actor_of, runtime_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)


def _wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


@router.get("/settings")
async def profile(request: Request, login: SignedIn) -> Response:
    return render_signed_in(
        request,
        login,
        "settings_profile.html",
        section="profile",
    )


@dataclass(frozen=True)
class RefusedName:
    """A key name the create dialog shows again, with why it was refused."""

    name: str
    error: str


async def _keys_page(
    request: Request,
    session: Database,
    login: SignedIn,
    *,
    status_code: int = 200,
    new_key: api_keys.NewKey | None = None,
    refused: RefusedName | None = None,
) -> Response:
    keys = await api_keys.list_active_keys(runtime_of(request).reads, login.user.id)
    revoked_notice = None
    revoked_id = request.query_params.get("revoked", "")
    if re.fullmatch(r"[1-9][0-9]{0,17}", revoked_id):
        revoked_notice = await api_keys.revoked_key_name(session, login.user.id, int(revoked_id))
    return render_signed_in(
        request,
        login,
        "settings_api_keys.html",
        status_code,
        section="api-keys",
        keys=keys,
        new_key=new_key,
        refused=refused,
        revoked_notice=revoked_notice,
    )


@router.get("/settings/api-keys")
async def api_keys_page(request: Request, session: Database, login: SignedIn) -> Response:
    return await _keys_page(request, session, login)


@router.post("/settings/api-keys")
async def create_api_key(
    request: Request,
    session: Database,
    login: SignedInForm,
    key_name: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    """Create a key. The page's script asks for JSON and shows the key in place, so that
    reloading or going back never re-submits; without script the answer is the page itself."""
    try:
        new_key = await api_keys.create_key(
            session,
            owner_id=login.user.id,
            name=key_name,
            actor=actor_of(request, login.user.id),
        )
    except InvalidInput as error:
        if _wants_json(request):
            return JSONResponse({"field": error.field, "message": error.message}, status_code=400)
        refused = RefusedName(key_name, error.message)
        return await _keys_page(request, session, login, status_code=400, refused=refused)
    await session.commit()
    if _wants_json(request):
        return JSONResponse(
            {
                "id": new_key.id,
                "key": new_key.secret,
                "name": new_key.name,
                "hint": keys.hint(new_key.secret),
                "created_at": when(new_key.created_at),
                "created_by": login.user.name,
            }
        )
    return await _keys_page(request, session, login, new_key=new_key)


@router.post("/settings/api-keys/{key_id}/revoke")
async def revoke_api_key(
    request: Request,
    key_id: Annotated[int, Path(ge=1, le=2**63 - 1), CANONICAL_INTEGER],
    session: Database,
    login: SignedInForm,
) -> Response:
    runtime = runtime_of(request)
    try:
        await api_keys.revoke_key(
            session,
            owner_id=login.user.id,
            key_id=key_id,
            last_use=runtime.last_use,
            actor=actor_of(request, login.user.id),
        )
    except NotFound:
        return RedirectResponse("/settings/api-keys", status_code=303)
    await session.commit()
    return RedirectResponse(f"/settings/api-keys?revoked={key_id}", status_code=303)
