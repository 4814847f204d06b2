"""The projects API, as specified in API.md ("Projects").

A project is a record owned by the account. These tests pin down the shape of a single project
(create / get / patch / delete answer with it), the smaller shape of a list item, the defaults
derived from the configured regions, renaming, deletion, cursor pagination (newest first, never
skipping or repeating an item, even while projects are created between pages) and search (part of
the name or id, case-insensitive, with SQL wildcard characters taken literally).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from tests.helpers import Account, Service
from unique.db.tables import Project

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
PROJECT_ID = re.compile(r"^[a-z0-9-]{1,60}$")
GENERATED_ID = re.compile(r"^[a-z]+-[a-z]+-[0-9]{8}$")
MiB = 1024 * 1024

LIST_FIELDS = {
    "id",
    "name",
    "platform_id",
    "region_id",
    "provisioner",
    "pg_version",
    "proxy_host",
    "locked",
    "cpu_used_sec",
    "active_time",
    "branch_logical_size_limit",
    "branch_logical_size_limit_bytes",
    "store_passwords",
    "creation_source",
    "history_retention_seconds",
    "owner_id",
    "created_at",
    "updated_at",
}
USAGE_FIELDS = {
    "data_storage_bytes_hour",
    "data_transfer_bytes",
    "written_data_bytes",
    "compute_time_seconds",
    "active_time_seconds",
    "consumption_period_start",
    "consumption_period_end",
}
DETAIL_FIELDS = LIST_FIELDS | USAGE_FIELDS
# What Neon's create response holds besides the project: databases, roles and computes this
# service does not run, so always empty.
CREATED_EXTRAS: dict[str, Any] = {
    "connection_uris": [],
    "roles": [],
    "databases": [],
    "operations": [],
    "endpoints": [],
}
# Neon's listing maps project ids to installed applications and integrations: none here.
LISTING_EXTRAS: dict[str, Any] = {"applications": {}, "integrations": {}}
PAGE_FIELDS = {"projects", "pagination", *LISTING_EXTRAS}
EMPTY_PAGE = {"projects": [], **LISTING_EXTRAS}

# Matches the id pattern but can never be generated (no 8-digit suffix).
MISSING_PROJECT_ID = "no-such-project"


def parse_timestamp(value: str) -> datetime:
    assert TIMESTAMP.match(value), value
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def month_period(moment: datetime) -> tuple[str, str]:
    """The contract's consumption period for `moment`: this UTC month's start and the next's."""
    start = moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    end = (
        start.replace(year=start.year + 1, month=1)
        if start.month == 12
        else start.replace(month=start.month + 1)
    )
    return start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


