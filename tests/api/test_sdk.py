"""The Python SDK (``unique.client``), against a real ``unique serve`` process on SQLite.

One server process (on the embedded default database, SQLite) serves the whole module; tests
keep out of each other's way with unique names and searches, and the 1,000-project listing gets
an account of its own. Every test that talks to the server runs twice: with ``Client`` (sync) and
with ``AsyncClient`` (async), through the same operation, since both expose the same surface.

What is specified here:
- every SDK method returns typed results: ints, aware UTC datetimes, nested ``KeyCreator``;
- API errors become typed exceptions carrying ``status``, ``code``, ``message``, ``request_id``;
  no answer at all becomes ``APIConnectionError`` with a message naming the unreachable host;
- the key and host come from ``UNIQUE_API_KEY`` / ``UNIQUE_API_HOST`` when not given;
- ``projects.list`` is lazy: iterating it follows the cursors page by page (``limit`` to a page)
  to the end, sending a request only when the previous page runs out, and yields each of 1,000
  projects exactly once; ``first_page()`` sends one request, ``pages()`` yields the pages;
- retries, against the SDK tests' scripted fake API (clients/python/tests/sdk_support.py) served
  on a real socket in a thread: reads and revocations (idempotent) are retried on 503/429
  honouring ``Retry-After``; creating (rotating too), renaming and deleting are never retried;
- secrets: no ``repr`` of a client or a result, and no ``str``/``repr`` of any exception raised
  here, contains a key (the full key or its random part); nor does the server's log;
- key lifecycle (API.md): ``api_keys.create`` limits a key (expiry, scopes, read only, one
  project), a 403 is ``PermissionDeniedError`` naming the scope, ``api_keys.rotate`` returns the
  new key while the old one works out its grace period, and a second rotation is
  ``ConflictError``;
- organizations (API.md): ``organizations.create`` makes the key's owner the one admin, the
  organization is listed, renamed, its members listed with their e-mail, and deleted; to someone
  who is not a member it is ``NotFoundError``; the last admin can be neither demoted nor removed
  (``ConflictError``); ``users.auth`` names the key's owner.

The server runs with ``UNIQUE_RATE_LIMITS=off``: creating 1,000 projects in a few seconds is
beyond the default 700 requests a minute, and rate limiting is not what this module specifies.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import httpx
import pytest

# The SDK's own test helpers, shared rather than copied (pyproject.toml puts them on the path).
from sdk_support import (
    FAKE_KEY,
    IDEMPOTENT,
    NOT_IDEMPOTENT,
    USER_ID,
    USER_JSON,
    FakeApi,
    Operation,
    Route,
    call,
    every_page,
    every_project,
    first_projects,
    ok,
    page_json,
    rate_limited,
    reveals,
    unavailable,
    unused_listing,
)
from unique.client import (
    READ_ONLY_SCOPES,
    SCOPES,
    APIConnectionError,
    ApiKey,
    AsyncClient,
    AuthDetails,
    AuthenticationError,
    BadRequestError,
    Client,
    ConflictError,
    CreatedApiKey,
    KeyCreator,
    Member,
    NotFoundError,
    Organization,
    OrganizationMember,
    PermissionDeniedError,
    Project,
    ProjectPage,
    RateLimitError,
    RevokedApiKey,
    RotatedApiKey,
    ServerError,
    UniqueError,
    User,
)

from tests.helpers import DatabaseFactory, ServerProcess, bootstrap_user, free_port

pytestmark = pytest.mark.slow

E = TypeVar("E", bound=UniqueError)
Json = Any

KEY_FORMAT = re.compile(r"^unq_[0-9a-z]{60}$")
PROJECT_ID = re.compile(r"^[a-z0-9-]{1,60}$")
EMAIL = "sam@example.com"
# Well-formed keys that no server ever issued.
UNKNOWN_KEY = "unq_" + "a" * 60
UNKNOWN_KEY_ID = 987_654_321_987


def unique_name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def assert_utc(moment: object) -> None:
    """An aware datetime in UTC, as parsed from the API's ``...Z`` timestamps."""
    assert isinstance(moment, datetime), moment
    assert moment.utcoffset() == timedelta(0), moment


def assert_reveals_no_secret(thing: object, secrets: set[str]) -> None:
    """Neither ``str`` nor ``repr`` of ``thing`` contains a key or a key's random part."""
    leaked = [secret for secret in secrets if reveals(thing, secret)]
    assert not leaked, f"{type(thing).__name__} reveals {len(leaked)} secret(s)"


# --- running operations with Client or AsyncClient ------------------------------------------


