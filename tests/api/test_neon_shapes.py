"""Our project and user responses, validated against Neon's own published OpenAPI document.

API.md quotes Neon's shapes from the OpenAPI document shipped in the npm package
``@neondatabase/api-client`` 2.7.3 (``public-v2-for-users.gen.yaml``). These tests install that
package (once, into var/neon-api-client, gitignored; an install that fails fails the tests, it does
not skip them), and validate with ``jsonschema`` what our server answers to each operation a Neon
client calls (``createProject``, ``getProject``, ``updateProject``, ``deleteProject``,
``listProjects``, ``getCurrentUserInfo``) against the schema Neon declares for that answer, and that
our requests accept every ``project.*`` field of Neon's ``ProjectCreateRequest`` and
``ProjectUpdateRequest``.

One deliberate difference: Neon's create response also requires ``branch`` (the project's default
branch). This service runs no databases and has no branches, so the create response carries the
five empty lists API.md names and no ``branch``; the test says so explicitly, and every other part
of the schema is checked.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from tests.helpers import REPO, Account, Service

API_CLIENT_PACKAGE = "@neondatabase/api-client@2.7.3"
API_CLIENT_DIR = REPO / "var" / "neon-api-client"
OPENAPI_FILE = (
    API_CLIENT_DIR
    / "node_modules"
    / "@neondatabase"
    / "api-client"
    / "public-v2-for-users.gen.yaml"
)
NPM_INSTALL_TIMEOUT = 300
NEON = "urn:neon-openapi"

Json = Any


def install_api_client() -> Path:
    """The OpenAPI document of the pinned package, installed with npm on first use."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail(f"npm is needed to install {API_CLIENT_PACKAGE}")
    API_CLIENT_DIR.mkdir(parents=True, exist_ok=True)
    with open(API_CLIENT_DIR / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if OPENAPI_FILE.is_file():
            return OPENAPI_FILE
        command = [
            npm,
            "install",
            "--prefix",
            str(API_CLIENT_DIR),
            "--no-audit",
            "--no-fund",
            "--no-update-notifier",
            "--ignore-scripts",
            API_CLIENT_PACKAGE,
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=NPM_INSTALL_TIMEOUT, check=False
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"`{' '.join(command)}` did not finish in {NPM_INSTALL_TIMEOUT}s")
        if result.returncode != 0:
            pytest.fail(
                f"`{' '.join(command)}` failed with exit code {result.returncode}:\n"
                f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
            )
        if not OPENAPI_FILE.is_file():
            pytest.fail(
                f"{API_CLIENT_PACKAGE} installed into {API_CLIENT_DIR} without {OPENAPI_FILE}"
            )
        return OPENAPI_FILE


def as_json_schema(node: Json) -> Json:
    """The document as JSON Schema 2020-12 reads it: OpenAPI 3.0's ``nullable: true`` (the only
    3.0 keyword, in this document, whose meaning JSON Schema lacks) as a null type."""
    if isinstance(node, list):
        return [as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    # YAML reads an unquoted status code as a number: keys become strings, as in JSON.
    converted = {str(key): as_json_schema(value) for key, value in node.items()}
    if converted.pop("nullable", False) is True:
        if isinstance(converted.get("type"), str):
            converted["type"] = [converted["type"], "null"]
        else:
            return {"anyOf": [converted, {"type": "null"}]}
    return converted


def pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@dataclass(frozen=True)
class NeonOpenAPI:
    document: Json

    @cached_property
    def registry(self) -> Registry[Json]:
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        registry: Registry[Json] = Registry().with_resource(NEON, resource)
        return registry

    def operation(self, operation_id: str) -> tuple[str, str, Json]:
        for path, item in self.document["paths"].items():
            for method, operation in item.items():
                if isinstance(operation, dict) and operation.get("operationId") == operation_id:
                    return path, method, operation
        raise AssertionError(f"Neon's document has no operation {operation_id}")

    def response_schema_location(self, operation_id: str, status: str) -> str:
        """A JSON pointer (into the document) to the schema of the operation's answer."""
        path, method, operation = self.operation(operation_id)
        response = operation["responses"][status]
        location = (
            response["$ref"].removeprefix("#/")
            if "$ref" in response
            else pointer("paths", path, method, "responses", status)
        )
        return f"{location}/{pointer('content', 'application/json', 'schema')}"

    def resolve(self, location: str) -> Json:
        node = self.document
        for part in location.split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def validator(self, schema: Json) -> jsonschema.Draft202012Validator:
        return jsonschema.Draft202012Validator(
            schema,
            registry=self.registry,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )

    def errors(self, operation_id: str, status: str, body: Json) -> list[str]:
        location = self.response_schema_location(operation_id, status)
        validator = self.validator({"$ref": f"{NEON}#/{location}"})
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(body)'}: {error.message}"
            for error in validator.iter_errors(body)
        ]

    def assert_valid(self, operation_id: str, status: str, body: Json) -> None:
        errors = self.errors(operation_id, status, body)
        assert not errors, f"{operation_id} {status} breaks Neon's schema:\n" + "\n".join(errors)

    def request_fields(self, schema_name: str) -> set[str]:
        """The ``project.*`` fields of one of Neon's project request schemas."""
        schema = self.document["components"]["schemas"][schema_name]
        return set(schema["properties"]["project"]["properties"])


@pytest.fixture(scope="session")
def neon() -> Iterator[NeonOpenAPI]:
    with open(install_api_client(), encoding="utf-8") as document:
        yield NeonOpenAPI(as_json_schema(yaml.safe_load(document)))


SETTINGS = {
    "quota": {"active_time_seconds": 3600, "logical_size_bytes": 1_000_000},
    "allowed_ips": {"ips": ["192.0.2.1", "198.51.100.0/24"], "protected_branches_only": False},
    "enable_logical_replication": False,
    "maintenance_window": {"weekdays": [1, 7], "start_time": "01:00", "end_time": "02:00"},
    "block_public_connections": True,
    "block_vpc_connections": False,
    "audit_log_level": "base",
    "hipaa": False,
    "preload_libraries": {"use_defaults": True, "enabled_libraries": ["pg_stat_statements"]},
}
# One value for each field of Neon's ProjectCreateRequest.project (org_id aside: organizations are
# not available yet), as its document types them.
FULL_CREATE = {
    "name": "every field",
    "region_id": "aws-us-east-2",
    "pg_version": 16,
    "settings": SETTINGS,
    "branch": {
        "name": "main",
        "role_name": "app",
        "database_name": "appdb",
        "annotations": {"team": "data"},
    },
    "default_endpoint_settings": {
        "pg_settings": {"work_mem": "64MB"},
        "pgbouncer_settings": {"pool_mode": "transaction"},
        "autoscaling_limit_min_cu": 0.25,
        "autoscaling_limit_max_cu": 2,
        "suspend_timeout_seconds": 300,
    },
    "autoscaling_limit_min_cu": 0.5,
    "autoscaling_limit_max_cu": 4,
    "provisioner": "k8s-neonvm",
    "store_passwords": False,
    "history_retention_seconds": 3600,
}


async def create(service: Service, account: Account, fields: Json) -> Json:
    response = await service.client.post(
        "/projects", json={"project": fields}, headers=account.headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def assert_valid_create(neon: NeonOpenAPI, body: Json) -> None:
    """Neon's create response schema holds of ``body`` but for the ``branch`` it requires."""
    errors = neon.errors("createProject", "201", body)
    assert errors == ["(body): 'branch' is a required property"], "\n".join(errors)


async def test_create_answers_neons_created_project_shape_but_for_the_branch(
    service: Service, account: Account, neon: NeonOpenAPI
) -> None:
    assert_valid_create(neon, await create(service, account, {}))
    created = await create(service, account, FULL_CREATE)
    assert_valid_create(neon, created)
    assert created["project"]["settings"] == SETTINGS


async def test_get_update_and_delete_answer_neons_shapes(
    service: Service, account: Account, neon: NeonOpenAPI
) -> None:
    project_id = (await create(service, account, FULL_CREATE))["project"]["id"]
    headers = account.headers

    got = await service.client.get(f"/projects/{project_id}", headers=headers)
    assert got.status_code == 200, got.text
    neon.assert_valid("getProject", "200", got.json())

    for change in (
        {"name": "renamed"},
        {"settings": {"hipaa": True, "allowed_ips": {"ips": []}}},
        {"history_retention_seconds": 0, "default_endpoint_settings": {"pg_settings": {}}},
        {},
    ):
        updated = await service.client.patch(
            f"/projects/{project_id}", json={"project": change}, headers=headers
        )
        assert updated.status_code == 200, updated.text
        neon.assert_valid("updateProject", "200", updated.json())

    deleted = await service.client.delete(f"/projects/{project_id}", headers=headers)
    assert deleted.status_code == 200, deleted.text
    neon.assert_valid("deleteProject", "200", deleted.json())


async def test_a_project_without_settings_answers_neons_shape(
    service: Service, account: Account, neon: NeonOpenAPI
) -> None:
    project_id = (await create(service, account, {"name": "plain"}))["project"]["id"]
    got = await service.client.get(f"/projects/{project_id}", headers=account.headers)
    assert "settings" not in got.json()["project"]
    neon.assert_valid("getProject", "200", got.json())


async def test_listings_answer_neons_shape_empty_full_and_paged(
    service: Service, account: Account, neon: NeonOpenAPI
) -> None:
    async def listing(**params: Any) -> Json:
        response = await service.client.get("/projects", params=params, headers=account.headers)
        assert response.status_code == 200, response.text
        return response.json()

    neon.assert_valid("listProjects", "200", await listing())
    await create(service, account, FULL_CREATE)
    await create(service, account, {})
    first = await listing(limit=1, recoverable="false", timeout=1000)
    neon.assert_valid("listProjects", "200", first)
    rest = await listing(limit=400, cursor=first["pagination"]["cursor"])
    neon.assert_valid("listProjects", "200", rest)
    past_the_end = await listing(cursor=rest["pagination"]["cursor"])
    assert past_the_end["projects"] == []
    neon.assert_valid("listProjects", "200", past_the_end)


async def test_me_answers_neons_current_user_info_shape(
    service: Service, account: Account, neon: NeonOpenAPI
) -> None:
    response = await service.client.get("/users/me", headers=account.headers)
    assert response.status_code == 200, response.text
    neon.assert_valid("getCurrentUserInfo", "200", response.json())


async def test_our_requests_take_every_project_field_of_neons_requests(
    service: Service, neon: NeonOpenAPI
) -> None:
    """Field names from Neon's document, field names from ours: the same sets."""
    ours = (await service.client.get("/openapi.json")).json()["components"]["schemas"]
    assert set(ours["ProjectCreateFields"]["properties"]) == neon.request_fields(
        "ProjectCreateRequest"
    )
    assert set(ours["ProjectUpdateFields"]["properties"]) == neon.request_fields(
        "ProjectUpdateRequest"
    )
    assert set(FULL_CREATE) == neon.request_fields("ProjectCreateRequest") - {"org_id"}
