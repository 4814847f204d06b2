"""What the SDK's tests share: a scripted stand-in for the API on ``httpx.MockTransport``, a way
to run one operation with ``Client`` or ``AsyncClient``, sample answers, and each operation with
the request it sends.

No server and no network: every request goes to ``FakeApi.handle``, which records it and answers
with the next scripted reply (a 500 once the script runs out). The server's end-to-end test of the
SDK (tests/api/test_sdk.py) uses these too, serving ``FakeApi`` on a real socket.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from unique.client import AsyncClient, Client, Project, ProjectPage

Json = Any
# Takes a Client or an AsyncClient; returns a result (sync) or an awaitable of it (async).
Operation = Callable[[Any], Any]

FAKE_KEY = "unq_" + "f" * 60
BASE_URL = "https://unique.test/api/v2"
USER_ID = "629982cc-de05-43db-ae16-28f2399c4910"
STAMP = "2022-12-23T20:52:29Z"
PROJECT_JSON = {
    "id": "misty-lake-12345678",
    "name": "misty",
    "region_id": "aws-us-east-2",
    "platform_id": "aws",
    "pg_version": 17,
    "proxy_host": "us-east-2.aws.unique.localhost",
    "creation_source": "api",
    "owner_id": USER_ID,
    "created_at": STAMP,
    "updated_at": STAMP,
}
USER_JSON = {
    "id": USER_ID,
    "email": "sam@example.com",
    "login": "sam@example.com",
    "name": "Sam Smith",
    "last_name": "",
    "image": "",
    "projects_limit": 10_000,
    "plan": "self-hosted",
}
ALL_SCOPES = [
    "account:read",
    "api_keys:read",
    "api_keys:write",
    "audit_log:read",
    "organizations:read",
    "organizations:write",
    "projects:read",
    "projects:write",
]
READ_SCOPES = [scope for scope in ALL_SCOPES if scope.endswith(":read")]
LATER = "2031-01-31T12:00:00Z"
# A key with full access that never expires: no project_id (absent, never null).
KEY_FIELDS = {"id": 42, "name": "ci", "created_at": STAMP, "expires_at": None, "scopes": ALL_SCOPES}
LISTED_KEY_JSON = {
    **KEY_FIELDS,
    "created_by": {"id": USER_ID, "name": "Sam Smith", "image": ""},
    "last_used_at": None,
    "last_used_from_addr": "",
}
REVOKED_KEY_JSON = {
    **KEY_FIELDS,
    "created_by": USER_ID,
    "last_used_at": STAMP,
    "last_used_from_addr": "192.0.2.21",
    "revoked": True,
}
CREATED_KEY_JSON = {**KEY_FIELDS, "created_by": USER_ID, "key": FAKE_KEY}
# A read-only key limited to one project, expiring, as it replaces key 41.
ROTATED_KEY_JSON = {
    **CREATED_KEY_JSON,
    "id": 43,
    "expires_at": LATER,
    "scopes": READ_SCOPES,
    "project_id": "misty-lake-12345678",
    "rotated_from": 41,
}


ORG_ID = "org-misty-lake-12345678"
MEMBER_ID = "5d0b4d1e-8f59-4ac2-9b0c-7c3f4e1a2b3c"
ORGANIZATION_JSON = {
    "id": ORG_ID,
    "name": "Acme",
    "handle": "acme-12345678",
    "plan": "self-hosted",
    "managed_by": "console",
    "created_at": STAMP,
    "updated_at": STAMP,
}
MEMBER_JSON = {
    "id": MEMBER_ID,
    "user_id": USER_ID,
    "org_id": ORG_ID,
    "role": "admin",
    "joined_at": STAMP,
}
MEMBERS_JSON = {"members": [{"member": MEMBER_JSON, "user": {"email": "sam@example.com"}}]}
AUTH_JSON = {"account_id": USER_ID, "auth_method": "api_key_user"}


def project_json(number: int) -> Json:
    return {**PROJECT_JSON, "id": f"misty-lake-{number:08d}", "name": f"misty-{number}"}


def page_json(numbers: list[int], cursor: str | None = None) -> Json:
    pagination = {"pagination": {"cursor": cursor}} if cursor else {}
    return {"projects": [project_json(number) for number in numbers], **pagination}


# --- the stand-in for the API ----------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    status: int
    body: Json = None
    headers: dict[str, str] = field(default_factory=dict)
    # Not an answer: this transport error is raised instead (the server is unreachable).
    error: type[httpx.TransportError] | None = None

    def response(self, request: httpx.Request) -> httpx.Response:
        if self.error is not None:
            raise self.error("scripted failure", request=request)
        if isinstance(self.body, bytes):
            return httpx.Response(self.status, content=self.body, headers=self.headers)
        return httpx.Response(self.status, json=self.body, headers=self.headers)


def ok(body: Json, status: int = 200) -> Reply:
    return Reply(status, body)


def unavailable(retry_after: str | None = "0") -> Reply:
    body = {"code": "SERVICE_UNAVAILABLE", "message": "Try again.", "request_id": "fake-503"}
    return Reply(503, body, {"Retry-After": retry_after} if retry_after is not None else {})


def rate_limited(retry_after: str) -> Reply:
    body = {"code": "RATE_LIMITED", "message": "Slow down.", "request_id": "fake-429"}
    return Reply(429, body, {"Retry-After": retry_after})


UNREACHABLE = Reply(0, error=httpx.ConnectError)
UNSCRIPTED = Reply(500, {"code": "UNSCRIPTED", "message": "Unexpected.", "request_id": "x"})


class FakeApi:
    """Answers each request with the next scripted reply and records every request."""

    def __init__(self) -> None:
        self.script: list[Reply] = []
        self.requests: list[httpx.Request] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply = self.script.pop(0) if self.script else UNSCRIPTED
        return reply.response(request)

    @property
    def sent(self) -> list[tuple[str, str]]:
        """Each request as (method, path with its query string), in order."""
        return [(request.method, _target(request.url)) for request in self.requests]

    def bodies(self) -> list[Json]:
        return [
            json.loads(request.content) if request.content else None for request in self.requests
        ]


def _target(url: httpx.URL) -> str:
    query = url.query.decode()
    return f"{url.path}?{query}" if query else url.path


# --- running an operation with Client or AsyncClient -----------------------------------------


def call(flavour: str, operation: Operation, **options: Any) -> Any:
    """Run ``operation`` with a fresh ``Client`` (sync) or ``AsyncClient`` (async, awaiting what
    it returns) made with ``options``, closed after."""
    if flavour == "sync":
        with Client(**options) as client:
            return operation(client)

    async def run() -> Any:
        async with AsyncClient(**options) as client:
            return await operation(client)

    return asyncio.run(run())


@dataclass
class Sdk:
    """Runs an operation with a fresh ``Client`` (sync) or ``AsyncClient`` (async) whose requests
    all go to ``fake``."""

    flavour: str
    fake: FakeApi
    options: dict[str, Any] = field(default_factory=dict)

    def __call__(self, operation: Operation, **overrides: Any) -> Any:
        options = {"api_key": FAKE_KEY, "base_url": BASE_URL, **self.options, **overrides}
        transport = httpx.MockTransport(self.fake.handle)
        return call(self.flavour, operation, transport=transport, **options)


def every_project(client: Client | AsyncClient, **options: Any) -> Any:
    """Every project ``client.projects.list(...)`` iterates over, as a list (an awaitable one for
    an AsyncClient)."""
    if isinstance(client, AsyncClient):
        listing = client.projects.list(**options)

        async def gather() -> list[Project]:
            return [project async for project in listing]

        return gather()
    return list(client.projects.list(**options))


def first_projects(client: Client | AsyncClient, count: int, **options: Any) -> Any:
    """The first ``count`` projects a listing iterates over, iteration then broken off."""
    if isinstance(client, AsyncClient):
        listing = client.projects.list(**options)

        async def first() -> list[Project]:
            taken: list[Project] = []
            async for project in listing:
                taken.append(project)
                if len(taken) == count:
                    break
            return taken

        return first()
    taken: list[Project] = []
    for project in client.projects.list(**options):
        taken.append(project)
        if len(taken) == count:
            break
    return taken


def unused_listing(client: Client | AsyncClient, **options: Any) -> Any:
    """``client.projects.list(...)`` itself, never iterated (an awaitable of it for an
    AsyncClient)."""
    listing = client.projects.list(**options)
    if isinstance(client, AsyncClient):

        async def unused() -> Any:
            return listing

        return unused()
    return listing


def every_page(client: Client | AsyncClient, **options: Any) -> Any:
    """The pages ``client.projects.list(...).pages()`` yields, as a list (an awaitable one for
    an AsyncClient)."""
    if isinstance(client, AsyncClient):
        listing = client.projects.list(**options)

        async def gather() -> list[ProjectPage]:
            return [page async for page in listing.pages()]

        return gather()
    return list(client.projects.list(**options).pages())


# --- each operation, the request it sends, and a success -------------------------------------


@dataclass(frozen=True)
class Route:
    """An SDK operation, the request it sends (method, path with its query) and a success."""

    operation: Operation
    method: str
    path: str
    success: Reply


PROJECT_PATH = "/api/v2/projects/misty-lake-12345678"
ORG_PATH = f"/api/v2/organizations/{ORG_ID}"
MEMBER_PATH = f"{ORG_PATH}/members/{MEMBER_ID}"
# Reads, and revocations (idempotent on the server): retried.
IDEMPOTENT = {
    "users.me": Route(lambda client: client.users.me(), "GET", "/api/v2/users/me", ok(USER_JSON)),
    "api_keys.list": Route(
        lambda client: client.api_keys.list(), "GET", "/api/v2/api_keys", ok([LISTED_KEY_JSON])
    ),
    "api_keys.revoke": Route(
        lambda client: client.api_keys.revoke(42),
        "DELETE",
        "/api/v2/api_keys/42",
        ok(REVOKED_KEY_JSON),
    ),
    "projects.list": Route(
        lambda client: client.projects.list(limit=5).first_page(),
        "GET",
        "/api/v2/projects?limit=5",
        ok(page_json([1], "7")),
    ),
    "projects.get": Route(
        lambda client: client.projects.get("misty-lake-12345678"),
        "GET",
        PROJECT_PATH,
        ok({"project": PROJECT_JSON}),
    ),
    "users.auth": Route(lambda client: client.users.auth(), "GET", "/api/v2/auth", ok(AUTH_JSON)),
    "organizations.list": Route(
        lambda client: client.organizations.list(),
        "GET",
        "/api/v2/users/me/organizations",
        ok({"organizations": [ORGANIZATION_JSON]}),
    ),
    "organizations.get": Route(
        lambda client: client.organizations.get(ORG_ID), "GET", ORG_PATH, ok(ORGANIZATION_JSON)
    ),
    "organizations.members": Route(
        lambda client: client.organizations.members(ORG_ID),
        "GET",
        f"{ORG_PATH}/members",
        ok(MEMBERS_JSON),
    ),
    "organizations.get_member": Route(
        lambda client: client.organizations.get_member(ORG_ID, MEMBER_ID),
        "GET",
        MEMBER_PATH,
        ok(MEMBER_JSON),
    ),
}
# Creating (rotating creates a key), renaming, deleting, changing a role and removing a member
# (which a second time answers 404, unlike a revocation): never sent twice.
NOT_IDEMPOTENT = {
    "api_keys.create": Route(
        lambda client: client.api_keys.create("ci"),
        "POST",
        "/api/v2/api_keys",
        ok(CREATED_KEY_JSON),
    ),
    "api_keys.rotate": Route(
        lambda client: client.api_keys.rotate(41),
        "POST",
        "/api/v2/api_keys/41/rotate",
        ok(ROTATED_KEY_JSON),
    ),
    "projects.create": Route(
        lambda client: client.projects.create(name="misty"),
        "POST",
        "/api/v2/projects",
        ok({"project": PROJECT_JSON}, 201),
    ),
    "projects.update": Route(
        lambda client: client.projects.update("misty-lake-12345678", name="misty"),
        "PATCH",
        PROJECT_PATH,
        ok({"project": PROJECT_JSON, "operations": []}),
    ),
    "projects.delete": Route(
        lambda client: client.projects.delete("misty-lake-12345678"),
        "DELETE",
        PROJECT_PATH,
        ok({"project": PROJECT_JSON}),
    ),
    "organizations.create": Route(
        lambda client: client.organizations.create("Acme"),
        "POST",
        "/api/v2/organizations",
        ok(ORGANIZATION_JSON, 201),
    ),
    "organizations.rename": Route(
        lambda client: client.organizations.rename(ORG_ID, "Acme"),
        "PATCH",
        ORG_PATH,
        ok(ORGANIZATION_JSON),
    ),
    "organizations.delete": Route(
        lambda client: client.organizations.delete(ORG_ID),
        "DELETE",
        ORG_PATH,
        ok(ORGANIZATION_JSON),
    ),
    "organizations.change_role": Route(
        lambda client: client.organizations.change_role(ORG_ID, MEMBER_ID, "member"),
        "PATCH",
        MEMBER_PATH,
        ok({**MEMBER_JSON, "role": "member"}),
    ),
    "organizations.remove_member": Route(
        lambda client: client.organizations.remove_member(ORG_ID, MEMBER_ID),
        "DELETE",
        MEMBER_PATH,
        ok({}),
    ),
}


def reveals(thing: object, secret: str) -> bool:
    """Whether ``str`` or ``repr`` of ``thing`` shows the key ``secret``, or even most of its
    random part (``unq_`` and 60 characters): a key cut short is still too much of it."""
    shown = f"{thing!s} {thing!r}"
    return secret[4:57] in shown