@dataclass
class Sdk:
    """Calls the SDK the test's way (sync or async) with default client options."""

    flavour: str
    options: dict[str, Any] = field(repr=False)
    secrets: set[str] = field(repr=False)

    def __call__(self, operation: Operation, **overrides: Any) -> Any:
        return call(self.flavour, operation, **{**self.options, **overrides})

    def recording(self, operation: Operation, **overrides: Any) -> tuple[Any, list[httpx.URL]]:
        """What ``operation`` returns, and the URL of every request it sent, in order."""
        sent: list[httpx.URL] = []
        transport = (
            RecordingTransport(sent) if self.flavour == "sync" else AsyncRecordingTransport(sent)
        )
        return self(operation, transport=transport, **overrides), sent

    def raises(self, error_type: type[E], operation: Operation, **overrides: Any) -> E:
        """The error ``operation`` raises, checked to be ``error_type`` and to hide every key."""
        with pytest.raises(error_type) as caught:
            self(operation, **overrides)
        assert_reveals_no_secret(caught.value, self.secrets)
        return caught.value


class RecordingTransport(httpx.HTTPTransport):
    """The default transport, noting the URL of each request it sends."""

    def __init__(self, sent: list[httpx.URL]) -> None:
        super().__init__()
        self.sent = sent

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.url)
        return super().handle_request(request)


class AsyncRecordingTransport(httpx.AsyncHTTPTransport):
    """The default async transport, noting the URL of each request it sends."""

    def __init__(self, sent: list[httpx.URL]) -> None:
        super().__init__()
        self.sent = sent

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request.url)
        return await super().handle_async_request(request)


@pytest.fixture(params=["sync", "async"])
def flavour(request: pytest.FixtureRequest) -> str:
    return str(request.param)


# --- the real server -------------------------------------------------------------------------


@dataclass
class LiveApi:
    base_url: str
    database_url: str
    user_id: str
    key: str = field(repr=False)
    secrets: set[str] = field(default_factory=set, repr=False)
    server: ServerProcess | None = field(default=None, repr=False)

    def get(self, path: str, key: str | None = None, **params: Any) -> Json:
        response = httpx.get(
            self.base_url + path,
            params=params,
            headers={"Authorization": f"Bearer {key or self.key}"},
        )
        assert response.status_code == 200, response.text
        return response.json()

    def status_with(self, key: str) -> int:
        """The status ``GET /users/me`` answers with ``key``."""
        return httpx.get(
            self.base_url + "/users/me", headers={"Authorization": f"Bearer {key}"}
        ).status_code


@pytest.fixture(scope="module")
def database_kind() -> str:
    """The SDK is exercised against the embedded default database."""
    return "sqlite"


@pytest.fixture(scope="module")
def live(database_kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApi]:
    workdir = tmp_path_factory.mktemp("sdk")
    database_url = DatabaseFactory(database_kind, workdir).new_url()
    user_id, key = bootstrap_user(database_url, email=EMAIL)
    server = ServerProcess(database_url, workdir / "server.log", env={"UNIQUE_RATE_LIMITS": "off"})
    try:
        yield LiveApi(
            f"{server.base_url}/api/v2",
            database_url,
            user_id,
            key,
            {key, UNKNOWN_KEY, FAKE_KEY},
            server,
        )
    finally:
        server.stop()


@pytest.fixture
def sdk(flavour: str, live: LiveApi) -> Sdk:
    return Sdk(flavour, {"api_key": live.key, "base_url": live.base_url}, live.secrets)


# --- users.me --------------------------------------------------------------------------------


def test_users_me_returns_the_key_owner_typed(sdk: Sdk, live: LiveApi) -> None:
    user = sdk(lambda client: client.users.me())

    assert isinstance(user, User)
    assert user.id == live.user_id
    assert (user.email, user.login, user.name, user.image) == (EMAIL, EMAIL, "Sam Smith", "")
    assert isinstance(user.projects_limit, int) and user.projects_limit == 10_000
    assert user.plan == "self-hosted"
    assert user.raw == live.get("/users/me")


# --- api_keys.create / list / revoke ---------------------------------------------------------


