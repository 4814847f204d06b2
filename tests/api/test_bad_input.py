"""Bad input gets a clear 4xx in the error shape, and changes nothing.

The contract (API.md, "Conventions"): every error body is exactly ``{code, message, request_id}``;
malformed JSON, a missing/invalid/unknown field or a bad path/query parameter answers 400 naming
the field; a body over 64 KiB answers 413; an unknown route 404. Authentication failures of every
kind answer one and the same 401 with ``WWW-Authenticate: Bearer realm="unique"``.

Every rejected request here is also checked to have changed nothing: the account's keys (as
``GET /api_keys`` lists them) and projects (as ``GET /projects`` lists them) are identical before
and after, and so are the rows behind them, including the audit trail.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from sqlalchemy import func, select, update

from tests.helpers import Account, Service, assert_error
from unique import keys
from unique.db.tables import ApiKey, AuditEvent, Project, utcnow

MAX_BODY_BYTES = 64 * 1024
WWW_AUTHENTICATE = 'Bearer realm="unique"'
INVALID_TOKEN = 'Bearer realm="unique", error="invalid_token"'
# Last-use fields legitimately move on every authenticated request (ours included), so the
# "nothing changed" comparison of the key listing leaves them out.
LAST_USE_FIELDS = ("last_used_at", "last_used_from_addr")
JSON = {"Content-Type": "application/json"}


# --- helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class State:
    """What a rejected request must leave untouched."""

    keys: list[dict[str, Any]]
    projects: list[dict[str, Any]]
    key_rows: list[tuple[Any, ...]]
    project_rows: list[tuple[Any, ...]]
    audit_events: int


async def state_of(service: Service, account: Account) -> State:
    listed_keys = await service.client.get("/api_keys", headers=account.headers)
    assert listed_keys.status_code == 200, listed_keys.text
    listed_projects = await service.client.get("/projects?limit=400", headers=account.headers)
    assert listed_projects.status_code == 200, listed_projects.text
    async with service.runtime.sessions() as session:
        key_rows = (
            await session.execute(
                select(
                    ApiKey.id,
                    ApiKey.owner_id,
                    ApiKey.name,
                    ApiKey.token_hash,
                    ApiKey.created_at,
                    ApiKey.revoked_at,
                    ApiKey.expires_at,
                ).order_by(ApiKey.id)
            )
        ).all()
        project_rows = (
            await session.execute(
                select(
                    Project.seq,
                    Project.id,
                    Project.name,
                    Project.region_id,
                    Project.pg_version,
                    Project.updated_at,
                ).order_by(Project.seq)
            )
        ).all()
        audit_events = await session.scalar(select(func.count()).select_from(AuditEvent))
    return State(
        keys=[
            {name: value for name, value in key.items() if name not in LAST_USE_FIELDS}
            for key in listed_keys.json()
        ],
        projects=listed_projects.json()["projects"],
        key_rows=[tuple(row) for row in key_rows],
        project_rows=[tuple(row) for row in project_rows],
        audit_events=audit_events or 0,
    )


@pytest.fixture
async def unchanged(service: Service, account: Account) -> AsyncIterator[None]:
    """Use in a test whose every request must be rejected: fails if any of them changed state."""
    before = await state_of(service, account)
    yield
    assert await state_of(service, account) == before


@pytest.fixture
async def project_id(service: Service, account: Account) -> str:
    """An existing project, so that "projects unchanged" compares a non-empty listing."""
    response = await service.client.post(
        "/projects", json={"project": {"name": "existing"}}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return str(response.json()["project"]["id"])


def create_and_rename(project_id: str) -> list[tuple[str, str]]:
    """The requests that take a project body: create a project, and rename ``project_id``."""
    return [("POST", "/projects"), ("PATCH", f"/projects/{project_id}")]


async def send_json_text(
    service: Service,
    account: Account,
    content: bytes | AsyncIterator[bytes],
    *,
    method: str = "POST",
    path: str = "/api_keys",
) -> httpx.Response:
    """Send ``content`` as it is, labelled JSON: for the bodies ``json=`` cannot write."""
    return await service.client.request(
        method, path, content=content, headers={**account.headers, **JSON}
    )


def json_bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


def padded_json(value: Any, size: int) -> bytes:
    """A valid JSON document of exactly ``size`` bytes: ``value`` followed by whitespace."""
    document = json_bytes(value)
    assert len(document) <= size
    return document + b" " * (size - len(document))


def cursor_of(text: str) -> str:
    """``text`` in unpadded URL-safe base64, a common shape for opaque cursors."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


