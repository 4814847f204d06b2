"""What each SDK method sends (method, path, query, body, headers) and the typed record it
returns, with ``Client`` and with ``AsyncClient`` alike."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import unique.client
from sdk_support import (
    BASE_URL,
    CREATED_KEY_JSON,
    FAKE_KEY,
    LISTED_KEY_JSON,
    PROJECT_JSON,
    REVOKED_KEY_JSON,
    USER_ID,
    USER_JSON,
    FakeApi,
    Sdk,
    ok,
    reveals,
)
from unique.client import (
    ApiKey,
    AsyncClient,
    Client,
    CreatedApiKey,
    KeyCreator,
    Project,
    RevokedApiKey,
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
    assert {"Client", "AsyncClient", "UniqueError", "APIConnectionError"} <= set(
        unique.client.__all__
    )


def _in_turn(client: Client | AsyncClient, *steps: object) -> object:
    """Run each step (a callable) in turn and return their results (awaited for async)."""
    calls = [step for step in steps if callable(step)]
    if isinstance(client, AsyncClient):

        async def run() -> list[object]:
            return [await step() for step in calls]

        return run()
    return [step() for step in calls]
