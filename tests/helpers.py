"""Shared test machinery: throw-away databases, in-process apps, real server processes."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import httpx
from fastapi import FastAPI

from unique import accounts, api_keys
from unique.actor import Actor
from unique.api.app import create_app
from unique.cli import create_user_as_operator
from unique.config import Settings, load_settings
from unique.db.engine import create_engine, session_factory
from unique.db.migrate import upgrade
from unique.runtime import Runtime

REPO = Path(__file__).resolve().parent.parent
UNIQUE_BIN = str(Path(os.environ.get("VIRTUAL_ENV", REPO / ".venv")) / "bin" / "unique")
POSTGRES_ADMIN_DSN = os.environ.get(
    "UNIQUE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test"
)
T = TypeVar("T")
PASSWORD = "correct horse battery staple"
# Argon2's minimum (8 KiB, one pass, one lane): what the suite hashes passwords at (see conftest).
TEST_PASSWORD_HASH_COST = "m=8,t=1,p=1"
# The address in-process requests appear to come from (a documentation range, RFC 5737).
TEST_CLIENT_ADDR = "203.0.113.7"


def postgres_url(database: str) -> str:
    base = POSTGRES_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{database}"


ERROR_FIELDS = {"code", "message", "request_id"}
UPPER_SNAKE_CASE = re.compile(r"^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$")
USABLE_REQUEST_ID = re.compile(r"^[\x20-\x7e]{1,128}$")


def request_id_of(response: httpx.Response) -> str:
    """The response's one ``X-Request-ID``, checked to be a usable id."""
    values = response.headers.get_list("x-request-id")
    assert len(values) == 1, values
    assert USABLE_REQUEST_ID.match(values[0]), values
    return values[0]


