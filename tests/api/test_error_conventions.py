"""Request ids, the error shape on every path, and the order in which requests are checked.

The contract (API.md, "Conventions"):

- every response carries ``X-Request-ID``; a given one of up to 128 printable characters is echoed
  (header and error body), anything else is replaced by a generated id;
- an unknown route answers 404 and a wrong method 405, in the error shape, with or without a key;
- checks run in the order routing (404, 405) → body size (413) → authentication (401) →
  validation (400);
- ``/api/v2/openapi.json`` and ``/api/v2/docs`` need no key;
- no error includes a stack trace, SQL, a file path or a key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.helpers import Account, Service, assert_error, request_id_of

JSON = {"Content-Type": "application/json"}
BIG_BODY = b'{"key_name": "big"}' + b" " * (100 * 1024)
OUTSIDE_API = "http://testserver"


# --- helpers ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """One request; ``auth`` is "key" (the account's key), "bad" (an unknown key) or "none"."""

    method: str
    url: str
    auth: str = "key"
    content: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)

    async def send(
        self, service: Service, account: Account, extra: dict[str, Any] | None = None
    ) -> httpx.Response:
        headers: dict[str, Any] = {**self.headers, **(extra or {})}
        if self.auth == "key":
            headers.update(account.headers)
        elif self.auth == "bad":
            headers["Authorization"] = "Bearer unq_" + "0" * 60
        if self.content is not None:
            headers.setdefault("Content-Type", "application/json")
        return await service.client.request(
            self.method, self.url, content=self.content, headers=headers
        )


async def answered_request_id(
    service: Service, account: Account, call: Call, status: int, given: str | None = None
) -> tuple[httpx.Response, str]:
    """Send ``call``, with ``X-Request-ID: given`` if given, and check that it answers ``status``
    with one usable request id, the same in the error body if there is one: the response and
    that id."""
    response = await call.send(service, account, None if given is None else {"X-Request-ID": given})
    assert response.status_code == status, response.text
    request_id = request_id_of(response)
    if status >= 400:
        assert assert_error(response, status)["request_id"] == request_id
    return response, request_id


OK = Call("GET", "/api_keys")
UNAUTHORIZED = Call("GET", "/api_keys", auth="none")
NOT_FOUND = Call("GET", "/nope")
BAD_REQUEST = Call("POST", "/api_keys", content=b'{"key_name": ')
METHOD_NOT_ALLOWED = Call("PUT", "/api_keys")
TOO_LARGE = Call("POST", "/api_keys", content=BIG_BODY)

ONE_OF_EACH_STATUS = [
    pytest.param(OK, 200, id="200"),
    pytest.param(UNAUTHORIZED, 401, id="401"),
    pytest.param(NOT_FOUND, 404, id="404"),
    pytest.param(BAD_REQUEST, 400, id="400"),
    pytest.param(METHOD_NOT_ALLOWED, 405, id="405"),
    pytest.param(TOO_LARGE, 413, id="413"),
]


# --- X-Request-ID ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "status"),
    [
        *ONE_OF_EACH_STATUS,
        pytest.param(Call("GET", "/openapi.json", auth="none"), 200, id="200-openapi"),
        pytest.param(Call("POST", "/projects", content=b'{"project": {}}'), 201, id="201"),
        pytest.param(Call("DELETE", "/api_keys/987654321"), 404, id="404-no-such-key"),
        pytest.param(Call("GET", f"{OUTSIDE_API}/healthz", auth="none"), 200, id="healthz"),
        pytest.param(Call("GET", f"{OUTSIDE_API}/nope", auth="none"), 404, id="404-outside-api"),
    ],
)
async def test_every_response_carries_a_request_id(
    service: Service, account: Account, call: Call, status: int
) -> None:
    await answered_request_id(service, account, call, status)


async def test_generated_request_ids_differ_from_request_to_request(
    service: Service, account: Account
) -> None:
    ids = {request_id_of(await call.send(service, account)) for call in [OK, OK, UNAUTHORIZED]}
    assert len(ids) == 3


@pytest.mark.parametrize(
    ("given", "sane"),
    [
        pytest.param("3f2a9c1e-client-trace-0001", True, id="uuid-like"),
        pytest.param("r", True, id="one-char"),
        pytest.param("x" * 128, True, id="128-chars"),
        pytest.param("a b:c/d=e;f,g", True, id="spaces-and-punctuation"),
        pytest.param("~!@#$%^&*()_+{}|<>?`'\"", True, id="symbols"),
        pytest.param("x" * 129, False, id="129-chars"),
        pytest.param("y" * 4096, False, id="4096-chars"),
        pytest.param("abc\x01def", False, id="control-char"),
        pytest.param("tab\there", False, id="tab"),
        pytest.param("del\x7f", False, id="delete-char"),
        pytest.param("nul\x00", False, id="nul"),
        pytest.param("", False, id="empty"),
    ],
)
@pytest.mark.parametrize(("call", "status"), ONE_OF_EACH_STATUS)
async def test_a_sane_request_id_is_echoed_and_any_other_replaced_by_a_generated_one(
    service: Service, account: Account, call: Call, status: int, given: str, sane: bool
) -> None:
    """Echoed in the header and in the error body; a replaced one appears nowhere."""
    response, request_id = await answered_request_id(service, account, call, status, given)
    if sane:
        assert request_id == given
    else:
        assert request_id != given
        if given:  # the empty string is in every text
            assert given not in response.text


