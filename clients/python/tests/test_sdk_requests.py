"""What each SDK method sends (method, path, query, body, headers) and the typed record it
returns, with ``Client`` and with ``AsyncClient`` alike."""

from __future__ import annotations

import inspect
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import unique.client
from sdk_support import (
    ALL_SCOPES,
    AUTH_JSON,
    BASE_URL,
    CREATED_KEY_JSON,
    FAKE_KEY,
    LISTED_KEY_JSON,
    MEMBER_ID,
    MEMBER_JSON,
    MEMBERS_JSON,
    ORG_ID,
    ORGANIZATION_JSON,
    PROJECT_JSON,
    READ_SCOPES,
    REVOKED_KEY_JSON,
    ROTATED_KEY_JSON,
    USER_ID,
    USER_JSON,
    FakeApi,
    Sdk,
    ok,
    reveals,
)
from unique.client import (
    READ_ONLY_SCOPES,
    SCOPES,
    ApiKey,
    AsyncClient,
    AuthDetails,
    Client,
    CreatedApiKey,
    KeyCreator,
    Member,
    Organization,
    OrganizationMember,
    Project,
    RevokedApiKey,
    RotatedApiKey,
    User,
)

CREATED = datetime(2022, 12, 23, 20, 52, 29, tzinfo=UTC)


