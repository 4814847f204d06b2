"""``Client``, the synchronous client, and its resources: ``api_keys``, ``projects``,
``organizations``, ``users``."""

from __future__ import annotations

import builtins
import time
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TypeVar

import httpx
from unique.client import _calls
from unique.client._calls import Call
from unique.client._http import DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT, BaseClient, Exchange, Outcome
from unique.client._listing import ProjectListing
from unique.client._models import (
    ApiKey,
    AuthDetails,
    CreatedApiKey,
    Member,
    Organization,
    OrganizationMember,
    Project,
    RevokedApiKey,
    RotatedApiKey,
    User,
)

T = TypeVar("T")


class Client(BaseClient[httpx.Client]):
    """Synchronous client. Use as a context manager, or call ``close()``.

    ``transport`` replaces httpx's network transport (an ``httpx.MockTransport`` in tests, say).
    """

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        http = httpx.Client(timeout=timeout, transport=transport)
        super().__init__(http, api_key, base_url, timeout, max_retries)
        self.api_keys = ApiKeys(self)
        self.projects = Projects(self)
        self.organizations = Organizations(self)
        self.users = Users(self)

    def send(self, call: Call[T]) -> T:
        """Send ``call``, again as its retry policy allows, and return its parsed result."""
        exchange = Exchange(self, call)
        while True:
            outcome = self._outcome(exchange.request())
            wait = exchange.next_wait(outcome)
            if wait is None:
                return exchange.result(outcome)
            time.sleep(wait)

    def _outcome(self, request: httpx.Request) -> Outcome:
        """The answer to ``request``, or the transport error that came instead: ``Exchange``
        weighs either."""
        try:
            return self._http.send(request)
        except httpx.TransportError as error:
            return error

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class ApiKeys:
    def __init__(self, client: Client) -> None:
        self._client = client

    def create(
        self,
        name: str,
        *,
        expires_at: datetime | None = None,
        expires_in: timedelta | None = None,
        scopes: Iterable[str] | None = None,
        read_only: bool = False,
        project_id: str | None = None,
    ) -> CreatedApiKey:
        """Create a key named ``name``; its secret is in the result's ``key``, this once.

        With no more than a name, the key has full access and never expires (unless the
        deployment sets a longest lifetime). ``expires_at`` (an aware datetime) or
        ``expires_in`` (from now), not both, end it; ``scopes`` (see ``SCOPES``;
        ``X:write`` implies ``X:read``) or ``read_only=True`` (every ``:read`` scope) limit
        what it may do; ``project_id`` limits it to one project. A key never grants more than
        the key creating it: asking for more is a ``PermissionDeniedError``.
        """
        call = _calls.create_key(
            name,
            expires_at=expires_at,
            expires_in=expires_in,
            scopes=scopes,
            read_only=read_only,
            project_id=project_id,
        )
        return self._client.send(call)

    def list(self) -> list[ApiKey]:
        return self._client.send(_calls.list_keys())

    def revoke(self, key_id: int) -> RevokedApiKey:
        return self._client.send(_calls.revoke_key(key_id))

    def rotate(self, key_id: int, *, grace_period: timedelta | None = None) -> RotatedApiKey:
        """Replace key ``key_id`` by a new one with the same name, scopes, project and lifetime
        length; the result holds the new secret in ``key``, this once.

        The old key is revoked at once, or keeps working for ``grace_period`` (whole seconds,
        at most 7 days) so that its users can move to the new one. A key is rotated once: doing
        it again, or rotating a revoked key, is a ``ConflictError``. Never retried.
        """
        return self._client.send(_calls.rotate_key(key_id, grace_period))


class Projects:
    def __init__(self, client: Client) -> None:
        self._client = client

    def list(
        self, *, search: str | None = None, limit: int | None = None, cursor: str | None = None
    ) -> ProjectListing:
        """Projects (matching ``search``), newest first, ``limit`` to a page, after ``cursor``.

        Nothing is sent until the listing is used: iterate it for every project, page after
        page, or call ``first_page()`` for one page and its cursor.
        """
        return ProjectListing(self._client, search=search, limit=limit, cursor=cursor)

    def create(
        self,
        *,
        name: str | None = None,
        region_id: str | None = None,
        pg_version: int | None = None,
    ) -> Project:
        return self._client.send(_calls.create_project(name, region_id, pg_version))

    def get(self, project_id: str) -> Project:
        return self._client.send(_calls.get_project(project_id))

    def update(self, project_id: str, *, name: str) -> Project:
        return self._client.send(_calls.update_project(project_id, name))

    def delete(self, project_id: str) -> Project:
        return self._client.send(_calls.delete_project(project_id))


class Organizations:
    def __init__(self, client: Client) -> None:
        self._client = client

    def list(self) -> list[Organization]:
        """The organizations the key's owner is a member of, oldest membership first."""
        return self._client.send(_calls.list_organizations())

    def create(self, name: str) -> Organization:
        """Create an organization named ``name``; the key's owner becomes its admin. Never
        retried."""
        return self._client.send(_calls.create_organization(name))

    def get(self, org_id: str) -> Organization:
        """Organization ``org_id``; a ``NotFoundError`` to anyone who is not a member."""
        return self._client.send(_calls.get_organization(org_id))

    def rename(self, org_id: str, name: str) -> Organization:
        """Rename organization ``org_id`` (admins only: a member gets a
        ``PermissionDeniedError``)."""
        return self._client.send(_calls.rename_organization(org_id, name))

    def delete(self, org_id: str) -> Organization:
        """Delete organization ``org_id`` (admins only); a ``ConflictError`` while it still owns
        projects."""
        return self._client.send(_calls.delete_organization(org_id))

    # ``builtins.list``: within this class ``list`` is the method above.
    def members(self, org_id: str) -> builtins.list[OrganizationMember]:
        """Every member of ``org_id`` with their e-mail address, admins first."""
        return self._client.send(_calls.list_members(org_id))

    def get_member(self, org_id: str, member_id: str | uuid.UUID) -> Member:
        """The membership ``member_id`` of ``org_id`` (admins only)."""
        return self._client.send(_calls.get_member(org_id, member_id))

    def change_role(self, org_id: str, member_id: str | uuid.UUID, role: str) -> Member:
        """Make member ``member_id`` an ``admin`` or a ``member`` (admins only). Demoting the
        last admin is a ``ConflictError``. Never retried."""
        return self._client.send(_calls.change_role(org_id, member_id, role))

    def remove_member(self, org_id: str, member_id: str | uuid.UUID) -> None:
        """Remove member ``member_id`` from ``org_id``: admins remove anyone, a member may
        remove themself; the last admin cannot leave (``ConflictError``). Never retried: removing
        again is a ``NotFoundError``."""
        self._client.send(_calls.remove_member(org_id, member_id))


class Users:
    def __init__(self, client: Client) -> None:
        self._client = client

    def me(self) -> User:
        return self._client.send(_calls.me())

    def auth(self) -> AuthDetails:
        """Who the key acts for: its owner's user id, or an organization's id."""
        return self._client.send(_calls.auth_details())
