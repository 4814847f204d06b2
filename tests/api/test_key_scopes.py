"""Scopes: a key may carry fewer powers than its account. Each route needs one scope
(`X:write` implies `X:read`); a key without it gets 403 with RFC 6750's insufficient_scope."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.test_organizations import create_organization, join
from tests.helpers import Account, Service, assert_error

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
READ_ONLY = [scope for scope in ALL_SCOPES if scope.endswith(":read")]

# Every route with a key, the scope it needs, and a request body that would succeed.
ROUTES = [
    pytest.param("GET", "/projects", None, "projects:read", id="list-projects"),
    pytest.param("POST", "/projects", {"project": {}}, "projects:write", id="create-project"),
    pytest.param("GET", "/projects/{project}", None, "projects:read", id="get-project"),
    pytest.param(
        "PATCH", "/projects/{project}", {"project": {"name": "n"}}, "projects:write", id="rename"
    ),
    pytest.param("DELETE", "/projects/{project}", None, "projects:write", id="delete-project"),
    pytest.param("GET", "/api_keys", None, "api_keys:read", id="list-keys"),
    pytest.param("POST", "/api_keys", {"key_name": "k"}, "api_keys:write", id="create-key"),
    pytest.param("DELETE", "/api_keys/{key}", None, "api_keys:write", id="revoke-key"),
    pytest.param("POST", "/api_keys/{key}/rotate", {}, "api_keys:write", id="rotate-key"),
    pytest.param("GET", "/users/me", None, "account:read", id="current-user"),
    pytest.param("GET", "/auth", None, "account:read", id="auth"),
    pytest.param("GET", "/users/me/organizations", None, "organizations:read", id="my-orgs"),
    pytest.param(
        "POST", "/organizations", {"organization": {"name": "o"}}, "organizations:write", id="org"
    ),
    pytest.param("GET", "/organizations/{org}", None, "organizations:read", id="get-org"),
    pytest.param(
        "PATCH", "/organizations/{org}", {"name": "n"}, "organizations:write", id="rename-org"
    ),
    pytest.param("DELETE", "/organizations/{org}", None, "organizations:write", id="delete-org"),
    pytest.param("GET", "/organizations/{org}/members", None, "organizations:read", id="members"),
    pytest.param(
        "GET", "/organizations/{org}/members/{member}", None, "organizations:read", id="member"
    ),
    pytest.param(
        "PATCH",
        "/organizations/{org}/members/{member}",
        {"role": "admin"},
        "organizations:write",
        id="set-role",
    ),
    pytest.param(
        "DELETE",
        "/organizations/{org}/members/{member}",
        None,
        "organizations:write",
        id="remove-member",
    ),
]


async def call(
    service: Service,
    owner: Account,
    key: Account,
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> Any:
    """``key`` calls ``path``, where ``{project}``, ``{key}`` and ``{org}`` stand for a fresh
    project, key and organization that ``owner`` makes, and ``{member}`` for a fresh member of
    that organization, so that each call, allowed, would succeed."""
    if "{project}" in path:
        created = await service.client.post(
            "/projects", json={"project": {}}, headers=owner.headers
        )
        path = path.replace("{project}", created.json()["project"]["id"])
    if "{key}" in path:
        # No more power than the key that may rotate it: a key never rotates to more than it has.
        victim = await service.another_key(owner, "victim", scopes=["api_keys:write"])
        path = path.replace("{key}", str(victim.key_id))
    if "{org}" in path:
        org = await create_organization(service, owner)
        path = path.replace("{org}", org["id"])
        if "{member}" in path:
            member = await service.new_account()
            path = path.replace("{member}", await join(service, org["id"], member))
    return await service.client.request(method, path, json=body, headers=key.headers)


async def scoped(service: Service, account: Account, scopes: list[str]) -> Account:
    return await service.another_key(account, "scoped", scopes=scopes)


def without(scope: str) -> list[str]:
    """Every scope but ``scope`` and the one that implies it."""
    implying = scope.replace(":read", ":write")
    return [other for other in ALL_SCOPES if other not in (scope, implying)]


async def test_a_key_made_with_a_name_only_has_every_scope(
    service: Service, account: Account
) -> None:
    created = await service.create_key(account, "full")
    assert created["scopes"] == ALL_SCOPES


async def test_write_implies_read_and_the_effective_scopes_are_listed_sorted(
    service: Service, account: Account
) -> None:
    response = await service.post_key(
        account, "deploy", scopes=["projects:write", "account:read", "projects:write"]
    )
    assert response.status_code == 200, response.text
    expected = ["account:read", "projects:read", "projects:write"]
    assert response.json()["scopes"] == expected
    listed = (await service.client.get("/api_keys", headers=account.headers)).json()
    assert next(key for key in listed if key["id"] == response.json()["id"])["scopes"] == expected


async def test_a_read_only_key_reads_but_cannot_change_anything(
    service: Service, account: Account
) -> None:
    reader = await scoped(service, account, READ_ONLY)
    assert (await service.client.get("/projects", headers=reader.headers)).status_code == 200
    refused = await service.client.post("/projects", json={"project": {}}, headers=reader.headers)
    assert_error(refused, 403, code="FORBIDDEN")
    assert refused.json()["message"] == "This API key lacks the scope projects:write."
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="unique", error="insufficient_scope", scope="projects:write"'
    )
    listed = await service.client.get("/projects", headers=account.headers)
    assert listed.json()["projects"] == [], "the refused request created nothing"


@pytest.mark.parametrize(("method", "path", "body", "scope"), ROUTES)
async def test_each_route_needs_its_scope(
    service: Service, account: Account, method: str, path: str, body: Any, scope: str
) -> None:
    lacking = await scoped(service, account, without(scope))
    refused = await call(service, account, lacking, method, path, body)
    assert_error(refused, 403, code="FORBIDDEN")
    assert f'scope="{scope}"' in refused.headers["www-authenticate"]

    holding = await scoped(service, account, [scope])
    allowed = await call(service, account, holding, method, path, body)
    assert allowed.status_code in (200, 201), allowed.text


@pytest.mark.parametrize(
    ("scopes", "message"),
    [
        pytest.param(["projects:admin"], "Unknown scope 'projects:admin'", id="unknown"),
        pytest.param([], "at least one scope", id="empty"),
        pytest.param("projects:read", "array", id="a-string"),
        pytest.param([1], "array", id="a-number"),
        pytest.param(["PROJECTS:READ"], "Unknown scope", id="upper-case"),
        pytest.param([" projects:read"], "Unknown scope", id="padded"),
    ],
)
async def test_a_bad_scope_list_is_400_naming_scopes_and_creates_nothing(
    service: Service, account: Account, scopes: Any, message: str
) -> None:
    before = (await service.client.get("/api_keys", headers=account.headers)).json()
    response = await service.post_key(account, "bad", scopes=scopes)
    body = assert_error(response, 400, field="scopes")
    assert message in body["message"]
    assert (await service.client.get("/api_keys", headers=account.headers)).json() == before


async def test_the_openapi_document_states_each_routes_scope_and_its_403(
    service: Service,
) -> None:
    document = (await service.client.get("/openapi.json")).json()
    expected = {}
    for param in ROUTES:
        method, path, _, scope = (str(value) for value in param.values)
        templated = (
            path.replace("{project}", "{project_id}")
            .replace("{key}", "{key_id}")
            .replace("{org}", "{org_id}")
            .replace("{member}", "{member_id}")
        )
        expected[(method, templated)] = scope
    stated = {}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if "x-required-scope" in operation:
                stated[(method.upper(), path.removeprefix("/api/v2"))] = operation[
                    "x-required-scope"
                ]
                assert "403" in operation["responses"], (method, path)
                assert operation["security"] == [{"HTTPBearer": [operation["x-required-scope"]]}]
    assert stated == expected
