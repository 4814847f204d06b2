"""Account settings: profile, and API keys (create with an expiry and less access, show once,
copy, rotate, revoke; a page of keys at a time, searched and filtered)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Path, Query, Request, Response
from fastapi.responses import JSONResponse, RedirectResponse

from unique import api_keys, keys, projects
from unique.auth.access import (
    ALL_SCOPES,
    READ_ONLY_SCOPES,
    Access,
    Scope,
    UnknownScope,
    is_expired,
    scopes_from_column,
    sorted_names,
    with_implied,
)
from unique.console.web import (
    ConsoleRoute,
    SignedIn,
    SignedInForm,
    render_signed_in,
    when,
)
from unique.db.reads import Row
from unique.db.tables import utcnow
from unique.errors import Conflict, InvalidInput, NotFound
from unique.web.formats import CANONICAL_INTEGER
from unique.web.requests import Database, actor_of, runtime_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)

PAGE_SIZE = 50
# Projects offered in the create dialog's "One project" list (any id of the account's may be
# typed in).
PROJECTS_OFFERED = 100
EXPIRY_DAYS = (7, 30, 60, 90)
OVERLAPS = {
    "none": timedelta(0),
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
KeyCursor = Annotated[str, Query(pattern=r"^([1-9][0-9]{0,17})?$")]
SCOPE_LABELS = {
    Scope.PROJECTS_READ: "Read projects",
    Scope.PROJECTS_WRITE: "Create, change and delete projects",
    Scope.API_KEYS_READ: "List API keys",
    Scope.API_KEYS_WRITE: "Create, rotate and revoke API keys",
    Scope.ACCOUNT_READ: "Read the account",
    Scope.ORGANIZATIONS_READ: "Read organizations",
    Scope.ORGANIZATIONS_WRITE: "Manage organizations",
    Scope.AUDIT_LOG_READ: "Read the audit log",
}
FILTER_LABELS = {
    api_keys.KeyFilter.ALL: "All keys",
    api_keys.KeyFilter.EXPIRED: "Expired",
    api_keys.KeyFilter.NEVER_USED: "Never used",
    api_keys.KeyFilter.UNUSED_90_DAYS: "Unused for 90 days",
}
# The domain's field names, as the create form calls them.
_FORM_FIELDS = {"key_name": "key_name", "expires_at": "expiration", "project_id": "project_id"}


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


# What a key may do and until when, as the list says it.


def access_label(scopes_column: str | None) -> str:
    scopes = scopes_from_column(scopes_column)
    if scopes == ALL_SCOPES:
        return "Full access"
    if scopes == READ_ONLY_SCOPES:
        return "Read only"
    return ", ".join(sorted_names(scopes))


def _count(number: int, unit: str) -> str:
    return f"{number} {unit}" if number == 1 else f"{number} {unit}s"


def expiry_label(expires_at: datetime | None, now: datetime) -> str:
    if expires_at is None:
        return "Never"
    if is_expired(expires_at, now):
        return "Expired"
    seconds = (expires_at - now).total_seconds()
    days = round(seconds / 86400)
    if days >= 2:
        return f"Expires in {_count(days, 'day')}"
    hours = round(seconds / 3600)
    if hours >= 1:
        return f"Expires in {_count(hours, 'hour')}"
    return f"Expires in {_count(max(1, math.ceil(seconds / 60)), 'minute')}"


@dataclass(frozen=True)
class ListedKey:
    """A row of the keys table."""

    row: Row
    access: str
    expiry: str
    expired: bool

    def __getattr__(self, name: str) -> Any:
        return getattr(self.row, name)


def _listed(row: Row, now: datetime) -> ListedKey:
    return ListedKey(
        row,
        access_label(row.scopes),
        expiry_label(row.expires_at, now),
        is_expired(row.expires_at, now),
    )


# The create dialog.


@dataclass(frozen=True)
class ExpiryChoices:
    """The lifetimes the create dialog offers under the deployment's maximum (None: none)."""

    max_days: int | None

    @property
    def days(self) -> list[int]:
        if self.max_days is None:
            return list(EXPIRY_DAYS)
        offered = [days for days in EXPIRY_DAYS if days <= self.max_days]
        if self.max_days not in offered:
            offered.append(self.max_days)
        return offered

    @property
    def never_allowed(self) -> bool:
        return self.max_days is None

    @property
    def default(self) -> str:
        """No expiration where allowed (a key made with a name only is as before), else the
        longest lifetime allowed, which is also what the API gives a key that asks none."""
        return "none" if self.max_days is None else str(self.days[-1])

    def date_range(self, today: date) -> tuple[date, date | None]:
        """The first and last dates a custom expiry may fall on (it ends at 00:00 UTC)."""
        latest = None if self.max_days is None else today + timedelta(days=self.max_days)
        return today + timedelta(days=1), latest


@dataclass
class CreateForm:
    """What the create dialog was sent, and each refused field's reason, to show it again."""

    key_name: str = ""
    expiration: str = ""
    expires_on: str = ""
    access: str = "full"
    scopes: list[str] = field(default_factory=list)
    project_id: str = ""
    errors: dict[str, str] = field(default_factory=dict)