# --- unknown routes and wrong methods --------------------------------------------------------


@pytest.mark.parametrize("auth", ["none", "key", "bad"])
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/nope"),
        ("POST", "/nope"),
        ("GET", "/api_keys/1/extra"),
        ("DELETE", "/api_keys/1/extra"),
        ("GET", "/api_keys/"),
        ("POST", "/api_keys/"),
        ("GET", "/projects/"),
        ("GET", "/users"),
        ("GET", "/users/you"),
        ("GET", "/API_KEYS"),
        ("GET", f"{OUTSIDE_API}/api/v2"),
        ("GET", f"{OUTSIDE_API}/api/v2/"),
        ("GET", f"{OUTSIDE_API}/api/v1/api_keys"),
        ("GET", f"{OUTSIDE_API}/api_keys"),
    ],
)
async def test_an_unknown_route_is_404_in_the_error_shape_with_or_without_a_key(
    service: Service, account: Account, method: str, url: str, auth: str
) -> None:
    response = await Call(method, url, auth=auth).send(service, account)
    assert_error(response, 404, code="NOT_FOUND")
    assert "www-authenticate" not in response.headers


WRONG_METHODS = [
    pytest.param("PUT", "/api_keys", {"GET", "POST"}, id="PUT-api_keys"),
    pytest.param("PATCH", "/api_keys", {"GET", "POST"}, id="PATCH-api_keys"),
    pytest.param("DELETE", "/api_keys", {"GET", "POST"}, id="DELETE-api_keys"),
    pytest.param("GET", "/api_keys/1", {"DELETE"}, id="GET-api_keys-id"),
    pytest.param("POST", "/api_keys/1", {"DELETE"}, id="POST-api_keys-id"),
    pytest.param("PUT", "/projects", {"GET", "POST"}, id="PUT-projects"),
    pytest.param("POST", "/projects/some-project-1", {"GET", "PATCH", "DELETE"}, id="POST-project"),
    pytest.param("POST", "/users/me", {"GET"}, id="POST-users-me"),
]


@pytest.mark.parametrize("auth", ["none", "key", "bad"])
@pytest.mark.parametrize(("method", "url", "allowed"), WRONG_METHODS)
async def test_a_wrong_method_is_405_in_the_error_shape_with_or_without_a_key(
    service: Service, account: Account, method: str, url: str, allowed: set[str], auth: str
) -> None:
    response = await Call(method, url, auth=auth).send(service, account)
    assert_error(response, 405)
    assert "www-authenticate" not in response.headers


@pytest.mark.parametrize(("method", "url", "allowed"), WRONG_METHODS)
async def test_a_405_lists_every_method_the_route_allows(
    service: Service, account: Account, method: str, url: str, allowed: set[str]
) -> None:
    """RFC 9110 section 15.5.6: a 405 carries ``Allow`` with the resource's supported methods."""
    response = await Call(method, url).send(service, account)
    assert_error(response, 405)
    allow = {item.strip() for item in response.headers.get("allow", "").split(",")}
    assert allowed <= allow, response.headers.get("allow")
    assert method not in allow