def test_users_me_sends_the_key_as_a_bearer_token_and_returns_a_user(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [ok(USER_JSON)]

    user = sdk(lambda client: client.users.me())

    assert isinstance(user, User)
    assert (user.id, user.name, user.projects_limit, user.plan) == (
        USER_ID,
        "Sam Smith",
        10_000,
        "self-hosted",
    )
    assert user.raw == USER_JSON
    (request,) = fake_api.requests
    assert (request.method, str(request.url)) == ("GET", f"{BASE_URL}/users/me")
    assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"] == "unique-python"


def test_api_keys_create_list_and_revoke_send_their_requests_and_return_typed_keys(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [ok(CREATED_KEY_JSON), ok([LISTED_KEY_JSON]), ok(REVOKED_KEY_JSON)]

    created, listed, revoked = sdk(
        lambda client: _in_turn(
            client,
            lambda: client.api_keys.create("ci"),
            lambda: client.api_keys.list(),
            lambda: client.api_keys.revoke(42),
        )
    )

    assert fake_api.sent == [
        ("POST", "/api/v2/api_keys"),
        ("GET", "/api/v2/api_keys"),
        ("DELETE", "/api/v2/api_keys/42"),
    ]
    assert fake_api.bodies() == [{"key_name": "ci"}, None, None]
    assert isinstance(created, CreatedApiKey)
    assert (created.id, created.key, created.created_at) == (42, FAKE_KEY, CREATED)
    assert not reveals(created, FAKE_KEY)
    (key,) = listed
    assert isinstance(key, ApiKey)
    assert key.created_by == KeyCreator(id=USER_ID, name="Sam Smith", image="")
    assert key.last_used_at is None
    assert isinstance(revoked, RevokedApiKey)
    assert revoked.revoked is True
    assert revoked.last_used_at == CREATED
    assert revoked.last_used_from_addr == "192.0.2.21"
    for record in (created, key, revoked):
        assert (record.expires_at, record.scopes, record.project_id) == (None, ALL_SCOPES, None)
        assert record.full_access and not record.read_only and not record.expired()


def test_a_limited_key_sends_only_the_fields_given(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [ok(CREATED_KEY_JSON)] * 3
    in_paris = timezone(timedelta(hours=2))

    sdk(
        lambda client: _in_turn(
            client,
            lambda: client.api_keys.create(
                "deploy",
                expires_at=datetime(2031, 1, 31, 14, 0, tzinfo=in_paris),
                scopes=(scope for scope in ["projects:write", "api_keys:read"]),
                project_id="misty-lake-12345678",
            ),
            lambda: client.api_keys.create("dashboards", read_only=True),
            lambda: client.api_keys.create(
                "precise", expires_at=datetime(2031, 1, 31, 12, 0, 0, 250_000, tzinfo=UTC)
            ),
        )
    )

    assert fake_api.sent == [("POST", "/api/v2/api_keys")] * 3
    assert fake_api.bodies() == [
        {
            "key_name": "deploy",
            "expires_at": "2031-01-31T12:00:00Z",
            "scopes": ["projects:write", "api_keys:read"],
            "project_id": "misty-lake-12345678",
        },
        {"key_name": "dashboards", "scopes": list(READ_ONLY_SCOPES)},
        {"key_name": "precise", "expires_at": "2031-01-31T12:00:00.250000Z"},
    ]
    assert list(READ_ONLY_SCOPES) == READ_SCOPES
    assert list(SCOPES) == ALL_SCOPES


def test_expires_in_is_sent_as_the_time_that_far_from_now(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [ok(CREATED_KEY_JSON)]

    before = datetime.now(UTC)
    sdk(lambda client: client.api_keys.create("ci", expires_in=timedelta(days=30)))
    after = datetime.now(UTC)

    (body,) = fake_api.bodies()
    assert set(body) == {"key_name", "expires_at"}
    assert body["expires_at"].endswith("Z")
    sent = datetime.fromisoformat(body["expires_at"])
    assert before + timedelta(days=30) <= sent <= after + timedelta(days=30)


@pytest.mark.parametrize(
    ("options", "complaint"),
    [
        (
            {"expires_at": datetime(2031, 1, 1, tzinfo=UTC), "expires_in": timedelta(days=1)},
            "not both",
        ),
        ({"read_only": True, "scopes": ["projects:read"]}, "not both"),
        ({"expires_at": datetime(2031, 1, 1)}, "aware"),
        ({"expires_in": timedelta(0)}, "positive"),
        ({"expires_in": timedelta(minutes=-5)}, "positive"),
        ({"scopes": "projects:read"}, "not one string"),
    ],
    ids=["both ends", "scopes and read only", "naive time", "zero", "negative", "a string"],
)
def test_contradictory_create_arguments_raise_before_anything_is_sent(
    sdk: Sdk, fake_api: FakeApi, options: dict[str, Any], complaint: str
) -> None:
    with pytest.raises((ValueError, TypeError), match=complaint):
        sdk(lambda client: client.api_keys.create("ci", **options))

    assert fake_api.requests == []


def test_a_listed_key_shows_its_expiry_scopes_and_project(sdk: Sdk, fake_api: FakeApi) -> None:
    limited = {
        **LISTED_KEY_JSON,
        "expires_at": "2020-01-01T00:00:00Z",
        "scopes": ["projects:read"],
        "project_id": "misty-lake-12345678",
    }
    older_server = {
        name: value
        for name, value in LISTED_KEY_JSON.items()
        if name not in ("expires_at", "scopes")
    }
    fake_api.script = [ok([limited, older_server])]

    key, old = sdk(lambda client: client.api_keys.list())

    assert key.expires_at == datetime(2020, 1, 1, tzinfo=UTC)
    assert (key.scopes, key.project_id) == (["projects:read"], "misty-lake-12345678")
    assert key.read_only and not key.full_access
    assert key.expired() and not key.expired(datetime(2019, 12, 31, tzinfo=UTC))
    assert key.raw == limited
    # A server from before scopes and expiry: its keys have full access and never expire.
    assert (old.expires_at, old.scopes, old.project_id) == (None, ALL_SCOPES, None)
    assert old.full_access


def test_rotate_posts_to_the_key_with_the_grace_period_in_seconds_and_returns_the_new_key(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [ok(ROTATED_KEY_JSON), ok(ROTATED_KEY_JSON)]

    at_once, graceful = sdk(
        lambda client: _in_turn(
            client,
            lambda: client.api_keys.rotate(41),
            lambda: client.api_keys.rotate(41, grace_period=timedelta(hours=24)),
        )
    )

    assert fake_api.sent == [("POST", "/api/v2/api_keys/41/rotate")] * 2
    assert fake_api.bodies() == [None, {"grace_period_seconds": 86_400}]
    for rotated in (at_once, graceful):
        assert isinstance(rotated, RotatedApiKey)
        assert isinstance(rotated, CreatedApiKey), "a rotated key is a created one, and more"
        assert (rotated.id, rotated.rotated_from, rotated.key) == (43, 41, FAKE_KEY)
        assert rotated.expires_at == datetime(2031, 1, 31, 12, tzinfo=UTC)
        assert (rotated.scopes, rotated.project_id) == (READ_SCOPES, "misty-lake-12345678")
        assert rotated.raw == ROTATED_KEY_JSON
        assert not reveals(rotated, FAKE_KEY)


def test_a_grace_period_in_part_seconds_raises_before_anything_is_sent(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    with pytest.raises(ValueError, match="whole number of seconds"):
        sdk(lambda client: client.api_keys.rotate(41, grace_period=timedelta(seconds=1.5)))

    assert fake_api.requests == []


def test_projects_create_get_update_and_delete_send_their_requests(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    envelope = {"project": PROJECT_JSON, "operations": []}
    fake_api.script = [ok(envelope, 201), ok(envelope), ok(envelope), ok(envelope)]

    results = sdk(
        lambda client: _in_turn(
            client,
            lambda: client.projects.create(name="misty", pg_version=17),
            lambda: client.projects.get("misty-lake-12345678"),
            lambda: client.projects.update("misty-lake-12345678", name="misty 2"),
            lambda: client.projects.delete("misty-lake-12345678"),
        )
    )

    path = "/api/v2/projects/misty-lake-12345678"
    assert fake_api.sent == [
        ("POST", "/api/v2/projects"),
        ("GET", path),
        ("PATCH", path),
        ("DELETE", path),
    ]
    assert fake_api.bodies() == [
        {"project": {"name": "misty", "pg_version": 17}},
        None,
        {"project": {"name": "misty 2"}},
        None,
    ]
    for project in results:
        assert isinstance(project, Project)
        assert (project.id, project.pg_version, project.updated_at) == (
            "misty-lake-12345678",
            17,
            CREATED,
        )
        assert project.response == envelope


def test_a_project_created_without_fields_sends_an_empty_project(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [ok({"project": PROJECT_JSON}, 201)]

    sdk(lambda client: client.projects.create())

    assert fake_api.bodies() == [{"project": {}}]


def test_a_project_id_is_escaped_so_it_cannot_reach_another_route(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [ok({"project": PROJECT_JSON})]

    sdk(lambda client: client.projects.get("../api_keys?x=1"))

    (request,) = fake_api.requests
    assert request.url.raw_path == b"/api/v2/projects/..%2Fapi_keys%3Fx%3D1"


def test_the_key_and_host_come_from_the_environment_when_not_given(
    flavour: str, fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNIQUE_API_KEY", FAKE_KEY)
    monkeypatch.setenv("UNIQUE_API_HOST", "https://elsewhere.test/api/v2/")
    fake_api.script = [ok(USER_JSON)]

    Sdk(flavour, fake_api)(lambda client: client.users.me(), api_key=None, base_url=None)

    (request,) = fake_api.requests
    assert str(request.url) == "https://elsewhere.test/api/v2/users/me"
    assert request.headers["authorization"] == f"Bearer {FAKE_KEY}"


def test_without_a_key_nor_a_host_no_authorization_is_sent_to_the_local_server(
    flavour: str, fake_api: FakeApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("UNIQUE_API_KEY", raising=False)
    monkeypatch.delenv("UNIQUE_API_HOST", raising=False)
    fake_api.script = [ok(USER_JSON)]

    Sdk(flavour, fake_api)(lambda client: client.users.me(), api_key=None, base_url=None)

    (request,) = fake_api.requests
    assert str(request.url) == f"{unique.client.DEFAULT_API_HOST}/users/me"
    assert "authorization" not in request.headers


@pytest.mark.parametrize("client_type", [Client, AsyncClient])
def test_a_client_repr_names_the_host_but_never_the_key(client_type: type) -> None:
    client = client_type(api_key=FAKE_KEY, base_url=BASE_URL + "/")

    assert repr(client) == f"{client_type.__name__}(base_url={BASE_URL!r})"
    assert not reveals(client, FAKE_KEY)


def test_the_package_exports_what_its_all_names() -> None:
    exported = {name for name in dir(unique.client) if not name.startswith("_")}

    assert set(unique.client.__all__) <= exported
    assert {
        "Client",
        "AsyncClient",
        "UniqueError",
        "APIConnectionError",
        "PermissionDeniedError",
        "ConflictError",
        "RotatedApiKey",
    } <= set(unique.client.__all__)


def _in_turn(client: Client | AsyncClient, *steps: object) -> object:
    """Run each step (a callable) in turn and return their results (awaited for async)."""
    calls = [step for step in steps if callable(step)]
    if isinstance(client, AsyncClient):

        async def run() -> list[object]:
            return [await step() for step in calls]

        return run()
    return [step() for step in calls]


@pytest.mark.parametrize("method", ["create", "list", "revoke", "rotate"])
def test_async_api_keys_take_the_same_arguments_as_sync_ones(method: str) -> None:
    sync = inspect.signature(getattr(unique.client.ApiKeys, method))
    asynchronous = inspect.signature(getattr(unique.client.AsyncApiKeys, method))

    assert sync.parameters == asynchronous.parameters
    assert inspect.iscoroutinefunction(getattr(unique.client.AsyncApiKeys, method))


def test_the_sdk_imports_without_the_server_stack() -> None:
    code = "import sys, unique.client; print(sorted({'fastapi', 'sqlalchemy'} & set(sys.modules)))"

    command = [sys.executable, "-c", code]
    shown = subprocess.run(command, capture_output=True, text=True, check=True)  # noqa: S603

    assert shown.stdout.strip() == "[]"


# --- organizations and GET /auth -------------------------------------------------------------


def test_organizations_send_their_requests_and_return_typed_organizations(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    renamed_json = {**ORGANIZATION_JSON, "name": "Acme Corp"}
    fake_api.script = [
        ok(ORGANIZATION_JSON, 201),
        ok({"organizations": [ORGANIZATION_JSON]}),
        ok(ORGANIZATION_JSON),
        ok(renamed_json),
        ok(renamed_json),
    ]

    created, listed, fetched, renamed, deleted = sdk(
        lambda client: _in_turn(
            client,
            lambda: client.organizations.create("Acme"),
            lambda: client.organizations.list(),
            lambda: client.organizations.get(ORG_ID),
            lambda: client.organizations.rename(ORG_ID, "Acme Corp"),
            lambda: client.organizations.delete(ORG_ID),
        )
    )

    path = f"/api/v2/organizations/{ORG_ID}"
    assert fake_api.sent == [
        ("POST", "/api/v2/organizations"),
        ("GET", "/api/v2/users/me/organizations"),
        ("GET", path),
        ("PATCH", path),
        ("DELETE", path),
    ]
    assert fake_api.bodies() == [
        {"organization": {"name": "Acme"}},
        None,
        None,
        {"name": "Acme Corp"},
        None,
    ]
    assert isinstance(created, Organization)
    assert (created.id, created.name, created.handle, created.plan, created.managed_by) == (
        ORG_ID,
        "Acme",
        "acme-12345678",
        "self-hosted",
        "console",
    )
    assert (created.created_at, created.updated_at) == (CREATED, CREATED)
    assert created.raw == ORGANIZATION_JSON
    assert listed == [created] and isinstance(listed, list)
    assert fetched == created
    for organization in (renamed, deleted):
        assert isinstance(organization, Organization)
        assert (organization.id, organization.name) == (ORG_ID, "Acme Corp")
        assert organization.raw == renamed_json


def test_members_are_listed_with_their_email_and_changed_or_removed_by_membership_id(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    demoted_json = {**MEMBER_JSON, "role": "member"}
    fake_api.script = [ok(MEMBERS_JSON), ok(MEMBER_JSON), ok(demoted_json), ok({})]

    listed, fetched, demoted, removed = sdk(
        lambda client: _in_turn(
            client,
            lambda: client.organizations.members(ORG_ID),
            lambda: client.organizations.get_member(ORG_ID, MEMBER_ID),
            lambda: client.organizations.change_role(ORG_ID, uuid.UUID(MEMBER_ID), "member"),
            lambda: client.organizations.remove_member(ORG_ID, MEMBER_ID),
        )
    )

    member_path = f"/api/v2/organizations/{ORG_ID}/members/{MEMBER_ID}"
    assert fake_api.sent == [
        ("GET", f"/api/v2/organizations/{ORG_ID}/members"),
        ("GET", member_path),
        ("PATCH", member_path),
        ("DELETE", member_path),
    ]
    assert fake_api.bodies() == [None, None, {"role": "member"}, None]
    (only,) = listed
    assert isinstance(only, OrganizationMember)
    assert only.email == "sam@example.com"
    assert only.raw == MEMBERS_JSON["members"][0]
    assert isinstance(only.member, Member)
    assert (only.member.id, only.member.user_id, only.member.org_id, only.member.role) == (
        MEMBER_ID,
        USER_ID,
        ORG_ID,
        "admin",
    )
    assert only.member.joined_at == CREATED
    assert fetched == only.member
    assert isinstance(demoted, Member)
    assert (demoted.id, demoted.role, demoted.raw) == (MEMBER_ID, "member", demoted_json)
    assert removed is None


def test_users_auth_says_who_the_key_acts_for(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [ok(AUTH_JSON)]

    details = sdk(lambda client: client.users.auth())

    assert isinstance(details, AuthDetails)
    assert (details.account_id, details.auth_method) == (USER_ID, "api_key_user")
    assert details.raw == AUTH_JSON
    assert fake_api.sent == [("GET", "/api/v2/auth")]


def test_organization_and_member_ids_are_escaped_so_they_cannot_reach_another_route(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [ok(ORGANIZATION_JSON), ok(MEMBER_JSON)]

    sdk(
        lambda client: _in_turn(
            client,
            lambda: client.organizations.get("../api_keys?x=1"),
            lambda: client.organizations.get_member(ORG_ID, "../../../api_keys"),
        )
    )

    assert [request.url.raw_path for request in fake_api.requests] == [
        b"/api/v2/organizations/..%2Fapi_keys%3Fx%3D1",
        f"/api/v2/organizations/{ORG_ID}/members/..%2F..%2F..%2Fapi_keys".encode(),
    ]


@pytest.mark.parametrize(
    "method",
    [
        "list",
        "create",
        "get",
        "rename",
        "delete",
        "members",
        "get_member",
        "change_role",
        "remove_member",
    ],
)
def test_async_organizations_take_the_same_arguments_as_sync_ones(method: str) -> None:
    sync = inspect.signature(getattr(unique.client.Organizations, method))
    asynchronous = inspect.signature(getattr(unique.client.AsyncOrganizations, method))

    assert sync.parameters == asynchronous.parameters
    assert sync.return_annotation == asynchronous.return_annotation
    assert inspect.iscoroutinefunction(getattr(unique.client.AsyncOrganizations, method))