# --- POST /api_keys: the body ----------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        # Not JSON.
        pytest.param(b'{"key_name": "k"', id="truncated"),
        pytest.param(b"{key_name: 'k'}", id="unquoted-names"),
        pytest.param(b'{"key_name": "k",}', id="trailing-comma"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
        pytest.param(b"NaN-ish garbage", id="garbage"),
        pytest.param(b"", id="empty-body"),
        # JSON, but not an object.
        pytest.param(json_bytes([{"key_name": "k"}]), id="list"),
        pytest.param(json_bytes("key_name"), id="string"),
        pytest.param(b"null", id="null"),
        pytest.param(b"42", id="number"),
        pytest.param(b"true", id="boolean"),
    ],
)
async def test_a_body_that_is_not_a_json_object_is_400(
    service: Service, account: Account, unchanged: None, content: bytes
) -> None:
    assert_error(await send_json_text(service, account, content), 400)


@pytest.mark.parametrize(
    "encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"]
)
async def test_a_json_body_not_encoded_as_utf8_is_400(
    service: Service, account: Account, unchanged: None, encoding: str
) -> None:
    """Python's JSON parser would read these; the contract says UTF-8, so nothing else is read."""
    bodies = {"/api_keys": {"key_name": "k"}, "/projects": {"project": {"name": "p"}}}
    for path, body in bodies.items():
        content = json.dumps(body).encode(encoding)
        assert_error(await send_json_text(service, account, content, path=path), 400)


async def test_a_json_body_with_a_utf8_byte_order_mark_is_read(
    service: Service, account: Account
) -> None:
    content = json.dumps({"key_name": "marked"}).encode("utf-8-sig")
    response = await send_json_text(service, account, content)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "marked"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({}, "key_name", id="missing-key-name"),
        pytest.param({"key_name": "k", "extra": 1}, "extra", id="extra"),
        pytest.param({"key_name": "k", "expires": "2030-01-01T00:00:00Z"}, "expires", id="expires"),
        pytest.param({"key_name": "k", "name": "k"}, "name", id="name"),
    ],
)
async def test_a_missing_key_name_or_a_field_next_to_it_is_400_naming_it(
    service: Service, account: Account, unchanged: None, body: dict[str, Any], field: str
) -> None:
    response = await service.client.post("/api_keys", json=body, headers=account.headers)
    assert_error(response, 400, field=field)


@pytest.mark.parametrize(
    "key_name",
    [
        # Not a string.
        pytest.param(7, id="int"),
        pytest.param(1.5, id="float"),
        pytest.param(["k"], id="list"),
        pytest.param({"name": "k"}, id="object"),
        pytest.param(None, id="null"),
        pytest.param(True, id="bool"),
        # Empty once trimmed, or over 64 characters (code points, not bytes).
        pytest.param("", id="empty"),
        pytest.param(" ", id="one-space"),
        pytest.param("   \t\n  ", id="whitespace"),
        pytest.param("\u3000\u2003", id="unicode-spaces"),
        pytest.param("x" * 65, id="65-chars"),
        pytest.param("🔑" * 65, id="65-code-points"),
        pytest.param("  " + "x" * 65 + "  ", id="65-chars-after-trimming"),
    ],
)
async def test_a_key_name_of_the_wrong_type_or_length_is_400_naming_it(
    service: Service, account: Account, unchanged: None, key_name: Any
) -> None:
    response = await service.client.post(
        "/api_keys", json={"key_name": key_name}, headers=account.headers
    )
    assert_error(response, 400, field="key_name")