# --- the order of checks ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "status"),
    [
        # authentication (401) comes before validation (400)
        pytest.param(Call("POST", "/api_keys", "none", b'{"key_name": '), 401, id="none+bad-json"),
        pytest.param(Call("POST", "/api_keys", "bad", b'{"key_name": '), 401, id="bad+bad-json"),
        pytest.param(Call("POST", "/api_keys", "none", b'{"key_name": 5}'), 401, id="none+bad-f"),
        pytest.param(Call("POST", "/api_keys", "none", b"[]"), 401, id="none+not-object"),
        pytest.param(Call("DELETE", "/api_keys/abc", "none"), 401, id="none+bad-path-param"),
        pytest.param(Call("GET", "/projects?limit=0", "none"), 401, id="none+bad-query-param"),
        pytest.param(Call("POST", "/projects", "none", b'{"project": 1}'), 401, id="none+bad-p"),
        # body size (413) comes before authentication (401)
        pytest.param(Call("POST", "/api_keys", "none", BIG_BODY), 413, id="none+100KB"),
        pytest.param(Call("POST", "/api_keys", "bad", BIG_BODY), 413, id="bad+100KB"),
        pytest.param(Call("POST", "/projects", "none", BIG_BODY), 413, id="none+100KB-projects"),
        # ... and before validation (400)
        pytest.param(Call("POST", "/api_keys", "key", b"[" * 70_000), 413, id="key+100KB-bad"),
        # validation (400) once the key is good
        pytest.param(Call("POST", "/api_keys", "key", b'{"key_name": '), 400, id="key+bad-json"),
        # routing (404, 405) comes before everything
        pytest.param(Call("GET", "/nope", "none"), 404, id="unknown-route+none"),
        pytest.param(Call("POST", "/nope", "none", BIG_BODY), 404, id="unknown-route+100KB"),
        pytest.param(Call("PUT", "/api_keys", "none"), 405, id="wrong-method+none"),
        pytest.param(Call("PUT", "/api_keys", "none", BIG_BODY), 405, id="wrong-method+100KB"),
    ],
)
async def test_checks_run_in_the_documented_order(
    service: Service, account: Account, call: Call, status: int
) -> None:
    before = (await service.client.get("/api_keys", headers=account.headers)).json()
    response = await call.send(service, account)
    body = assert_error(response, status)
    if status == 401:
        assert body["code"] == "UNAUTHORIZED"
        challenge = 'Bearer realm="unique"'
        if call.auth == "bad":
            challenge += ', error="invalid_token"'
        assert response.headers["www-authenticate"] == challenge
    if status == 413:
        assert body["code"] == "PAYLOAD_TOO_LARGE"
    after = (await service.client.get("/api_keys", headers=account.headers)).json()
    assert [key["id"] for key in after] == [key["id"] for key in before]


# --- documentation needs no key --------------------------------------------------------------


async def test_the_openapi_document_needs_no_key(service: Service) -> None:
    response = await service.client.get("/openapi.json")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.")
    assert "/api/v2/api_keys" in document["paths"]
    request_id_of(response)


async def test_the_interactive_docs_need_no_key(service: Service) -> None:
    response = await service.client.get("/docs")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "openapi.json" in response.text
    request_id_of(response)


# --- errors leak nothing ---------------------------------------------------------------------

LEAKS = ("Traceback", "SELECT", "/work/", "unq_", "sqlalchemy", "asyncpg", 'File "')


def _leak_probes(key: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Requests that fail while carrying the account's key (or something like it) somewhere."""
    bad_checksum = key[:-1] + ("1" if key[-1] == "0" else "0")
    return [
        ("GET", "/api_keys", {"headers": {"Authorization": f"Token {key}"}}),
        ("GET", "/api_keys", {"headers": {"Authorization": f"Bearer {key} {key}"}}),
        ("GET", "/api_keys", {"headers": {"Authorization": f"Bearer {bad_checksum}"}}),
        ("GET", "/api_keys", {"headers": {"Authorization": f"Bearer {key}x"}}),
        ("GET", "/api_keys", {"headers": {"Authorization": key}}),
        ("GET", f"/nope/{key}", {"headers": {"Authorization": f"Bearer {key}"}}),
        ("DELETE", f"/api_keys/{key}", {"headers": {"Authorization": f"Bearer {key}"}}),
        ("GET", f"/projects/{key}", {"headers": {"Authorization": f"Bearer {key}"}}),
        ("GET", f"/projects?cursor={key}", {"headers": {"Authorization": f"Bearer {key}"}}),
        ("GET", f"/projects?limit={key}", {"headers": {"Authorization": f"Bearer {key}"}}),
        ("GET", f"/projects?search={key * 5}", {"headers": {"Authorization": f"Bearer {key}"}}),
        (
            "POST",
            "/api_keys",
            {"json": {"key_name": key + "x"}, "headers": {"Authorization": f"Bearer {key}"}},
        ),
        (
            "POST",
            "/api_keys",
            {"json": {"key_name": [key]}, "headers": {"Authorization": f"Bearer {key}"}},
        ),
        (
            "POST",
            "/projects",
            {
                "json": {"project": {"pg_version": key}},
                "headers": {"Authorization": f"Bearer {key}"},
            },
        ),
        (
            "POST",
            "/projects",
            {
                "json": {"project": {"region_id": key}},
                "headers": {"Authorization": f"Bearer {key}"},
            },
        ),
        (
            "POST",
            "/api_keys",
            {
                "content": f'{{"key_name": "{key}'.encode(),
                "headers": {"Authorization": f"Bearer {key}", **JSON},
            },
        ),
        ("PUT", "/api_keys", {"headers": {"Authorization": f"Bearer {key}"}}),
    ]


async def test_error_bodies_never_contain_a_trace_sql_a_path_or_a_key(
    service: Service, account: Account
) -> None:
    for method, url, kwargs in _leak_probes(account.key):
        response = await service.client.request(method, url, **kwargs)
        assert 400 <= response.status_code < 500, (method, url, response.status_code)
        assert_error(response, response.status_code)
        for leak in LEAKS:
            assert leak not in response.text, (method, url, leak, response.text)