def test_api_keys_create_list_and_revoke_return_typed_results(sdk: Sdk, live: LiveApi) -> None:
    name = unique_name("sdk-key")
    created = sdk(lambda client: client.api_keys.create(name))
    live.secrets.add(created.key)

    assert isinstance(created, CreatedApiKey)
    assert isinstance(created.id, int)
    assert created.name == name
    assert created.created_by == live.user_id
    assert_utc(created.created_at)
    assert KEY_FORMAT.match(created.key), "the secret is available as .key"
    assert_reveals_no_secret(created, live.secrets)

    listed = sdk(lambda client: client.api_keys.list())
    assert all(isinstance(key, ApiKey) for key in listed)
    assert_reveals_no_secret(listed, live.secrets)
    ids = [key.id for key in listed]
    assert ids.index(created.id) < ids.index(1), "newest first: the new key before the bootstrap"
    fresh = listed[ids.index(created.id)]
    assert (fresh.name, fresh.created_at) == (name, created.created_at)
    assert fresh.created_by == KeyCreator(id=live.user_id, name="Sam Smith", image="")
    assert (fresh.last_used_at, fresh.last_used_from_addr) == (None, "")

    # A key may revoke itself; the answer shows that very use.
    revoked = sdk(lambda client: client.api_keys.revoke(created.id), api_key=created.key)
    assert isinstance(revoked, RevokedApiKey)
    assert (revoked.id, revoked.name, revoked.revoked) == (created.id, name, True)
    assert revoked.created_by == live.user_id
    assert revoked.created_at == created.created_at
    assert_utc(revoked.last_used_at)
    assert revoked.last_used_from_addr == "127.0.0.1"

    assert created.id not in [key.id for key in sdk(lambda client: client.api_keys.list())]
    assert sdk(lambda client: client.api_keys.revoke(created.id)) == revoked, "idempotent"
    error = sdk.raises(AuthenticationError, lambda client: client.users.me(), api_key=created.key)
    assert error.status == 401


# --- projects --------------------------------------------------------------------------------


def test_projects_create_get_update_and_delete_return_typed_projects(
    sdk: Sdk, live: LiveApi
) -> None:
    name = unique_name("sdk project")
    project = sdk(
        lambda client: client.projects.create(
            name=name, region_id="aws-eu-central-1", pg_version=16
        )
    )

    assert isinstance(project, Project)
    assert PROJECT_ID.match(project.id)
    assert (project.name, project.region_id, project.platform_id) == (
        name,
        "aws-eu-central-1",
        "aws",
    )
    assert isinstance(project.pg_version, int) and project.pg_version == 16
    assert project.proxy_host == "eu-central-1.aws.unique.localhost"
    assert (project.creation_source, project.owner_id) == ("api", live.user_id)
    assert_utc(project.created_at)
    assert_utc(project.updated_at)

    fetched = sdk(lambda client: client.projects.get(project.id))
    assert fetched == project
    assert fetched.raw == live.get(f"/projects/{project.id}")["project"]

    new_name = unique_name("renamed")
    renamed = sdk(lambda client: client.projects.update(project.id, name=new_name))
    assert (renamed.id, renamed.name) == (project.id, new_name)
    assert renamed.updated_at >= project.created_at
    assert sdk(lambda client: client.projects.get(project.id)).name == new_name

    deleted = sdk(lambda client: client.projects.delete(project.id))
    assert isinstance(deleted, Project)
    assert (deleted.id, deleted.name) == (project.id, new_name)
    error = sdk.raises(NotFoundError, lambda client: client.projects.get(project.id))
    assert error.status == 404


def test_a_project_created_without_fields_gets_the_defaults(sdk: Sdk) -> None:
    project = sdk(lambda client: client.projects.create())

    assert project.name == project.id
    assert project.pg_version == 17
    assert project.region_id in {"aws-us-east-2", "aws-us-west-2", "aws-eu-central-1"}
    sdk(lambda client: client.projects.delete(project.id))


def create_project_named(name: str) -> Operation:
    return lambda client: client.projects.create(name=name)


def test_first_page_is_one_page_with_the_cursor_to_continue_from(sdk: Sdk) -> None:
    token = unique_name("paged")
    names = [f"{token}-{number}" for number in range(3)]
    for name in names:
        sdk(create_project_named(name))

    def page(cursor: str | None = None) -> Operation:
        return lambda client: client.projects.list(
            search=token, limit=2, cursor=cursor
        ).first_page()

    first, sent = sdk.recording(page())
    assert len(sent) == 1
    assert isinstance(first, ProjectPage)
    assert len(first) == 2
    assert [project.name for project in first] == [names[2], names[1]]
    assert isinstance(first.cursor, str) and first.cursor

    second = sdk(page(first.cursor))
    assert [project.name for project in second] == [names[0]]

    past_end = sdk(page(second.cursor))
    assert (len(past_end), past_end.cursor) == (0, None)