@pytest.mark.parametrize(
    "name",
    [
        # Control characters.
        pytest.param("a\x00b", id="nul"),
        pytest.param("bell\x07", id="bell"),
        pytest.param("line\nbreak", id="newline-inside"),
        pytest.param("tab\tinside", id="tab-inside"),
        pytest.param("\x1b[31mred", id="ansi-escape"),
        pytest.param("del\x7f", id="delete"),
        pytest.param("n\x85el", id="c1-control-inside"),
        # Nothing that shows.
        pytest.param("\u200b", id="zero-width-space"),
        pytest.param("\u200b\u200c\u200d\u2060\ufeff", id="only-zero-width-characters"),
        pytest.param(" \u200b \u3000\u2060 ", id="zero-width-among-spaces"),
        pytest.param("\u00ad\U000e0041", id="soft-hyphen-and-tag"),
        # Characters that reorder the text around them.
        pytest.param("invoice\u202etxt.exe", id="right-to-left-override"),
        pytest.param("admin\u2066key\u2069", id="left-to-right-isolate"),
    ],
)
async def test_a_key_or_project_name_with_control_invisible_or_reordering_characters_is_400(
    service: Service, account: Account, project_id: str, unchanged: None, name: str
) -> None:
    key = await service.client.post("/api_keys", json={"key_name": name}, headers=account.headers)
    assert_error(key, 400, field="key_name")
    body = {"project": {"name": name}}
    for method, path in create_and_rename(project_id):
        project = await service.client.request(method, path, json=body, headers=account.headers)
        assert_error(project, 400, field="name")


async def test_a_key_name_with_a_lone_surrogate_is_400_naming_it(
    service: Service, account: Account, unchanged: None
) -> None:
    """Written as JSON text: a lone surrogate has no UTF-8 for ``json=`` to send."""
    content = b'{"key_name": "a\\ud800b"}'
    assert_error(await send_json_text(service, account, content), 400, field="key_name")


async def test_a_form_encoded_body_is_400(
    service: Service, account: Account, unchanged: None
) -> None:
    response = await service.client.post(
        "/api_keys", data={"key_name": "k"}, headers=account.headers
    )
    assert response.request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert_error(response, 400)


async def test_a_64_character_key_name_is_the_longest_accepted(
    service: Service, account: Account
) -> None:
    for name in ("x" * 64, "🔑" * 64, "  " + "y" * 64 + "  "):
        response = await service.client.post(
            "/api_keys", json={"key_name": name}, headers=account.headers
        )
        assert response.status_code == 200, response.text
        assert response.json()["name"] == name.strip()
    listed = (await service.client.get("/api_keys", headers=account.headers)).json()
    assert [key["name"] for key in listed[:3]] == ["y" * 64, "🔑" * 64, "x" * 64]


@pytest.mark.parametrize(
    "name",
    [
        "'; DROP TABLE api_keys; --",
        "Robert'); DELETE FROM users WHERE ('1'='1",
        "1 OR 1=1",
        'x" OR ""="',
        "%_\\%' ESCAPE '\\",
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "&lt;b&gt; &amp; \"quotes\" 'single'",
        "{{7*7}} ${7*7} #{7*7}",
        "../../etc/passwd",
    ],
)
async def test_sql_and_html_looking_names_are_valid_and_stored_verbatim(
    service: Service, account: Account, name: str
) -> None:
    created = await service.client.post(
        "/api_keys", json={"key_name": name}, headers=account.headers
    )
    assert created.status_code == 200, created.text
    assert created.json()["name"] == name
    listed = (await service.client.get("/api_keys", headers=account.headers)).json()
    assert listed[0]["id"] == created.json()["id"]
    assert listed[0]["name"] == name
    assert [key["name"] for key in listed] == [name, "bootstrap"]
    async with service.runtime.sessions() as session:
        stored = await session.scalar(select(ApiKey.name).where(ApiKey.id == created.json()["id"]))
    assert stored == name


# --- body size -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "size",
    [
        pytest.param(MAX_BODY_BYTES + 1, id="64KiB-plus-one-byte"),
        pytest.param(100 * 1024, id="100KB"),
        pytest.param(1024 * 1024, id="1MB"),
    ],
)
async def test_a_body_over_64_kib_is_413(
    service: Service, account: Account, unchanged: None, size: int
) -> None:
    content = padded_json({"key_name": "too-big"}, size)
    response = await send_json_text(service, account, content)
    assert_error(response, 413, code="PAYLOAD_TOO_LARGE")