async def create_project(service: Service, account: Account, **fields: Any) -> dict[str, Any]:
    response = await service.client.post(
        "/projects", json={"project": fields}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()["project"]
    return project


async def create_named(service: Service, account: Account, names: list[str]) -> list[str]:
    """Create one project per name, in order; return their ids in creation order."""
    return [(await create_project(service, account, name=name))["id"] for name in names]


async def list_page(service: Service, account: Account, **params: Any) -> dict[str, Any]:
    response = await service.client.get("/projects", params=params, headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def list_all(service: Service, account: Account, **params: Any) -> list[list[str]]:
    """Follow cursors to the end; return the ids of each non-empty page.

    Checks on the way that every non-empty page carries a cursor and that the listing past the
    end is exactly ``EMPTY_PAGE``.
    """
    pages: list[list[str]] = []
    cursor: str | None = None
    for _ in range(100):
        body = await list_page(service, account, **params, **({"cursor": cursor} if cursor else {}))
        if not body["projects"]:
            assert body == EMPTY_PAGE
            return pages
        assert set(body) == PAGE_FIELDS
        assert isinstance(body["pagination"]["cursor"], str) and body["pagination"]["cursor"]
        pages.append([project["id"] for project in body["projects"]])
        cursor = body["pagination"]["cursor"]
    raise AssertionError("pagination did not end after 100 pages")


def newest_first(ids: list[str]) -> list[str]:
    return list(reversed(ids))


# --- Create -------------------------------------------------------------------------------------


async def test_create_with_an_empty_project_answers_201_with_every_documented_field(
    service: Service, account: Account
) -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    response = await service.client.post("/projects", json={"project": {}}, headers=account.headers)
    after = datetime.now(UTC)
    assert response.status_code == 201
    body = response.json()
    assert {field: value for field, value in body.items() if field != "project"} == CREATED_EXTRAS
    project = body["project"]
    assert set(project) == DETAIL_FIELDS

    assert PROJECT_ID.match(project["id"])
    assert GENERATED_ID.match(project["id"])
    assert project["name"] == project["id"]
    assert project["platform_id"] == "aws"
    assert project["region_id"] == "aws-us-east-2"
    assert project["provisioner"] == "k8s-pod"
    assert project["pg_version"] == 17
    assert project["proxy_host"] == "us-east-2.aws.unique.localhost"
    assert project["locked"] is False
    assert project["store_passwords"] is True
    assert project["creation_source"] == "api"
    assert project["owner_id"] == str(account.user_id)
    for field in ("cpu_used_sec", "active_time"):
        assert is_int(project[field]) and project[field] == 0, field
    assert is_int(project["branch_logical_size_limit"])
    assert project["branch_logical_size_limit"] == 3072
    assert project["branch_logical_size_limit_bytes"] == 3072 * MiB
    assert is_int(project["history_retention_seconds"])
    assert project["history_retention_seconds"] == 86400

    created_at = parse_timestamp(project["created_at"])
    assert before <= created_at <= after
    assert project["updated_at"] == project["created_at"]

    for field in USAGE_FIELDS - {"consumption_period_start", "consumption_period_end"}:
        assert is_int(project[field]) and project[field] == 0, field
    period = (project["consumption_period_start"], project["consumption_period_end"])
    assert period in {month_period(before), month_period(after)}


async def test_generated_ids_are_distinct(service: Service, account: Account) -> None:
    ids = [(await create_project(service, account))["id"] for _ in range(5)]
    assert len(set(ids)) == 5
    assert all(GENERATED_ID.match(project_id) for project_id in ids)


async def test_create_with_name_region_and_pg_version(service: Service, account: Account) -> None:
    project = await create_project(
        service, account, name="  my project  ", region_id="aws-eu-central-1", pg_version=16
    )
    assert project["name"] == "my project"
    assert project["region_id"] == "aws-eu-central-1"
    assert project["platform_id"] == "aws"
    assert project["proxy_host"] == "eu-central-1.aws.unique.localhost"
    assert project["pg_version"] == 16
    assert GENERATED_ID.match(project["id"])
    assert project["name"] != project["id"]


# --- Get, rename, delete ------------------------------------------------------------------------


async def test_get_answers_the_same_record_as_create(service: Service, account: Account) -> None:
    created = await create_project(service, account, name="fetched", pg_version=15)
    response = await service.client.get(f"/projects/{created['id']}", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"project"}
    assert set(body["project"]) == DETAIL_FIELDS
    assert body["project"] == created


async def test_get_an_unknown_project_is_404(service: Service, account: Account) -> None:
    response = await service.client.get(f"/projects/{MISSING_PROJECT_ID}", headers=account.headers)
    assert response.status_code == 404
    assert set(response.json()) == {"code", "message", "request_id"}
    assert response.json()["code"] == "NOT_FOUND"


async def created_an_hour_ago(
    service: Service, account: Account, project_id: str
) -> dict[str, Any]:
    """Move the project's stored times an hour back, as if it had been made then: timestamps have
    second precision, and a change made in the same second would not move ``updated_at``."""
    async with service.runtime.sessions.begin() as session:
        project = await session.scalar(select(Project).where(Project.id == project_id))
        assert project is not None
        project.created_at = project.updated_at = project.created_at - timedelta(hours=1)
    response = await service.client.get(f"/projects/{project_id}", headers=account.headers)
    assert response.status_code == 200
    return dict(response.json()["project"])


async def test_rename_answers_the_project_and_no_operations_and_trims_the_name(
    service: Service, account: Account
) -> None:
    created = await create_project(service, account, name="before")
    created = await created_an_hour_ago(service, account, created["id"])
    renamed_from = datetime.now(UTC).replace(microsecond=0)
    response = await service.client.patch(
        f"/projects/{created['id']}",
        json={"project": {"name": "  after rename  "}},
        headers=account.headers,
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"project", "operations"}
    assert body["operations"] == []
    project = body["project"]
    assert set(project) == DETAIL_FIELDS
    assert project["id"] == created["id"]
    assert project["name"] == "after rename"
    assert project["created_at"] == created["created_at"]
    assert parse_timestamp(project["updated_at"]) > parse_timestamp(created["created_at"])
    assert parse_timestamp(project["updated_at"]) >= renamed_from
    unchanged = DETAIL_FIELDS - {"name", "updated_at"}
    assert {field: project[field] for field in unchanged} == {
        field: created[field] for field in unchanged
    }

    fetched = await service.client.get(f"/projects/{created['id']}", headers=account.headers)
    assert fetched.json()["project"] == project


async def test_delete_answers_the_deleted_record_and_the_project_is_gone(
    service: Service, account: Account
) -> None:
    created = await create_project(service, account, name="doomed")
    kept = await create_project(service, account, name="kept")

    response = await service.client.delete(f"/projects/{created['id']}", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"project"}
    assert body["project"] == created

    again = await service.client.get(f"/projects/{created['id']}", headers=account.headers)
    assert again.status_code == 404
    assert again.json()["code"] == "NOT_FOUND"
    listed = await list_page(service, account)
    assert [project["id"] for project in listed["projects"]] == [kept["id"]]


async def test_deleting_twice_is_404_the_second_time(service: Service, account: Account) -> None:
    created = await create_project(service, account)
    first = await service.client.delete(f"/projects/{created['id']}", headers=account.headers)
    second = await service.client.delete(f"/projects/{created['id']}", headers=account.headers)
    assert first.status_code == 200
    assert second.status_code == 404
    assert second.json()["code"] == "NOT_FOUND"


# --- List ---------------------------------------------------------------------------------------


async def test_list_items_have_the_list_fields_only(service: Service, account: Account) -> None:
    created = await create_project(service, account, name="listed", region_id="aws-us-west-2")
    body = await list_page(service, account)
    assert set(body) == PAGE_FIELDS
    [item] = body["projects"]
    assert set(item) == LIST_FIELDS
    assert not USAGE_FIELDS & set(item)
    assert item == {field: created[field] for field in LIST_FIELDS}
    assert item["proxy_host"] == "us-west-2.aws.unique.localhost"


async def test_an_account_without_projects_lists_an_empty_page(
    service: Service, account: Account
) -> None:
    assert await list_page(service, account) == EMPTY_PAGE


async def test_default_limit_is_10(service: Service, account: Account) -> None:
    ids = await create_named(service, account, [f"p{i}" for i in range(12)])
    body = await list_page(service, account)
    assert [project["id"] for project in body["projects"]] == newest_first(ids)[:10]
    assert isinstance(body["pagination"]["cursor"], str)


async def test_limit_400_is_allowed(service: Service, account: Account) -> None:
    ids = await create_named(service, account, ["a", "b", "c"])
    body = await list_page(service, account, limit=400)
    assert [project["id"] for project in body["projects"]] == newest_first(ids)


@pytest.mark.parametrize("limit", ["0", "401", "-1", "ten"])
async def test_a_limit_outside_1_to_400_is_400_naming_the_field(
    service: Service, account: Account, limit: str
) -> None:
    response = await service.client.get(
        "/projects", params={"limit": limit}, headers=account.headers
    )
    assert response.status_code == 400
    assert response.json()["code"] == "INVALID_REQUEST"
    assert "limit" in response.json()["message"]


async def test_following_cursors_returns_every_project_once_newest_first(
    service: Service, account: Account
) -> None:
    ids = await create_named(service, account, [f"project {i}" for i in range(25)])
    assert len(set(ids)) == 25

    pages = await list_all(service, account, limit=10)

    assert [len(page) for page in pages] == [10, 10, 5]
    assert [project_id for page in pages for project_id in page] == newest_first(ids)


async def test_pages_never_skip_or_repeat_while_projects_are_created(
    service: Service, account: Account
) -> None:
    ids = await create_named(service, account, [f"old {i}" for i in range(12)])

    seen: list[str] = []
    cursor: str | None = None
    for round_number in range(10):
        params: dict[str, Any] = {"limit": 4} | ({"cursor": cursor} if cursor else {})
        body = await list_page(service, account, **params)
        if not body["projects"]:
            assert body == EMPTY_PAGE
            break
        seen.extend(project["id"] for project in body["projects"])
        cursor = body["pagination"]["cursor"]
        # Newer projects arrive between page fetches; they sort before the cursor's position.
        await create_named(service, account, [f"new {round_number}a", f"new {round_number}b"])
    else:
        raise AssertionError("pagination did not end")

    assert seen == newest_first(ids)


# --- Search -------------------------------------------------------------------------------------


async def test_search_matches_part_of_the_name_case_insensitively(
    service: Service, account: Account
) -> None:
    production, _, staging = await create_named(
        service, account, ["Production DB", "analytics", "staging db"]
    )
    body = await list_page(service, account, search="DUCTION")
    assert [project["id"] for project in body["projects"]] == [production]
    body = await list_page(service, account, search="Db")
    assert [project["id"] for project in body["projects"]] == [staging, production]
    assert set(body["projects"][0]) == LIST_FIELDS


async def test_search_matches_part_of_the_id_case_insensitively(
    service: Service, account: Account
) -> None:
    target, _ = await create_named(service, account, ["first", "second"])
    # The noun and the 8 digits: part of the id, not of any name, and not of the other id.
    fragment = target.split("-", 1)[1].upper()
    body = await list_page(service, account, search=fragment)
    assert [project["id"] for project in body["projects"]] == [target]


async def test_search_is_case_insensitive_beyond_ascii(service: Service, account: Account) -> None:
    cyrillic, german = await create_named(service, account, ["Проект Альфа", "Ärger Über"])
    body = await list_page(service, account, search="проект")
    assert [project["id"] for project in body["projects"]] == [cyrillic]
    body = await list_page(service, account, search="äRGER üBER")
    assert [project["id"] for project in body["projects"]] == [german]


async def test_search_takes_percent_underscore_and_backslash_literally(
    service: Service, account: Account
) -> None:
    percent, underscore, plain, backslash = await create_named(
        service, account, ["100% real", "a_b", "axb", "back\\slash"]
    )

    async def found(search: str) -> list[str]:
        body = await list_page(service, account, search=search)
        return [project["id"] for project in body["projects"]]

    assert await found("a_b") == [underscore]
    assert await found("_") == [underscore]
    assert await found("%") == [percent]
    assert await found("0% r") == [percent]
    assert await found("\\") == [backslash]
    assert await found("axb") == [plain]


async def test_search_that_matches_nothing_is_an_empty_listing(
    service: Service, account: Account
) -> None:
    await create_named(service, account, ["alpha", "beta"])
    assert await list_page(service, account, search="zzz-nothing") == EMPTY_PAGE


async def test_search_pages_with_cursors(service: Service, account: Account) -> None:
    matching: list[str] = []
    for i in range(7):
        match, _ = await create_named(service, account, [f"Match {i}", f"other {i}"])
        matching.append(match)

    pages = await list_all(service, account, search="match", limit=3)

    assert [len(page) for page in pages] == [3, 3, 1]
    assert [project_id for page in pages for project_id in page] == newest_first(matching)


# --- Neon's other request fields ----------------------------------------------------------------


async def test_create_keeps_settings_provisioner_passwords_and_retention(
    service: Service, account: Account
) -> None:
    settings = {
        "hipaa": True,
        "allowed_ips": {"ips": ["192.0.2.1"], "protected_branches_only": True},
        "maintenance_window": {"weekdays": [6, 7], "start_time": "01:00", "end_time": "03:00"},
    }
    created = await create_project(
        service,
        account,
        settings=settings,
        provisioner="k8s-neonvm",
        store_passwords=False,
        history_retention_seconds=0,
        # Compute-only: checked, then ignored.
        branch={"name": "main", "database_name": "appdb", "role_name": "app"},
        default_endpoint_settings={"autoscaling_limit_min_cu": 0.25, "suspend_timeout_seconds": -1},
        autoscaling_limit_min_cu=0.25,
        autoscaling_limit_max_cu=8,
    )
    assert set(created) == DETAIL_FIELDS | {"settings"}
    assert created["settings"] == settings
    assert (created["provisioner"], created["store_passwords"]) == ("k8s-neonvm", False)
    assert created["history_retention_seconds"] == 0

    fetched = await service.client.get(f"/projects/{created['id']}", headers=account.headers)
    assert fetched.json()["project"] == created
    [listed] = (await list_page(service, account))["projects"]
    assert listed == {field: created[field] for field in LIST_FIELDS}


async def test_null_fields_of_a_create_mean_the_defaults(
    service: Service, account: Account
) -> None:
    fields = ["settings", "provisioner", "store_passwords", "history_retention_seconds", "branch"]
    created = await create_project(service, account, **dict.fromkeys([*fields, "org_id"]))
    assert "settings" not in created
    assert (created["provisioner"], created["store_passwords"]) == ("k8s-pod", True)
    assert created["history_retention_seconds"] == 86400


async def test_an_update_merges_settings_and_sets_the_retention(
    service: Service, account: Account
) -> None:
    created = await create_project(
        service, account, name="kept", settings={"hipaa": True, "allowed_ips": {"ips": []}}
    )
    created = await created_an_hour_ago(service, account, created["id"])

    async def update(fields: dict[str, Any]) -> dict[str, Any]:
        response = await service.client.patch(
            f"/projects/{created['id']}", json={"project": fields}, headers=account.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["operations"] == []
        project: dict[str, Any] = response.json()["project"]
        return project

    updated = await update(
        {
            "settings": {"allowed_ips": {"ips": ["192.0.2.1"]}, "block_vpc_connections": True},
            "history_retention_seconds": 3600,
            "default_endpoint_settings": {"pg_settings": {"work_mem": "64MB"}},
        }
    )
    assert updated["settings"] == {
        "hipaa": True,
        "allowed_ips": {"ips": ["192.0.2.1"]},
        "block_vpc_connections": True,
    }
    assert updated["history_retention_seconds"] == 3600
    assert updated["name"] == "kept"
    assert parse_timestamp(updated["updated_at"]) > parse_timestamp(created["updated_at"])

    # Nothing given, nothing changed; no settings given, none changed.
    assert await update({}) == updated
    assert (await update({"settings": {}}))["settings"] == updated["settings"]


@pytest.mark.parametrize("params", [{"recoverable": "false"}, {"timeout": 100}])
async def test_neons_listing_parameters_are_accepted_and_change_nothing(
    service: Service, account: Account, params: dict[str, Any]
) -> None:
    await create_named(service, account, ["one", "two"])
    assert await list_page(service, account, **params) == await list_page(service, account)


async def test_no_project_is_ever_recoverable(service: Service, account: Account) -> None:
    """Neon lists deleted projects still in their recovery window; nothing is kept here."""
    await create_named(service, account, ["one", "two"])
    await service.client.delete(
        f"/projects/{(await list_page(service, account))['projects'][0]['id']}",
        headers=account.headers,
    )
    recoverable = await list_page(service, account, recoverable="true")
    assert recoverable == {"projects": [], "applications": {}, "integrations": {}}