def test_iterating_a_listing_follows_the_cursors_lazily_limit_to_a_page(
    sdk: Sdk, live: LiveApi
) -> None:
    token = unique_name("paged")
    names = [f"{token}-{number}" for number in range(5)]
    for name in names:
        sdk(create_project_named(name))
    for number in range(2):  # newer, and not matching the search
        sdk(create_project_named(unique_name(f"other-{number}")))
    pages = [live.get("/projects", search=token, limit=2)]
    for _ in range(2):
        pages.append(
            live.get("/projects", search=token, limit=2, cursor=pages[-1]["pagination"]["cursor"])
        )
    assert [len(page["projects"]) for page in pages] == [2, 2, 1]

    listing, sent = sdk.recording(lambda client: unused_listing(client, search=token, limit=2))
    assert sent == [], "nothing is sent before the listing is used"
    assert (listing.search, listing.limit, listing.cursor) == (token, 2, None)

    everything, sent = sdk.recording(lambda client: every_project(client, search=token, limit=2))
    assert [project.name for project in everything] == names[::-1], "newest first, each once"
    assert [project.raw for project in everything] == [
        project for page in pages for project in page["projects"]
    ]
    # The short third page ends the listing: no fourth request for an empty page.
    assert [dict(url.params) for url in sent] == [
        {"search": token, "limit": "2"},
        {"search": token, "limit": "2", "cursor": pages[0]["pagination"]["cursor"]},
        {"search": token, "limit": "2", "cursor": pages[1]["pagination"]["cursor"]},
    ]

    first, sent = sdk.recording(lambda client: first_projects(client, 1, search=token, limit=2))
    assert [project.name for project in first] == [names[4]]
    assert len(sent) == 1, "breaking off after the first project sends no more requests"

    by_page, sent = sdk.recording(lambda client: every_page(client, search=token, limit=2))
    assert [page.raw for page in by_page] == pages
    assert len(sent) == 3

    resumed = sdk(
        lambda client: every_project(
            client, search=token, limit=2, cursor=pages[0]["pagination"]["cursor"]
        )
    )
    assert [project.name for project in resumed] == names[2::-1], "from the cursor to the end"


def test_iterating_a_listing_that_matches_nothing_sends_one_request(sdk: Sdk) -> None:
    nothing, sent = sdk.recording(
        lambda client: every_project(client, search=unique_name("none"), limit=2)
    )

    assert nothing == []
    assert len(sent) == 1


@dataclass(frozen=True)
class ManyProjects:
    key: str
    ids: frozenset[str]


@pytest.fixture(scope="module")
def thousand_projects(live: LiveApi) -> ManyProjects:
    """An account of its own holding exactly 1,000 projects, created over one HTTP connection."""
    _, key = bootstrap_user(live.database_url, email="many@example.com", name="Mo Many")
    live.secrets.add(key)

    ids: list[str] = []
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=live.base_url, headers=headers, timeout=30) as http:
        for number in range(1000):
            response = http.post("/projects", json={"project": {"name": f"p{number}"}})
            assert response.status_code == 201, response.text
            ids.append(response.json()["project"]["id"])
    assert len(set(ids)) == 1000
    return ManyProjects(key, frozenset(ids))


@pytest.mark.parametrize("limit", [100, 37])
def test_iterating_a_listing_yields_each_of_1000_projects_exactly_once(
    sdk: Sdk, thousand_projects: ManyProjects, limit: int
) -> None:
    listed = sdk(lambda client: every_project(client, limit=limit), api_key=thousand_projects.key)

    ids = [project.id for project in listed]
    assert len(ids) == 1000
    assert set(ids) == thousand_projects.ids


# --- API errors ------------------------------------------------------------------------------


def test_a_bad_key_raises_authentication_error_with_status_code_and_request_id(sdk: Sdk) -> None:
    error = sdk.raises(AuthenticationError, lambda client: client.users.me(), api_key=UNKNOWN_KEY)

    assert (error.status, error.code) == (401, "UNAUTHORIZED")
    assert error.request_id
    assert "401" in str(error) and error.request_id in str(error)

    missing = sdk.raises(AuthenticationError, lambda client: client.users.me(), api_key="")
    assert (missing.status, missing.code) == (401, "UNAUTHORIZED")


def test_revoking_an_unknown_key_id_raises_not_found(sdk: Sdk) -> None:
    error = sdk.raises(NotFoundError, lambda client: client.api_keys.revoke(UNKNOWN_KEY_ID))

    assert error.status == 404
    assert error.code and error.request_id


def test_a_project_name_over_256_characters_raises_bad_request(sdk: Sdk) -> None:
    error = sdk.raises(BadRequestError, lambda client: client.projects.create(name="x" * 257))

    assert error.status == 400
    assert "name" in error.message
    assert error.code and error.request_id


@pytest.mark.parametrize(
    "operation",
    [lambda client: client.users.me(), lambda client: client.api_keys.create("never")],
    ids=["read (retried)", "create (not retried)"],
)
def test_an_unreachable_server_raises_api_connection_error(sdk: Sdk, operation: Operation) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/api/v2"

    started = time.monotonic()
    error = sdk.raises(APIConnectionError, operation, base_url=nowhere)

    assert time.monotonic() - started < 10
    assert error.status is None
    assert "could not reach" in str(error)
    assert nowhere in str(error)


# --- configuration from the environment ------------------------------------------------------