async def test_a_streamed_body_over_64_kib_without_content_length_is_413(
    service: Service, account: Account, unchanged: None
) -> None:
    content = padded_json({"key_name": "too-big"}, 200 * 1024)

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 8192):
            yield content[start : start + 8192]

    response = await send_json_text(service, account, chunks())
    assert "content-length" not in response.request.headers
    assert_error(response, 413, code="PAYLOAD_TOO_LARGE")


async def test_a_body_of_exactly_64_kib_is_accepted(service: Service, account: Account) -> None:
    content = padded_json({"key_name": "just-fits"}, MAX_BODY_BYTES)
    response = await send_json_text(service, account, content)
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "just-fits"


async def test_a_1_mb_project_body_is_413(
    service: Service, account: Account, project_id: str, unchanged: None
) -> None:
    content = padded_json({"project": {"name": "huge"}}, 1024 * 1024)
    for method, path in create_and_rename(project_id):
        response = await send_json_text(service, account, content, method=method, path=path)
        assert_error(response, 413, code="PAYLOAD_TOO_LARGE")


# --- DELETE /api_keys/{key_id} ---------------------------------------------------------------


@pytest.mark.parametrize(
    "key_id",
    [
        # Integers beyond int64.
        pytest.param(str(2**63), id="int64-max-plus-one"),
        pytest.param(str(10**30), id="10e30"),
        pytest.param(str(-(2**63) - 1), id="int64-min-minus-one"),
        # Not integers.
        pytest.param("abc", id="letters"),
        pytest.param("1.5", id="decimal"),
        pytest.param("1e3", id="exponent"),
        pytest.param("unq_" + "a" * 60, id="a-key-string"),
        # Zero, but not as ``str(0)`` writes it.
        pytest.param("-0", id="minus-zero"),
    ],
)
async def test_a_key_id_that_is_not_an_int64_in_plain_decimal_is_400_naming_it(
    service: Service, account: Account, unchanged: None, key_id: str
) -> None:
    response = await service.client.delete(f"/api_keys/{key_id}", headers=account.headers)
    assert_error(response, 400, field="key_id")


NON_CANONICAL_INTEGERS = [
    pytest.param("0{}", id="leading-zero"),
    pytest.param("+{}", id="plus-sign"),
    pytest.param("{}.0", id="decimal-point"),
    pytest.param("{}_0", id="underscore"),
    pytest.param(" {}", id="leading-space"),
    pytest.param("{} ", id="trailing-space"),
    pytest.param("{}\n", id="trailing-newline"),
    pytest.param("\t{}", id="leading-tab"),
]


@pytest.mark.parametrize("spelling", NON_CANONICAL_INTEGERS)
async def test_a_key_id_not_written_as_a_plain_decimal_is_400_naming_it(
    service: Service, account: Account, unchanged: None, spelling: str
) -> None:
    """Only ``str(int)``'s form names a key: the account's own key, spelled otherwise, stays."""
    key_id = quote(spelling.format(account.key_id), safe="+")
    response = await service.client.delete(f"/api_keys/{key_id}", headers=account.headers)
    assert_error(response, 400, field="key_id")


@pytest.mark.parametrize(
    "key_id",
    [
        pytest.param(-1, id="minus-one"),
        pytest.param(0, id="zero"),
        pytest.param(-(2**63), id="int64-min"),
        pytest.param(2**63 - 1, id="int64-max"),
        # No id at all: ``DELETE /api_keys/`` is a route that does not exist.
        pytest.param("", id="empty"),
    ],
)
async def test_a_key_id_that_names_no_key_of_the_account_is_404(
    service: Service, account: Account, unchanged: None, key_id: int | str
) -> None:
    response = await service.client.delete(f"/api_keys/{key_id}", headers=account.headers)
    assert_error(response, 404, code="NOT_FOUND")