def _expiry(form: CreateForm, choices: ExpiryChoices, now: datetime) -> datetime | None:
    if form.expiration == "none":
        if not choices.never_allowed:
            raise InvalidInput(
                "expiration",
                f"Keys on this deployment expire within {choices.max_days} days: choose a "
                "lifetime.",
            )
        return None
    if form.expiration == "custom":
        try:
            day = date.fromisoformat(form.expires_on)
        except ValueError:
            raise InvalidInput("expires_on", "Enter the expiry date as YYYY-MM-DD.") from None
        first, last = choices.date_range(now.date())
        if day < first:
            raise InvalidInput("expires_on", "The expiry date must be tomorrow or later.")
        if last is not None and day > last:
            raise InvalidInput(
                "expires_on",
                f"The expiry date must be within {choices.max_days} days (this deployment's "
                "longest key lifetime).",
            )
        return datetime.combine(day, time(0), tzinfo=UTC)
    if form.expiration.isdigit() and int(form.expiration) in choices.days:
        return now + timedelta(days=int(form.expiration))
    raise InvalidInput("expiration", "Choose one of the offered expirations.")


def _scopes(form: CreateForm) -> frozenset[Scope] | None:
    if form.access == "full":
        return None
    if form.access == "read-only":
        return READ_ONLY_SCOPES
    if form.access == "custom":
        if not form.scopes:
            raise InvalidInput("scopes", "Choose at least one scope.")
        try:
            return with_implied(form.scopes)
        except UnknownScope as error:
            name = error.name if len(error.name) <= 32 else error.name[:32] + "…"
            raise InvalidInput("scopes", f"Unknown scope '{name}'.") from None
    raise InvalidInput("access", "Choose full access, read only or custom scopes.")


def _requested(form: CreateForm, choices: ExpiryChoices, now: datetime) -> api_keys.Requested:
    """The access asked for, or InvalidInput naming the form's field."""
    form.expiration = form.expiration or choices.default
    return api_keys.Requested(
        scopes=_scopes(form),
        project_id=form.project_id or None,
        expires_at=_expiry(form, choices, now),
    )


def _choices(request: Request) -> ExpiryChoices:
    return ExpiryChoices(runtime_of(request).settings.key_max_lifetime_days)


def _created_json(new_key: api_keys.NewKey, creator: str, now: datetime) -> dict[str, Any]:
    access = new_key.access
    return {
        "id": new_key.id,
        "key": new_key.secret,
        "name": new_key.name,
        "hint": keys.hint(new_key.secret),
        "created_at": when(new_key.created_at),
        "created_by": creator,
        "access": access_label(_column(access)),
        "project_id": access.project_id,
        "expiry": expiry_label(access.expires_at, now),
    }


def _column(access: Access) -> str | None:
    return None if access.scopes == ALL_SCOPES else " ".join(sorted_names(access.scopes))


# The page.


@dataclass(frozen=True)
class Listing:
    """Which page of keys is shown."""

    search: str = ""
    key_filter: api_keys.KeyFilter = api_keys.KeyFilter.ALL
    before: int | None = None
    after: int | None = None

    def link(self, **cursor: int) -> str:
        parts = [f"{name}={value}" for name, value in cursor.items()]
        if self.search:
            parts.append(f"search={quote(self.search)}")
        if self.key_filter is not api_keys.KeyFilter.ALL:
            parts.append(f"filter={self.key_filter.value}")
        return "/settings/api-keys" + ("?" + "&".join(parts) if parts else "")

    @property
    def narrowed(self) -> bool:
        return bool(self.search) or self.key_filter is not api_keys.KeyFilter.ALL