def test_the_key_and_host_come_from_the_environment_when_not_given(
    flavour: str, live: LiveApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNIQUE_API_KEY", live.key)
    monkeypatch.setenv("UNIQUE_API_HOST", live.base_url + "/")

    def me_and_client(client: Client | AsyncClient) -> Any:
        assert client.base_url == live.base_url
        assert_reveals_no_secret(client, live.secrets)
        return client.users.me()

    assert call(flavour, me_and_client).id == live.user_id

    # Explicit arguments win over the environment.
    monkeypatch.setenv("UNIQUE_API_KEY", UNKNOWN_KEY)
    monkeypatch.setenv("UNIQUE_API_HOST", f"http://127.0.0.1:{free_port()}/api/v2")
    user = call(flavour, lambda client: client.users.me(), api_key=live.key, base_url=live.base_url)
    assert user.id == live.user_id


def test_client_reprs_name_the_host_but_never_the_key(live: LiveApi) -> None:
    sync_client = Client(api_key=live.key, base_url=live.base_url)
    async_client = AsyncClient(api_key=live.key, base_url=live.base_url)
    try:
        for client in (sync_client, async_client):
            assert live.base_url in repr(client)
            assert_reveals_no_secret(client, live.secrets)
    finally:
        sync_client.close()
        asyncio.run(async_client.aclose())


# --- retries, against a scripted fake API ----------------------------------------------------


class _ScriptedServer(ThreadingHTTPServer):
    daemon_threads = True
    fake: FakeApi
    lock: threading.Lock


class _ScriptedHandler(BaseHTTPRequestHandler):
    """Hands each request to the server's ``FakeApi`` and writes back its answer."""

    server: _ScriptedServer
    protocol_version = "HTTP/1.1"
    timeout = 5  # an idle keep-alive connection is dropped after this many seconds

    def _answer(self) -> None:
        content = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        host, port = self.server.server_address[:2]
        request = httpx.Request(
            self.command,
            f"http://{host!s}:{port}{self.path}",
            headers=list(self.headers.items()),
            content=content,
        )
        with self.server.lock:
            response = self.server.fake.handle(request)
        self.send_response(response.status_code)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.content)

    do_GET = do_POST = do_PATCH = do_DELETE = _answer

    def log_message(self, *_: Any) -> None:
        pass


class ServedFakeApi:
    """A ``FakeApi`` served on 127.0.0.1 from a thread, so that the SDK reaches it the way it
    reaches a real server: over a socket, with keep-alive connections."""

    def __init__(self) -> None:
        self.fake = FakeApi()
        self._server = _ScriptedServer(("127.0.0.1", 0), _ScriptedHandler)
        self._server.fake = self.fake
        self._server.lock = threading.Lock()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/v2"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


@pytest.fixture
def served() -> Iterator[ServedFakeApi]:
    served = ServedFakeApi()
    served.start()
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def fake_api(served: ServedFakeApi) -> FakeApi:
    return served.fake


@pytest.fixture
def fake_sdk(flavour: str, served: ServedFakeApi) -> Sdk:
    return Sdk(flavour, {"api_key": FAKE_KEY, "base_url": served.base_url}, {FAKE_KEY})


@pytest.mark.parametrize("route", IDEMPOTENT.values(), ids=IDEMPOTENT.keys())
def test_reads_and_revocations_are_retried_after_503_until_they_succeed(
    fake_sdk: Sdk, fake_api: FakeApi, route: Route
) -> None:
    fake_api.script = [unavailable(), unavailable(), route.success]

    result = fake_sdk(route.operation)

    assert result is not None
    assert fake_api.sent == [(route.method, route.path)] * 3


@pytest.mark.parametrize("route", NOT_IDEMPOTENT.values(), ids=NOT_IDEMPOTENT.keys())
def test_creating_renaming_and_deleting_are_never_retried(
    fake_sdk: Sdk, fake_api: FakeApi, route: Route
) -> None:
    fake_api.script = [unavailable(), unavailable(), route.success]

    error = fake_sdk.raises(ServerError, route.operation)

    assert (error.status, error.code, error.request_id) == (503, "SERVICE_UNAVAILABLE", "fake-503")
    assert fake_api.sent == [(route.method, route.path)]