# --- projects --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field"),
    [
        pytest.param("limit=0", "limit", id="limit-0"),
        pytest.param("limit=401", "limit", id="limit-401"),
        pytest.param("limit=-1", "limit", id="limit-negative"),
        pytest.param("limit=x", "limit", id="limit-not-a-number"),
        pytest.param("limit=1.5", "limit", id="limit-decimal"),
        pytest.param(f"limit={10**30}", "limit", id="limit-huge"),
        pytest.param("cursor=garbage", "cursor", id="cursor-word"),
        pytest.param("cursor=%21%21%21", "cursor", id="cursor-punctuation"),
        pytest.param("cursor=" + "x" * 129, "cursor", id="cursor-too-long"),
        pytest.param("cursor=-1", "cursor", id="cursor-negative-number"),
        pytest.param("cursor=" + "9" * 30, "cursor", id="cursor-huge-number"),
        pytest.param("cursor=" + cursor_of("q12"), "cursor", id="cursor-base64-wrong-tag"),
        pytest.param("cursor=" + cursor_of("p-1"), "cursor", id="cursor-base64-negative"),
        pytest.param("cursor=" + cursor_of("p" + "9" * 30), "cursor", id="cursor-base64-huge"),
        pytest.param("search=" + "s" * 257, "search", id="search-too-long"),
        pytest.param("recoverable=yes", "recoverable", id="recoverable-yes"),
        pytest.param("recoverable=1", "recoverable", id="recoverable-1"),
        pytest.param("recoverable=", "recoverable", id="recoverable-empty"),
        pytest.param("timeout=99", "timeout", id="timeout-under-100"),
        pytest.param("timeout=30001", "timeout", id="timeout-over-30000"),
        pytest.param("timeout=1e3", "timeout", id="timeout-not-an-integer"),
        pytest.param("timeout=0100", "timeout", id="timeout-leading-zero"),
    ],
)
async def test_a_bad_projects_query_parameter_is_400_naming_it(
    service: Service,
    account: Account,
    project_id: str,
    unchanged: None,
    query: str,
    field: str,
) -> None:
    response = await service.client.get(f"/projects?{query}", headers=account.headers)
    assert_error(response, 400, field=field)


@pytest.mark.parametrize("spelling", NON_CANONICAL_INTEGERS)
async def test_a_limit_not_written_as_a_plain_decimal_is_400_naming_it(
    service: Service, account: Account, project_id: str, unchanged: None, spelling: str
) -> None:
    response = await service.client.get(
        "/projects", params={"limit": spelling.format(5)}, headers=account.headers
    )
    assert_error(response, 400, field="limit")


async def test_projects_limit_bounds_1_and_400_are_accepted(
    service: Service, account: Account, project_id: str
) -> None:
    for limit in (1, 400):
        response = await service.client.get(f"/projects?limit={limit}", headers=account.headers)
        assert response.status_code == 200, response.text
        assert [project["id"] for project in response.json()["projects"]] == [project_id]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"project": {"pg_version": "16"}}, "pg_version", id="pg-version-string"),
        pytest.param({"project": {"pg_version": 13}}, "pg_version", id="pg-version-13"),
        pytest.param({"project": {"pg_version": 19}}, "pg_version", id="pg-version-19"),
        pytest.param({"project": {"pg_version": True}}, "pg_version", id="pg-version-bool"),
        pytest.param({"project": {"region_id": "mars-north-1"}}, "region_id", id="region-unknown"),
        pytest.param({"project": {"region_id": ""}}, "region_id", id="region-empty"),
        pytest.param({"project": {"region_id": 2}}, "region_id", id="region-not-a-string"),
        pytest.param({"project": {"name": "n" * 257}}, "name", id="name-257"),
        pytest.param({"project": {"name": ""}}, "name", id="name-empty"),
        pytest.param({"project": {"name": "   "}}, "name", id="name-whitespace"),
        pytest.param({"project": {"name": 5}}, "name", id="name-not-a-string"),
        pytest.param({"project": {"name": "a\x00b"}}, "name", id="name-nul"),
        pytest.param({"project": {"colour": "blue"}}, "colour", id="unknown-project-field"),
        pytest.param({"project": {"settings": []}}, "project.settings", id="settings-list"),
        pytest.param({"project": {"settings": "x"}}, "project.settings", id="settings-string"),
        pytest.param(
            {"project": {"settings": {"hipaa": "yes"}}}, "settings.hipaa", id="setting-mistyped"
        ),
        pytest.param(
            {"project": {"settings": {"hipaa": None}}}, "settings.hipaa", id="setting-null"
        ),
        pytest.param(
            {"project": {"settings": {"colour": "blue"}}}, "settings.colour", id="setting-unknown"
        ),
        pytest.param(
            {"project": {"settings": {"maintenance_window": {"weekdays": [1]}}}},
            "settings.maintenance_window.start_time",
            id="setting-incomplete",
        ),
        pytest.param(
            {"project": {"history_retention_seconds": 2_592_001}},
            "history_retention_seconds",
            id="history-retention-over-30-days",
        ),
        pytest.param(
            {"project": {"history_retention_seconds": "60"}},
            "history_retention_seconds",
            id="history-retention-string",
        ),
        pytest.param(
            {"project": {"default_endpoint_settings": {"autoscaling_limit_min_cu": 0.1}}},
            "default_endpoint_settings.autoscaling_limit_min_cu",
            id="compute-units-too-few",
        ),
        pytest.param(
            {"project": {"default_endpoint_settings": {"pg_settings": {"work_mem": 64}}}},
            "default_endpoint_settings.pg_settings.work_mem",
            id="pg-setting-not-a-string",
        ),
        pytest.param({"project": {}, "extra": 1}, "extra", id="unknown-top-level-field"),
        pytest.param({}, "project", id="missing-project"),
        pytest.param({"project": None}, "project", id="project-null"),
        pytest.param({"project": "p"}, "project", id="project-string"),
        pytest.param({"project": []}, "project", id="project-list"),
    ],
)
async def test_a_bad_project_body_is_400_naming_the_field(
    service: Service,
    account: Account,
    project_id: str,
    unchanged: None,
    body: dict[str, Any],
    field: str,
) -> None:
    """On create and on rename alike."""
    for method, path in create_and_rename(project_id):
        response = await service.client.request(method, path, json=body, headers=account.headers)
        assert_error(response, 400, field=field)


