"""A key may be limited to one project of its account: it sees that project alone, other
projects are as unknown as another account's, and account-wide routes refuse it."""

from __future__ import annotations

import pytest

from tests.helpers import Account, Service, assert_error


async def new_project(service: Service, account: Account, name: str) -> str:
    response = await service.client.post(
        "/projects", json={"project": {"name": name}}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    project_id: str = response.json()["project"]["id"]
    return project_id


async def one_project_key(service: Service, account: Account) -> tuple[Account, str, str]:
    """A key limited to a project "mine", and the id of another project "other"."""
    mine = await new_project(service, account, "mine")
    other = await new_project(service, account, "other")
    limited = await service.another_key(account, "limited", project_id=mine)
    return limited, mine, other


async def test_the_key_object_names_its_project_and_a_global_key_has_none(
    service: Service, account: Account
) -> None:
    mine = await new_project(service, account, "mine")
    response = await service.post_key(account, "limited", project_id=mine)
    assert response.status_code == 200, response.text
    assert response.json()["project_id"] == mine
    listed = (await service.client.get("/api_keys", headers=account.headers)).json()
    by_id = {entry["id"]: entry for entry in listed}
    assert by_id[response.json()["id"]]["project_id"] == mine
    # Absent, never null, on a key that reaches every project (Neon's clients insist).
    assert "project_id" not in by_id[account.key_id]


async def test_the_listing_shows_only_its_project(service: Service, account: Account) -> None:
    limited, mine, _ = await one_project_key(service, account)
    listed = (await service.client.get("/projects", headers=limited.headers)).json()
    assert [project["id"] for project in listed["projects"]] == [mine]
    everything = (await service.client.get("/projects", headers=account.headers)).json()
    assert len(everything["projects"]) == 2


async def test_its_project_can_be_read_and_renamed(service: Service, account: Account) -> None:
    limited, mine, _ = await one_project_key(service, account)
    got = await service.client.get(f"/projects/{mine}", headers=limited.headers)
    assert got.status_code == 200, got.text
    renamed = await service.client.patch(
        f"/projects/{mine}", json={"project": {"name": "renamed"}}, headers=limited.headers
    )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["project"]["name"] == "renamed"


@pytest.mark.parametrize("method", ["GET", "PATCH"])
async def test_another_project_of_the_account_is_404(
    service: Service, account: Account, method: str
) -> None:
    limited, _, other = await one_project_key(service, account)
    body = {"project": {"name": "taken over"}} if method == "PATCH" else None
    response = await service.client.request(
        method, f"/projects/{other}", json=body, headers=limited.headers
    )
    assert_error(response, 404)
    still = await service.client.get(f"/projects/{other}", headers=account.headers)
    assert still.json()["project"]["name"] == "other"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        pytest.param("POST", "/projects", {"project": {}}, id="create-project"),
        pytest.param("DELETE", "/projects/{mine}", None, id="delete-its-project"),
        pytest.param("GET", "/api_keys", None, id="list-keys"),
        pytest.param("POST", "/api_keys", {"key_name": "k"}, id="create-key"),
        pytest.param("DELETE", "/api_keys/{own}", None, id="revoke-itself"),
        pytest.param("POST", "/api_keys/{own}/rotate", {}, id="rotate-itself"),
    ],
)
async def test_account_wide_routes_are_403_and_change_nothing(
    service: Service, account: Account, method: str, path: str, body: object
) -> None:
    limited, mine, _ = await one_project_key(service, account)
    path = path.replace("{mine}", mine).replace("{own}", str(limited.key_id))
    response = await service.client.request(method, path, json=body, headers=limited.headers)
    assert_error(response, 403, code="FORBIDDEN")
    assert (
        response.headers["www-authenticate"] == 'Bearer realm="unique", error="insufficient_scope"'
    )
    assert "one project" in response.json()["message"]
    projects = (await service.client.get("/projects", headers=account.headers)).json()
    assert len(projects["projects"]) == 2
    keys = (await service.client.get("/api_keys", headers=account.headers)).json()
    assert {key["name"] for key in keys} == {"bootstrap", "limited"}


async def test_a_project_of_another_account_or_none_at_all_is_400_naming_project_id(
    service: Service, account: Account
) -> None:
    stranger = await service.new_account()
    theirs = await new_project(service, stranger, "theirs")
    for project_id in (theirs, "no-such-project-12345678"):
        response = await service.post_key(account, "k", project_id=project_id)
        assert_error(response, 400, field="project_id")
    for bad in ("UPPER", "", "x" * 61, 5):
        response = await service.post_key(account, "k", project_id=bad)
        assert_error(response, 400, field="project_id")
    keys = (await service.client.get("/api_keys", headers=account.headers)).json()
    assert [key["name"] for key in keys] == ["bootstrap"]