def test_each_page_of_an_iterated_listing_is_retried_after_503(
    fake_sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [ok(page_json([3, 2], "c")), unavailable(), ok(page_json([1], "d"))]

    listed = fake_sdk(lambda client: every_project(client, limit=2))

    assert [project.name for project in listed] == ["misty-3", "misty-2", "misty-1"]
    first, second = (
        ("GET", "/api/v2/projects?limit=2"),
        ("GET", "/api/v2/projects?limit=2&cursor=c"),
    )
    assert fake_api.sent == [first, second, second]


def test_without_a_limit_only_an_empty_page_ends_an_iterated_listing(
    fake_sdk: Sdk, fake_api: FakeApi
) -> None:
    """The server's default page size is its own: a page of one may well not be the last."""
    fake_api.script = [ok(page_json([2], "c")), ok(page_json([1], "d")), ok({"projects": []})]

    listed = fake_sdk(lambda client: every_project(client))

    assert [project.name for project in listed] == ["misty-2", "misty-1"]
    assert [path for _, path in fake_api.sent] == [
        "/api/v2/projects",
        "/api/v2/projects?cursor=c",
        "/api/v2/projects?cursor=d",
    ]


def test_a_read_gives_up_after_max_retries(fake_sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [unavailable(), unavailable(), unavailable(), ok(USER_JSON)]

    error = fake_sdk.raises(ServerError, lambda client: client.users.me(), max_retries=2)

    assert error.status == 503
    assert len(fake_api.requests) == 3


def test_a_429_retry_after_is_waited_for_before_retrying(fake_sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [rate_limited("1"), ok(USER_JSON)]

    started = time.monotonic()
    user = fake_sdk(lambda client: client.users.me())

    assert time.monotonic() - started >= 1.0
    assert user.id == USER_ID
    assert len(fake_api.requests) == 2


def test_rate_limit_error_carries_retry_after_once_retries_run_out(
    fake_sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [rate_limited("7")]

    error = fake_sdk.raises(RateLimitError, lambda client: client.users.me(), max_retries=0)

    assert (error.status, error.code, error.request_id) == (429, "RATE_LIMITED", "fake-429")
    assert error.retry_after == 7.0
    assert len(fake_api.requests) == 1


# --- key lifecycle: expiry, scopes, one project, rotation ------------------------------------


def kept(live: LiveApi, created: CreatedApiKey) -> CreatedApiKey:
    """``created``, its secret added to those no output may show."""
    live.secrets.add(created.key)
    return created


def revoke_key(key_id: int) -> Operation:
    return lambda client: client.api_keys.revoke(key_id)


def delete_project(project_id: str) -> Operation:
    return lambda client: client.projects.delete(project_id)


def assert_no_secret_in_the_server_log(live: LiveApi) -> None:
    assert live.server is not None
    log = live.server.log()
    leaked = [secret for secret in live.secrets if secret in log or secret[4:57] in log]
    assert not leaked, f"the server log shows {len(leaked)} secret(s)"


def test_an_expiring_read_only_key_reads_but_cannot_write(sdk: Sdk, live: LiveApi) -> None:
    name = unique_name("sdk-read-only")
    before = datetime.now(UTC)
    created = kept(
        live,
        sdk(
            lambda client: client.api_keys.create(
                name, expires_in=timedelta(days=30), read_only=True
            )
        ),
    )
    after = datetime.now(UTC)

    assert isinstance(created, CreatedApiKey)
    assert created.scopes == sorted(READ_ONLY_SCOPES)
    assert created.read_only and not created.full_access
    assert created.project_id is None and "project_id" not in created.raw
    assert created.expires_at is not None
    assert_utc(created.expires_at)
    # The server keeps whole seconds of the time it was sent.
    month = timedelta(days=30)
    assert before + month - timedelta(seconds=1) <= created.expires_at <= after + month
    assert not created.expired()
    assert_reveals_no_secret(created, live.secrets)

    reader = {"api_key": created.key}
    assert sdk(lambda client: client.users.me(), **reader).id == live.user_id
    page = sdk(lambda client: client.projects.list(limit=1).first_page(), **reader)
    assert isinstance(page, ProjectPage)
    denied = sdk.raises(
        PermissionDeniedError,
        lambda client: client.projects.create(name=unique_name("never")),
        **reader,
    )
    assert (denied.status, denied.code, denied.required_scope) == (
        403,
        "FORBIDDEN",
        "projects:write",
    )
    assert "projects:write" in denied.message and denied.request_id
    assert "403" in str(denied) and denied.request_id in str(denied)
    no_keys = sdk.raises(
        PermissionDeniedError, lambda client: client.api_keys.create("more"), **reader
    )
    assert no_keys.required_scope == "api_keys:write"

    listed = {key.id: key for key in sdk(lambda client: client.api_keys.list())}
    shown = listed[created.id]
    assert (shown.expires_at, shown.scopes, shown.project_id) == (
        created.expires_at,
        created.scopes,
        None,
    )
    assert listed[1].full_access and listed[1].expires_at is None, "the bootstrap key"
    sdk(lambda client: client.api_keys.revoke(created.id))


def test_a_plain_key_has_full_access_and_never_expires(sdk: Sdk, live: LiveApi) -> None:
    created = kept(live, sdk(lambda client: client.api_keys.create(unique_name("sdk-plain"))))

    assert (created.expires_at, created.scopes, created.project_id) == (None, list(SCOPES), None)
    assert created.full_access
    sdk(lambda client: client.api_keys.revoke(created.id))


def test_a_key_for_one_project_reaches_it_alone(sdk: Sdk, live: LiveApi) -> None:
    mine = sdk(lambda client: client.projects.create(name=unique_name("sdk-one")))
    other = sdk(lambda client: client.projects.create(name=unique_name("sdk-other")))
    limited = kept(
        live,
        sdk(
            lambda client: client.api_keys.create(
                unique_name("sdk-one-project"), scopes=["projects:read"], project_id=mine.id
            )
        ),
    )

    assert (limited.project_id, limited.raw["project_id"]) == (mine.id, mine.id)
    assert limited.scopes == ["projects:read"]
    as_limited = {"api_key": limited.key}
    listed = sdk(lambda client: every_project(client, limit=50), **as_limited)
    assert [project.id for project in listed] == [mine.id]
    assert sdk(lambda client: client.projects.get(mine.id), **as_limited) == mine
    sdk.raises(NotFoundError, lambda client: client.projects.get(other.id), **as_limited)
    (shown,) = [key for key in sdk(lambda client: client.api_keys.list()) if key.id == limited.id]
    assert shown.project_id == mine.id

    sdk(lambda client: client.api_keys.revoke(limited.id))
    for project in (mine, other):
        sdk(delete_project(project.id))


def test_a_key_grants_no_more_than_it_holds(sdk: Sdk, live: LiveApi) -> None:
    granter = kept(
        live,
        sdk(
            lambda client: client.api_keys.create(
                unique_name("sdk-granter"), scopes=["api_keys:write", "projects:read"]
            )
        ),
    )
    as_granter = {"api_key": granter.key}

    wider = sdk.raises(
        PermissionDeniedError,
        lambda client: client.api_keys.create("wider", scopes=["projects:write"]),
        **as_granter,
    )
    narrower = kept(
        live,
        sdk(
            lambda client: client.api_keys.create("narrower", scopes=["projects:read"]),
            **as_granter,
        ),
    )

    assert (wider.status, wider.code) == (403, "FORBIDDEN")
    assert narrower.scopes == ["projects:read"]
    for key in (narrower, granter):
        sdk(revoke_key(key.id))


def test_bad_lifetimes_scopes_and_grace_periods_raise_bad_request_naming_the_field(
    sdk: Sdk,
) -> None:
    unknown_scope = sdk.raises(
        BadRequestError, lambda client: client.api_keys.create("x", scopes=["projects:delete"])
    )
    too_soon = sdk.raises(
        BadRequestError,
        lambda client: client.api_keys.create("x", expires_in=timedelta(seconds=5)),
    )
    too_long_grace = sdk.raises(
        BadRequestError,
        lambda client: client.api_keys.rotate(1, grace_period=timedelta(days=8)),
    )

    assert "scopes" in unknown_scope.message
    assert "expires_at" in too_soon.message
    assert "grace_period_seconds" in too_long_grace.message
    for error in (unknown_scope, too_soon, too_long_grace):
        assert error.status == 400 and error.request_id


def test_rotating_with_a_grace_period_keeps_both_keys_working_and_rotating_again_conflicts(
    sdk: Sdk, live: LiveApi
) -> None:
    name = unique_name("sdk-rotated")
    old = kept(
        live,
        sdk(
            lambda client: client.api_keys.create(
                name, expires_in=timedelta(days=30), scopes=["projects:read"]
            )
        ),
    )
    started = datetime.now(UTC)

    new = sdk(lambda client: client.api_keys.rotate(old.id, grace_period=timedelta(hours=1)))
    live.secrets.add(new.key)

    assert isinstance(new, RotatedApiKey)
    assert (new.rotated_from, new.raw["rotated_from"]) == (old.id, old.id)
    assert new.id != old.id and new.key != old.key
    assert KEY_FORMAT.match(new.key)
    assert (new.name, new.scopes, new.project_id) == (name, ["projects:read"], None)
    assert old.expires_at is not None and new.expires_at is not None
    # The same lifetime length, from the rotation on.
    lifetime, renewed = old.expires_at - old.created_at, new.expires_at - new.created_at
    assert abs((renewed - lifetime).total_seconds()) <= 2
    assert_reveals_no_secret(new, live.secrets)

    for key in (old.key, new.key):
        page = sdk(lambda client: client.projects.list(limit=1).first_page(), api_key=key)
        assert isinstance(page, ProjectPage)
    listed = {key.id: key for key in sdk(lambda client: client.api_keys.list())}
    grace_end = listed[old.id].expires_at
    assert grace_end is not None
    hour = timedelta(hours=1)
    assert started + hour - timedelta(seconds=2) <= grace_end <= datetime.now(UTC) + hour
    assert listed[new.id].expires_at == new.expires_at

    again = sdk.raises(ConflictError, lambda client: client.api_keys.rotate(old.id))
    assert (again.status, again.code) == (409, "CONFLICT")
    assert again.request_id and str(old.id) in again.message

    # Without a grace period the old key stops at once, and a revoked key is not rotated.
    newest = sdk(lambda client: client.api_keys.rotate(new.id))
    live.secrets.add(newest.key)
    assert newest.rotated_from == new.id
    sdk.raises(
        AuthenticationError,
        lambda client: client.projects.list(limit=1).first_page(),
        api_key=new.key,
    )
    sdk.raises(ConflictError, lambda client: client.api_keys.rotate(new.id))
    still = sdk(lambda client: client.projects.list(limit=1).first_page(), api_key=old.key)
    assert isinstance(still, ProjectPage), "the first key is still in its grace period"

    for key_id in (old.id, newest.id):
        sdk(revoke_key(key_id))
    assert_no_secret_in_the_server_log(live)


# --- organizations ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stranger_key(live: LiveApi) -> str:
    """The key of an account that is a member of no organization of the test's user."""
    _, key = bootstrap_user(live.database_url, email="stranger@example.com", name="Stu Stranger")
    live.secrets.add(key)
    return key


def test_an_organization_is_created_listed_renamed_its_members_listed_and_deleted(
    sdk: Sdk, live: LiveApi, stranger_key: str
) -> None:
    name = unique_name("sdk org")
    created = sdk(lambda client: client.organizations.create(name))

    assert isinstance(created, Organization)
    assert re.fullmatch(r"org-[a-z0-9-]{1,60}", created.id)
    assert (created.name, created.plan, created.managed_by) == (name, "self-hosted", "console")
    assert created.handle.startswith("sdk-org-")
    assert_utc(created.created_at)
    assert_utc(created.updated_at)
    assert created.raw == live.get(f"/organizations/{created.id}")

    listed = sdk(lambda client: client.organizations.list())
    assert all(isinstance(organization, Organization) for organization in listed)
    assert created in listed
    assert sdk(lambda client: client.organizations.get(created.id)) == created

    new_name = unique_name("sdk renamed")
    renamed = sdk(lambda client: client.organizations.rename(created.id, new_name))
    assert (renamed.id, renamed.name, renamed.handle) == (created.id, new_name, created.handle)
    assert renamed.updated_at >= created.updated_at
    (shown,) = [
        item for item in sdk(lambda client: client.organizations.list()) if item.id == created.id
    ]
    assert shown.name == new_name

    (only,) = sdk(lambda client: client.organizations.members(created.id))
    assert isinstance(only, OrganizationMember)
    assert only.email == EMAIL
    assert isinstance(only.member, Member)
    assert (only.member.user_id, only.member.org_id, only.member.role) == (
        live.user_id,
        created.id,
        "admin",
    )
    assert_utc(only.member.joined_at)
    assert only.raw == live.get(f"/organizations/{created.id}/members")["members"][0]
    member_id = only.member.id
    assert sdk(lambda client: client.organizations.get_member(created.id, member_id)) == only.member

    # The one admin can be neither demoted nor removed; an unknown member is not found.
    demoted = sdk.raises(
        ConflictError,
        lambda client: client.organizations.change_role(created.id, member_id, "member"),
    )
    leaving = sdk.raises(
        ConflictError, lambda client: client.organizations.remove_member(created.id, member_id)
    )
    assert (demoted.status, leaving.status) == (409, 409)
    assert demoted.request_id and leaving.request_id
    sdk.raises(
        NotFoundError,
        lambda client: client.organizations.remove_member(created.id, uuid.uuid4()),
    )
    kept_admin = sdk(
        lambda client: client.organizations.change_role(created.id, member_id, "admin")
    )
    assert (kept_admin.id, kept_admin.role) == (member_id, "admin")

    # To someone who is not a member, the organization does not exist.
    as_stranger = {"api_key": stranger_key}
    for operation in (
        lambda client: client.organizations.get(created.id),
        lambda client: client.organizations.members(created.id),
        lambda client: client.organizations.rename(created.id, "Mine now"),
        lambda client: client.organizations.delete(created.id),
        lambda client: client.organizations.remove_member(created.id, member_id),
    ):
        error = sdk.raises(NotFoundError, operation, **as_stranger)
        assert error.status == 404 and error.request_id
    assert created.id not in [
        item.id for item in sdk(lambda client: client.organizations.list(), **as_stranger)
    ]

    deleted = sdk(lambda client: client.organizations.delete(created.id))
    assert isinstance(deleted, Organization)
    assert (deleted.id, deleted.name) == (created.id, new_name)
    sdk.raises(NotFoundError, lambda client: client.organizations.get(created.id))
    assert created.id not in [item.id for item in sdk(lambda client: client.organizations.list())]


def test_users_auth_names_the_key_owner(sdk: Sdk, live: LiveApi) -> None:
    details = sdk(lambda client: client.users.auth())

    assert isinstance(details, AuthDetails)
    assert (details.account_id, details.auth_method) == (live.user_id, "api_key_user")
    assert details.raw == live.get("/auth")