@pytest.mark.parametrize(
    "extra",
    [
        {"pg_version": 16},
        {"region_id": "aws-us-east-2"},
        {"branch": {}},
        {"provisioner": "k8s-pod"},
        {"store_passwords": True},
        {"org_id": "org-a-1"},
        {"autoscaling_limit_min_cu": 1},
    ],
    ids=lambda extra: next(iter(extra)),
)
async def test_an_update_with_a_create_only_field_is_400_naming_it(
    service: Service, account: Account, project_id: str, unchanged: None, extra: dict[str, Any]
) -> None:
    """Neon's ProjectUpdateRequest has only name, settings, default_endpoint_settings and
    history_retention_seconds."""
    body = {"project": {"name": "x", **extra}}
    response = await service.client.patch(
        f"/projects/{project_id}", json=body, headers=account.headers
    )
    assert_error(response, 400, field=next(iter(extra)))


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        pytest.param({"branch": []}, "project.branch", id="branch-list"),
        pytest.param({"branch": {"name": ""}}, "branch.name", id="branch-name-empty"),
        pytest.param({"branch": {"role_name": 1}}, "branch.role_name", id="branch-role-number"),
        pytest.param({"branch": {"size": 1}}, "branch.size", id="branch-unknown-field"),
        pytest.param(
            {"branch": {"annotations": {str(n): "v" for n in range(51)}}},
            "branch.annotations",
            id="branch-annotations-over-50",
        ),
        pytest.param({"provisioner": "docker"}, "provisioner", id="provisioner-unknown"),
        pytest.param({"store_passwords": "true"}, "store_passwords", id="store-passwords-string"),
        pytest.param({"store_passwords": 1}, "store_passwords", id="store-passwords-number"),
        pytest.param({"autoscaling_limit_max_cu": True}, "autoscaling_limit_max_cu", id="cu-bool"),
        pytest.param({"autoscaling_limit_min_cu": 0}, "autoscaling_limit_min_cu", id="cu-zero"),
        pytest.param({"org_id": "Not An Id"}, "project.org_id", id="org-id-malformed"),
    ],
)
async def test_a_bad_create_only_field_is_400_naming_it(
    service: Service, account: Account, unchanged: None, fields: dict[str, Any], field: str
) -> None:
    response = await service.client.post(
        "/projects", json={"project": fields}, headers=account.headers
    )
    assert_error(response, 400, field=field)