def assert_error(
    response: httpx.Response, status: int, *, code: str | None = None, field: str | None = None
) -> dict[str, str]:
    """The response is ``status`` in the documented error shape, naming ``field`` if given."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    assert set(body) == ERROR_FIELDS, body
    assert all(isinstance(value, str) and value for value in body.values()), body
    assert UPPER_SNAKE_CASE.match(body["code"]), body
    if code is not None:
        assert body["code"] == code, body
    if field is not None:
        assert field in body["message"], body
    assert body["request_id"] == request_id_of(response)
    return body


def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even while Playwright's loop is running."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def admin_statement(statement: str) -> None:
    """Runs one statement as the PostgreSQL superuser, outside any test database."""
    connection = await asyncpg.connect(POSTGRES_ADMIN_DSN, timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def postgres_rows(database_url: str, query: str) -> list[asyncpg.Record]:
    """The rows ``query`` answers on the PostgreSQL database at ``database_url``."""
    connection = await asyncpg.connect(database_url)
    try:
        rows: list[asyncpg.Record] = await connection.fetch(query)
    finally:
        await connection.close()
    return rows


def postgres_available() -> bool:
    try:
        run_async(admin_statement("SELECT 1"))
    except (OSError, asyncpg.PostgresError):
        return False
    return True


def migrate(database_url: str) -> None:
    async def run() -> None:
        engine = create_engine(Settings(database_url=database_url))
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    run_async(run())


class DatabaseFactory:
    """Makes fresh, migrated databases quickly by copying a template migrated once per session.

    A PostgreSQL copy takes a few hundred milliseconds, most of it the server waiting for its
    disk: the next few are made in the background while tests run, and dropped there too.
    """

    # PostgreSQL databases made ahead of the tests that will ask for them.
    AHEAD = 3

    def __init__(self, kind: str, workdir: Path) -> None:
        self.kind = kind
        self.workdir = workdir
        self._created: list[str] = []
        suffix = uuid.uuid4().hex[:10]
        if kind == "sqlite":
            self._template = workdir / "template.db"
            migrate(f"sqlite:///{self._template}")
        else:
            self._template_name = f"unique_tpl_{suffix}"
            run_async(admin_statement(f'CREATE DATABASE "{self._template_name}"'))
            migrate(postgres_url(self._template_name))
            self._background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="databases")
            self._ahead: deque[Future[str]] = deque(self._make_later() for _ in range(self.AHEAD))
            self._drops: list[Future[None]] = []

    def _make_later(self) -> Future[str]:
        return self._background.submit(asyncio.run, self._make_copy())

    async def _make_copy(self) -> str:
        name = f"unique_t_{uuid.uuid4().hex[:12]}"
        await admin_statement(f'CREATE DATABASE "{name}" TEMPLATE "{self._template_name}"')
        return name

    def new_url(self) -> str:
        if self.kind == "sqlite":
            path = self.workdir / f"unique_t_{uuid.uuid4().hex[:12]}.db"
            shutil.copyfile(self._template, path)
            return f"sqlite:///{path}"
        self._raise_failed_drops()
        self._ahead.append(self._make_later())
        name = self._ahead.popleft().result()
        self._created.append(name)
        return postgres_url(name)

    def drop(self, url: str) -> None:
        if self.kind == "postgresql":
            name = url.rsplit("/", 1)[1]
            self._created.remove(name)
            statement = f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
            self._drops.append(self._background.submit(asyncio.run, admin_statement(statement)))

    def _raise_failed_drops(self) -> None:
        for done in [drop for drop in self._drops if drop.done()]:
            self._drops.remove(done)
            done.result()

    def close(self) -> None:
        if self.kind == "postgresql":
            unused = [ahead.result() for ahead in self._ahead]
            for drop in self._drops:
                drop.result()
            self._background.shutdown()
            for name in [*unused, *self._created, self._template_name]:
                run_async(admin_statement(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Account:
    user_id: uuid.UUID
    email: str
    name: str
    key: str
    key_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


async def create_account(  # type: ignore[no-untyped-def]
    sessions,
    email: str | None = None,
    name: str = "Sam Smith",
    projects_limit: int = 10_000,
) -> Account:
    """A user with one bootstrap key, made through the domain functions the CLI uses."""
    email = email or f"user-{uuid.uuid4().hex[:8]}@example.com"
    user_id = await create_user_as_operator(
        sessions, email=email, name=name, password=PASSWORD, projects_limit=projects_limit
    )
    async with sessions.begin() as session:
        new_key = await api_keys.create_key(
            session, owner_id=user_id, name="bootstrap", actor=Actor(user_id)
        )
    return Account(user_id, email, name, new_key.secret, new_key.id)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_cli(
    args: list[str], env: dict[str, str], stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [UNIQUE_BIN, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=60,
        check=False,
    )


async def _on_migrated_database(database_url: str, env: dict[str, str] | None, work):  # type: ignore[no-untyped-def]
    """Run ``work(sessions, settings)`` as a ``unique admin`` command does: with the settings of
    the environment plus ``env``, on the database at ``database_url``, migrated first."""
    settings = load_settings({**os.environ, **(env or {}), "UNIQUE_DATABASE_URL": database_url})
    engine = create_engine(settings)
    try:
        await upgrade(engine)
        return await work(session_factory(engine), settings)
    finally:
        await engine.dispose()


def bootstrap_user(
    database_url: str,
    email: str = "sam@example.com",
    name: str = "Sam Smith",
    env: dict[str, str] | None = None,
) -> tuple[str, str]:
    """Create a user and a first key as ``unique admin create-user`` and ``create-api-key`` do;
    return (user id, key).

    Done here, through the same domain functions, not by running the two commands: each command
    starts a Python with the whole server stack and costs about two seconds of CPU, and the
    commands themselves are tested in tests/api/test_server_cli.py.
    """

    async def work(sessions, settings: Settings) -> Account:  # type: ignore[no-untyped-def]
        return await create_account(
            sessions, email=email, name=name, projects_limit=settings.projects_limit
        )

    account = run_async(_on_migrated_database(database_url, env, work))
    return str(account.user_id), account.key


def admin_create_user(database_url: str, email: str, name: str = "Sam Smith") -> str:
    """A user with ``PASSWORD``, as ``unique admin create-user`` makes it; returns the id."""

    async def work(sessions, settings: Settings) -> uuid.UUID:  # type: ignore[no-untyped-def]
        return await create_user_as_operator(
            sessions,
            email=email,
            name=name,
            password=PASSWORD,
            projects_limit=settings.projects_limit,
        )

    return str(run_async(_on_migrated_database(database_url, None, work)))


def admin_create_key(database_url: str, email: str, name: str) -> str:
    """A key for the user with ``email``, as ``unique admin create-api-key`` makes it."""

    async def work(sessions, settings: Settings) -> str:  # type: ignore[no-untyped-def]
        async with sessions.begin() as session:
            user = await accounts.find_user_by_email(session, email)
            assert user is not None, f"no user with email {email}"
            new_key = await api_keys.create_key(
                session, owner_id=user.id, name=name, actor=Actor.operator(user.id)
            )
            return new_key.secret

    return str(run_async(_on_migrated_database(database_url, None, work)))


class ServerProcess:
    """A real `unique serve` process on a free loopback port, its output captured to a file."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        *,
        workers: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                UNIQUE_BIN,
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            # API rate limits are off unless a test turns them on: most tests send bursts.
            env={
                **os.environ,
                "UNIQUE_DATABASE_URL": database_url,
                "UNIQUE_RATE_LIMITS": "off",
                **(env or {}),
            },
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._wait_until_ready()

    def _wait_until_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_path.read_text()}")
            try:
                if httpx.get(f"{self.base_url}/readyz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server not ready in {timeout}s:\n{self.log_path.read_text()}")

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self._log.close()
        return self.process.returncode

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@dataclass
class Service:
    """An in-process server: the ASGI app with its lifespan running, and a client for it."""

    app: FastAPI
    runtime: Runtime
    client: httpx.AsyncClient

    async def new_account(self, email: str | None = None, name: str = "Sam Smith") -> Account:
        return await create_account(self.runtime.sessions, email=email, name=name)

    async def create_key(self, owner: Account, name: str) -> dict[str, Any]:
        """``owner`` creates a key named ``name`` through the API: the create response."""
        response = await self.client.post(
            "/api_keys", json={"key_name": name}, headers=owner.headers
        )
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()
        return created

    async def another_key(self, owner: Account, name: str, **access: Any) -> Account:
        """``owner`` with a new key of theirs, created through the API, in place of their own;
        ``access`` are the create request's other fields (expires_at, scopes, project_id)."""
        if access:
            response = await self.post_key(owner, name, **access)
            assert response.status_code == 200, response.text
            created = response.json()
        else:
            created = await self.create_key(owner, name)
        return replace(owner, key=created["key"], key_id=created["id"])

    async def post_key(self, owner: Account, name: str, **access: Any) -> httpx.Response:
        """``owner``'s key asks for a new key named ``name`` with ``access``: the raw answer."""
        body = {"key_name": name, **access}
        return await self.client.post("/api_keys", json=body, headers=owner.headers)

    def client_from(self, address: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v2")

    def console_from(self, address: str = TEST_CLIENT_ADDR) -> httpx.AsyncClient:
        """A browser-like client of the Console pages (it keeps cookies), from ``address``."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000))
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def submit_console_form(
    console: httpx.AsyncClient,
    path: str,
    fields: dict[str, str],
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Open the form page at ``path`` and post ``fields`` to it with the page's CSRF token."""
    page = await console.get(path, headers=headers)
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    return await console.post(path, data={**fields, "csrf_token": token}, headers=headers)


@asynccontextmanager
async def running_service(settings: Settings) -> AsyncIterator[Service]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=(TEST_CLIENT_ADDR, 40000))
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver/api/v2"
        ) as client:
            yield Service(app=app, runtime=app.state.runtime, client=client)