async def _keys_page(
    request: Request,
    session: Database,
    login: SignedIn,
    *,
    listing: Listing = Listing(),
    status_code: int = 200,
    new_key: api_keys.NewKey | None = None,
    form: CreateForm | None = None,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    runtime = runtime_of(request)
    now = utcnow()
    page = await api_keys.page_of_keys(
        runtime.reads,
        login.user.id,
        search=listing.search,
        key_filter=listing.key_filter,
        before=listing.before,
        after=listing.after,
        limit=PAGE_SIZE,
        now=now,
    )
    listed = [_listed(row, now) for row in page.keys]
    revoked_notice = None
    revoked_id = request.query_params.get("revoked", "")
    if re.fullmatch(r"[1-9][0-9]{0,17}", revoked_id):
        revoked_notice = await api_keys.revoked_key_name(session, login.user.id, int(revoked_id))
    offered = await projects.list_projects(runtime.reads, login.user.id, limit=PROJECTS_OFFERED)
    choices = _choices(request)
    first_date, last_date = choices.date_range(now.date())
    form = form or CreateForm(expiration=choices.default)
    return render_signed_in(
        request,
        login,
        "settings_api_keys.html",
        status_code,
        section="api-keys",
        keys=listed,
        newer_link=listing.link(after=page.keys[0].id) if page.has_newer and page.keys else None,
        older_link=listing.link(before=page.keys[-1].id) if page.has_older else None,
        first_link=listing.link() if page.has_newer and not page.keys else None,
        listing=listing,
        filters=FILTER_LABELS,
        new_key=new_key,
        form=form,
        choices=choices,
        first_date=first_date.isoformat(),
        last_date=last_date.isoformat() if last_date else "",
        scope_labels=SCOPE_LABELS,
        read_only_scopes=sorted_names(READ_ONLY_SCOPES),
        projects=offered.projects,
        overlaps=OVERLAPS,
        error=error,
        notice=notice,
        revoked_notice=revoked_notice,
    )


@router.get("/settings/api-keys")
async def api_keys_page(
    request: Request,
    session: Database,
    login: SignedIn,
    search: Annotated[str, Query(max_length=api_keys.KEY_SEARCH_MAX_LENGTH)] = "",
    key_filter: Annotated[api_keys.KeyFilter, Query(alias="filter")] = api_keys.KeyFilter.ALL,
    before: KeyCursor = "",
    after: KeyCursor = "",
) -> Response:
    search = search.strip()
    if any(ord(char) < 32 or ord(char) == 127 for char in search):
        search = ""
    listing = Listing(
        search=search,
        key_filter=key_filter,
        before=int(before) if before else None,
        after=int(after) if after and not before else None,
    )
    return await _keys_page(request, session, login, listing=listing)


@router.post("/settings/api-keys")
async def create_api_key(
    request: Request,
    session: Database,
    login: SignedInForm,
    key_name: Annotated[str, Form(max_length=1024)] = "",
    expiration: Annotated[str, Form(max_length=16)] = "",
    expires_on: Annotated[str, Form(max_length=32)] = "",
    access: Annotated[str, Form(max_length=16)] = "full",
    scopes: Annotated[list[str] | None, Form(max_length=16)] = None,
    project_id: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Create a key. The page's script asks for JSON and shows the key in place, so that
    reloading or going back never re-submits; without script the answer is the page itself."""
    form = CreateForm(
        key_name=key_name,
        expiration=expiration,
        expires_on=expires_on.strip(),
        access=access,
        scopes=list(scopes or []),
        project_id=project_id.strip(),
    )
    now = utcnow()
    try:
        api_keys.clean_key_name(key_name)
        new_key = await api_keys.create_key(
            session,
            owner_id=login.user.id,
            name=key_name,
            actor=actor_of(request, login.user.id),
            requested=_requested(form, _choices(request), now),
            policy=api_keys.LifetimePolicy(runtime_of(request).settings.key_max_lifetime_days),
        )
    except InvalidInput as refused:
        field_name = _FORM_FIELDS.get(refused.field, refused.field)
        if _wants_json(request):
            return JSONResponse({"field": field_name, "message": refused.message}, 400)
        form.errors[field_name] = refused.message
        return await _keys_page(request, session, login, status_code=400, form=form)
    await session.commit()
    if _wants_json(request):
        return JSONResponse(_created_json(new_key, login.user.name, now))
    return await _keys_page(request, session, login, new_key=new_key)


@router.post("/settings/api-keys/{key_id}/rotate")
async def rotate_api_key(
    request: Request,
    key_id: Annotated[int, Path(ge=1, le=2**63 - 1), CANONICAL_INTEGER],
    session: Database,
    login: SignedInForm,
    overlap: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    """Replace a key by a new one shown once, like a created key; the old one keeps working for
    the overlap chosen (none: revoked now). The script asks for JSON, as for a created key."""
    wants_json = _wants_json(request)
    now = utcnow()
    try:
        if overlap not in OVERLAPS:
            raise InvalidInput("overlap", "Choose how long the old key keeps working.")
        rotated = await api_keys.rotate_key(
            session,
            owner_id=login.user.id,
            key_id=key_id,
            grace_period=OVERLAPS[overlap],
            actor=actor_of(request, login.user.id),
        )
    except NotFound:
        if wants_json:
            return JSONResponse({"message": f"API key {key_id} was not found."}, 404)
        return RedirectResponse("/settings/api-keys", status_code=303)
    except (InvalidInput, Conflict) as refused:
        status = 409 if isinstance(refused, Conflict) else 400
        if wants_json:
            return JSONResponse({"message": refused.message}, status)
        return await _keys_page(request, session, login, status_code=status, error=refused.message)
    await session.commit()
    grace = OVERLAPS[overlap]
    notice = (
        f"The old key keeps working for {_overlap_text(grace)}, then stops."
        if grace
        else "The old key was revoked."
    )
    if wants_json:
        return JSONResponse(
            {
                **_created_json(rotated.new_key, login.user.name, now),
                "rotated_from": rotated.rotated_from,
                "old_key_expiry": expiry_label(now + grace, now) if grace else "Revoked",
                "old_key_note": notice,
            }
        )
    return await _keys_page(request, session, login, new_key=rotated.new_key, notice=notice)


def _overlap_text(grace: timedelta) -> str:
    hours = int(grace.total_seconds() // 3600)
    return _count(hours // 24, "day") if hours >= 48 else _count(hours, "hour")


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