async def test_an_organization_one_is_not_a_member_of_is_404_and_creates_nothing(
    service: Service, account: Account, unchanged: None
) -> None:
    response = await service.client.post(
        "/projects", json={"project": {"org_id": "org-a-1"}}, headers=account.headers
    )
    assert_error(response, 404, code="NOT_FOUND")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b'{"project": {', id="malformed-json"),
        pytest.param(b"[]", id="list"),
        pytest.param(b"null", id="null"),
    ],
)
async def test_a_malformed_project_body_is_400(
    service: Service, account: Account, project_id: str, unchanged: None, content: bytes
) -> None:
    for method, path in create_and_rename(project_id):
        response = await send_json_text(service, account, content, method=method, path=path)
        assert_error(response, 400)


async def test_an_empty_project_object_creates_a_project_with_defaults(
    service: Service, account: Account
) -> None:
    response = await service.client.post("/projects", json={"project": {}}, headers=account.headers)
    assert response.status_code == 201, response.text
    project = response.json()["project"]
    assert project["name"] == project["id"]
    assert project["pg_version"] == 17
    assert project["region_id"] == "aws-us-east-2"


async def test_project_boundaries_are_accepted(service: Service, account: Account) -> None:
    for fields in (
        {"name": "n" * 256},
        {"name": "  " + "m" * 256 + "  "},
        {"pg_version": 14},
        {"pg_version": 18},
        {"region_id": "aws-eu-central-1"},
    ):
        response = await service.client.post(
            "/projects", json={"project": fields}, headers=account.headers
        )
        assert response.status_code == 201, (fields, response.text)
        project = response.json()["project"]
        for name, value in fields.items():
            assert project[name] == (value.strip() if isinstance(value, str) else value)


# --- the Authorization header ----------------------------------------------------------------

HeaderValue = str | bytes | None
HeaderMaker = Callable[[Service, Account], Awaitable[HeaderValue]]


async def _other_key(service: Service, account: Account) -> dict[str, Any]:
    response = await service.client.post(
        "/api_keys", json={"key_name": "other"}, headers=account.headers
    )
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


async def _no_header(service: Service, account: Account) -> HeaderValue:
    return None


def _fixed(value: HeaderValue) -> HeaderMaker:
    async def make(service: Service, account: Account) -> HeaderValue:
        return value

    return make


def _with_own_key(template: str) -> HeaderMaker:
    async def make(service: Service, account: Account) -> HeaderValue:
        return template.format(key=account.key)

    return make


async def _bad_checksum(service: Service, account: Account) -> HeaderValue:
    last = account.key[-1]
    return f"Bearer {account.key[:-1]}{'1' if last == '0' else '0'}"


async def _unknown_key(service: Service, account: Account) -> HeaderValue:
    return f"Bearer {keys.generate()}"


async def _revoked_key(service: Service, account: Account) -> HeaderValue:
    other = await _other_key(service, account)
    revoked = await service.client.delete(f"/api_keys/{other['id']}", headers=account.headers)
    assert revoked.status_code == 200, revoked.text
    return f"Bearer {other['key']}"


async def _expired_key(service: Service, account: Account) -> HeaderValue:
    other = await _other_key(service, account)
    async with service.runtime.sessions.begin() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == other["id"])
            .values(expires_at=utcnow() - timedelta(hours=1))
        )
    return f"Bearer {other['key']}"


# Each header, and whether it presents a Bearer credential (RFC 6750: only then does the
# challenge carry error="invalid_token"; an absent one or another scheme gets the bare challenge).
UNAUTHORIZED_HEADERS = [
    pytest.param(_no_header, False, id="no-header"),
    pytest.param(_fixed("Bearer"), False, id="scheme-only"),
    pytest.param(_fixed("Bearer "), False, id="scheme-and-space"),
    pytest.param(_fixed(""), False, id="empty"),
    pytest.param(_fixed("Basic x"), False, id="basic"),
    pytest.param(_fixed("Basic dXNlcjpwYXNz"), False, id="basic-credentials"),
    pytest.param(_with_own_key("Token {key}"), False, id="token-scheme-valid-key"),
    pytest.param(_with_own_key("{key}"), False, id="valid-key-without-scheme"),
    pytest.param(_with_own_key("Bearer {key} {key}"), True, id="two-keys"),
    pytest.param(_with_own_key("Bearer {key}x"), True, id="valid-key-plus-one-char"),
    pytest.param(_fixed("Bearer " + "a" * 10_240), True, id="10kB-token"),
    pytest.param(_bad_checksum, True, id="bad-checksum"),
    pytest.param(_unknown_key, True, id="unknown-well-formed-key"),
    pytest.param(_revoked_key, True, id="revoked-key"),
    pytest.param(_expired_key, True, id="expired-key"),
    pytest.param(_fixed(b"Bearer \xff\xfe"), True, id="non-ascii-bytes"),
    pytest.param(_fixed(("Bearer unq_é" + "a" * 59).encode()), True, id="non-ascii-key"),
]


def _authorization(value: HeaderValue) -> dict[bytes, bytes]:
    """The header as raw bytes, so that non-ASCII values reach the server unchanged."""
    if value is None:
        return {}
    return {b"Authorization": value if isinstance(value, bytes) else value.encode("latin-1")}


def assert_unauthorized(response: httpx.Response, credential_presented: bool) -> dict[str, str]:
    body = assert_error(response, 401, code="UNAUTHORIZED")
    challenge = INVALID_TOKEN if credential_presented else WWW_AUTHENTICATE
    assert response.headers.get_list("www-authenticate") == [challenge]
    return body


def without_request_id(body: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in body.items() if name != "request_id"}


@pytest.mark.parametrize(("make_header", "credential_presented"), UNAUTHORIZED_HEADERS)
async def test_every_authentication_failure_answers_the_same_401_and_creates_or_revokes_nothing(
    service: Service, account: Account, make_header: HeaderMaker, credential_presented: bool
) -> None:
    header = await make_header(service, account)
    before = await state_of(service, account)
    baseline = assert_unauthorized(
        await service.client.post("/api_keys", json={"key_name": "nope"}), False
    )
    attempts = [
        await service.client.post(
            "/api_keys", json={"key_name": "nope"}, headers=_authorization(header)
        ),
        await service.client.delete(f"/api_keys/{account.key_id}", headers=_authorization(header)),
    ]
    for response in attempts:
        body = assert_unauthorized(response, credential_presented)
        assert without_request_id(body) == without_request_id(baseline)
    assert await state_of(service, account) == before


@pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR", "Bearer"])
async def test_the_bearer_scheme_is_case_insensitive(
    service: Service, account: Account, scheme: str
) -> None:
    response = await service.client.get(
        "/users/me", headers={"Authorization": f"{scheme} {account.key}"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["id"] == str(account.user_id)


@pytest.mark.parametrize(
    ("search", "status"),
    [
        pytest.param("analytics", 200, id="word"),
        pytest.param("ünï 🔑", 200, id="unicode"),
        pytest.param("\u200b", 200, id="zero-width-space"),
        pytest.param("\x00", 400, id="nul-alone"),
        pytest.param("a\x00b", 400, id="nul"),
        pytest.param("a\x1fb", 400, id="c0-control"),
        pytest.param("a\x7fb", 400, id="delete"),
        pytest.param("a\x85b", 400, id="c1-next-line"),
        pytest.param("a\x9fb", 400, id="c1-last"),
    ],
)
async def test_a_search_with_control_characters_is_400_as_the_document_says(
    service: Service, account: Account, search: str, status: int
) -> None:
    """The search parameter's published schema allows exactly the searches the server answers,
    and every other one answers the 400 the document declares, in the error shape."""
    document = (await service.client.get("/openapi.json")).json()
    listing = document["paths"]["/api/v2/projects"]["get"]
    (parameter,) = [p for p in listing["parameters"] if p["name"] == "search"]
    assert listing["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorBody"
    }
    matches_the_pattern = re.search(parameter["schema"]["pattern"], search) is not None
    response = await service.client.get(
        "/projects", params={"search": search}, headers=account.headers
    )
    if status == 200:
        assert matches_the_pattern
        assert response.status_code == 200, response.text
    else:
        assert not matches_the_pattern
        assert_error(response, 400, field="search")


async def test_the_create_response_is_never_cached(service: Service, account: Account) -> None:
    created = await service.client.post(
        "/api_keys", json={"key_name": "k"}, headers=account.headers
    )
    assert created.headers["cache-control"] == "no-store"
