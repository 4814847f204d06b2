"""The Console's API keys page: a page of 50 keys at a time, searched and filtered; keys created
with an expiry and less access; keys rotated with or without an overlap.

Driven over HTTP through the in-process app, as a signed-in browser without script (form posts)
and as the page's script (the same posts asking for JSON), on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from tests.conftest import DATABASES
from tests.helpers import PASSWORD, Account, Service, running_service, submit_console_form
from unique import api_keys, projects
from unique.actor import Actor
from unique.config import Settings
from unique.db.tables import ApiKey, User, utcnow

KEYS_PAGE = "/settings/api-keys"


@pytest.fixture(params=DATABASES)
def database_kind(request: pytest.FixtureRequest) -> str:
    """Unlike the browser tests, these run on both databases."""
    return str(request.param)


# Reading the page as a person would: the rows of the keys table, the pager's links, the
# create dialog's errors.


@dataclass
class KeysPage:
    status: int
    html: str
    rows: list[dict[str, str]] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    options: dict[str, list[str]] = field(default_factory=dict)

    @property
    def names(self) -> list[str]:
        return [row["Name"] for row in self.rows]

    @property
    def ids(self) -> list[int]:
        return [int(row["id"]) for row in self.rows]

    def row(self, name: str) -> dict[str, str]:
        (found,) = [row for row in self.rows if row["Name"] == name]
        return found


class _Reader(HTMLParser):
    def __init__(self, page: KeysPage) -> None:
        super().__init__()
        self._page = page
        self._row: dict[str, str] | None = None
        self._cell: str | None = None
        self._link: str | None = None
        self._error: str | None = None
        self._select: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "tr" and attributes.get("data-key-id"):
            self._row = {"id": attributes["data-key-id"] or ""}
        elif tag == "td" and self._row is not None:
            self._cell, self._text = attributes.get("data-label") or "Actions", []
        elif tag == "a" and attributes.get("rel") in ("prev", "next"):
            self._link, self._text = attributes.get("href"), []
        elif tag == "p" and "field-error" in (attributes.get("class") or ""):
            self._error = None if "hidden" in attributes else attributes.get("id")
            self._text = []
        elif tag == "select":
            self._select = attributes.get("name")
            self._page.options[self._select or ""] = []
        elif tag == "option" and self._select is not None:
            self._page.options[self._select].append(attributes.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        words = " ".join(" ".join(self._text).split())
        if tag == "td" and self._row is not None and self._cell is not None:
            self._row[self._cell] = words
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self._page.rows.append(self._row)
            self._row = None
        elif tag == "a" and self._link is not None:
            self._page.links[words] = self._link
            self._link = None
        elif tag == "p" and self._error is not None:
            self._page.errors[self._error.removesuffix("-error")] = words
            self._error = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        self._text.append(data)


def read_page(response: httpx.Response) -> KeysPage:
    page = KeysPage(response.status_code, response.text)
    _Reader(page).feed(response.text)
    return page


@dataclass
class Console:
    """A signed-in Console session of ``account``'s."""

    client: httpx.AsyncClient
    service: Service
    account: Account

    async def page(self, path: str = KEYS_PAGE, **params: str) -> KeysPage:
        return read_page(await self.client.get(path, params=params or None))

    async def csrf(self) -> str:
        html = (await self.client.get(KEYS_PAGE)).text
        return html.split('name="csrf_token" value="')[1].split('"')[0]

    async def post(
        self, path: str, fields: dict[str, Any], *, as_script: bool = False
    ) -> httpx.Response:
        headers = {"Accept": "application/json"} if as_script else {}
        data = {**fields, "csrf_token": await self.csrf()}
        return await self.client.post(path, data=data, headers=headers)

    async def create(self, name: str, **fields: Any) -> dict[str, Any]:
        """Create a key as the page's script does; the JSON answer."""
        response = await self.post(KEYS_PAGE, {"key_name": name, **fields}, as_script=True)
        assert response.status_code == 200, response.text
        created: dict[str, Any] = response.json()
        return created

    async def rotate(self, key_id: int, overlap: str, *, as_script: bool = False) -> httpx.Response:
        return await self.post(
            f"{KEYS_PAGE}/{key_id}/rotate", {"overlap": overlap}, as_script=as_script
        )

    async def walk(self, **params: str) -> list[KeysPage]:
        """Every page, following "Older keys" from the first."""
        pages = [await self.page(**params)]
        while "Older keys" in pages[-1].links:
            pages.append(await self.page(pages[-1].links["Older keys"]))
        return pages

    async def api(self, method: str, path: str, key: str) -> int:
        response = await self.service.client.request(
            method,
            path,
            headers={"Authorization": f"Bearer {key}"},
            json={"project": {}} if method == "POST" else None,
        )
        return response.status_code


async def signed_in(service: Service, account: Account) -> AsyncIterator[Console]:
    async with service.console_from() as client:
        response = await submit_console_form(
            client, "/login", {"email": account.email, "password": PASSWORD}
        )
        assert response.status_code == 303, response.text
        yield Console(client, service, account)


@pytest.fixture
async def console(service: Service, account: Account) -> AsyncIterator[Console]:
    async for session in signed_in(service, account):
        yield session


# Keys written straight into the database, for pages and filters.


async def seed_keys(service: Service, account: Account, names: list[str]) -> list[int]:
    """Keys of ``account``'s with these names, oldest first; their ids."""
    async with service.runtime.sessions.begin() as session:
        created = [
            await api_keys.create_key(
                session, owner_id=account.user_id, name=name, actor=Actor(account.user_id)
            )
            for name in names
        ]
    return [new_key.id for new_key in created]


async def set_key(service: Service, key_id: int, **values: Any) -> None:
    async with service.runtime.sessions.begin() as session:
        await session.execute(update(ApiKey).where(ApiKey.id == key_id).values(**values))


async def key_count(service: Service, account: Account) -> int:
    async with service.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count()).select_from(ApiKey).where(ApiKey.owner_id == account.user_id)
        )
    return int(count or 0)


async def stored_key(service: Service, key_id: int) -> ApiKey:
    async with service.runtime.sessions() as session:
        row = await session.get(ApiKey, key_id)
    assert row is not None
    return row


async def new_project(service: Service, account: Account) -> str:
    async with service.runtime.sessions.begin() as session:
        user = await session.get(User, account.user_id)
        assert user is not None
        project = await projects.create_project(
            session,
            user,
            regions=service.runtime.settings.regions,
            name="shop",
            region_id=None,
            pg_version=None,
            creation_source="console",
            actor=Actor(account.user_id),
        )
    return project.id


# Paging


async def test_pages_show_fifty_keys_newest_first_and_never_skip_or_repeat_one(
    console: Console,
) -> None:
    ids = [console.account.key_id] + await seed_keys(
        console.service, console.account, [f"key-{n:03}" for n in range(120)]
    )
    pages = await console.walk()
    assert [len(page.rows) for page in pages] == [50, 50, 21]
    assert [key_id for page in pages for key_id in page.ids] == sorted(ids, reverse=True)
    assert "Newer keys" not in pages[0].links
    assert "Older keys" not in pages[-1].links

    back = [pages[-1]]
    while "Newer keys" in back[-1].links:
        back.append(await console.page(back[-1].links["Newer keys"]))
    assert [page.ids for page in reversed(back)] == [page.ids for page in pages]


async def test_keys_created_or_revoked_while_paging_move_no_other_key(console: Console) -> None:
    ids = await seed_keys(console.service, console.account, [f"key-{n:03}" for n in range(99)])
    first = await console.page()
    await seed_keys(console.service, console.account, ["created-meanwhile"])
    await set_key(console.service, first.ids[0], revoked_at=utcnow())
    second = await console.page(first.links["Older keys"])
    assert second.ids == sorted([console.account.key_id, *ids], reverse=True)[50:]
    assert "created-meanwhile" not in second.names


async def test_a_page_cursor_must_be_a_key_id(console: Console) -> None:
    refused = await console.page(before="1 OR 1=1")
    assert refused.status == 400
    assert (await console.page(before="99999999")).names == ["bootstrap"]


# Search and filters


async def test_search_finds_part_of_a_name_whatever_its_case_and_takes_wildcards_literally(
    console: Console,
) -> None:
    await seed_keys(
        console.service,
        console.account,
        ["prod-deploy", "Staging-DEPLOY", "ci_runner", "ci-runner", "100%", "a\\b"],
    )
    assert (await console.page(search="deploy")).names == ["Staging-DEPLOY", "prod-deploy"]
    assert (await console.page(search="  Deploy ")).names == ["Staging-DEPLOY", "prod-deploy"]
    assert (await console.page(search="ci_")).names == ["ci_runner"]
    assert (await console.page(search="%")).names == ["100%"]
    assert (await console.page(search="\\")).names == ["a\\b"]
    nothing = await console.page(search="nothing-like-it")
    assert nothing.rows == []
    assert "No API keys match" in nothing.html
    assert (await console.page(search="x" * 65)).status == 400


async def test_search_pages_on_within_its_matches(console: Console) -> None:
    await seed_keys(
        console.service,
        console.account,
        [f"{'match' if n % 2 else 'other'}-{n:03}" for n in range(140)],
    )
    pages = await console.walk(search="MATCH")
    assert [len(page.rows) for page in pages] == [50, 20]
    names = [name for page in pages for name in page.names]
    assert names == sorted({f"match-{n:03}" for n in range(1, 140, 2)}, reverse=True)


async def test_each_filter_lists_only_the_keys_that_need_care(console: Console) -> None:
    service, now = console.service, utcnow()
    names = ["expired", "expiring", "used-today", "used-long-ago", "never-used-old", "fresh"]
    by_name = dict(zip(names, await seed_keys(service, console.account, names), strict=True))
    await set_key(service, by_name["expired"], expires_at=now - timedelta(minutes=1))
    await set_key(service, by_name["expiring"], expires_at=now + timedelta(days=3, minutes=1))
    await set_key(service, by_name["used-today"], last_used_at=now - timedelta(hours=2))
    await set_key(service, by_name["used-long-ago"], last_used_at=now - timedelta(days=91))
    await set_key(service, by_name["never-used-old"], created_at=now - timedelta(days=100))
    await set_key(
        service, console.account.key_id, last_used_at=now - timedelta(minutes=5)
    )  # "bootstrap"

    every = await console.page(filter="all")
    assert set(every.names) == {*names, "bootstrap"}
    assert every.row("expired")["Expires"] == "Expired"
    assert every.row("expiring")["Expires"] == "Expires in 3 days"
    assert every.row("fresh")["Expires"] == "Never"
    assert (await console.page(filter="expired")).names == ["expired"]
    assert set((await console.page(filter="never-used")).names) == {
        "expired",
        "expiring",
        "never-used-old",
        "fresh",
    }
    assert (await console.page(filter="unused-90-days")).names == [
        "never-used-old",
        "used-long-ago",
    ]
    assert (await console.page(filter="expired", search="nope")).names == []
    assert (await console.page(filter="everything")).status == 400


# Creating a key that carries less power


async def test_a_key_made_with_a_name_only_has_full_access_and_no_end(console: Console) -> None:
    created = await console.create("everything")
    assert created["access"] == "Full access" and created["expiry"] == "Never"
    row = (await console.page()).row("everything")
    assert row["Access"] == "Full access" and row["Expires"] == "Never"
    assert (await stored_key(console.service, created["id"])).expires_at is None


@pytest.mark.parametrize("days", ["7", "30", "60", "90"])
async def test_a_key_expires_after_the_days_chosen(console: Console, days: str) -> None:
    before = utcnow()
    created = await console.create("temporary", expiration=days)
    expires_at = (await stored_key(console.service, created["id"])).expires_at
    assert expires_at is not None
    assert expires_at - before - timedelta(days=int(days)) < timedelta(minutes=1)
    assert (await console.page()).row("temporary")["Expires"] == f"Expires in {days} days"


async def test_a_key_expires_at_the_start_of_a_custom_date(console: Console) -> None:
    day = (utcnow() + timedelta(days=12)).date()
    created = await console.create("until", expiration="custom", expires_on=day.isoformat())
    stored = (await stored_key(console.service, created["id"])).expires_at
    assert stored == datetime(day.year, day.month, day.day, tzinfo=UTC)


async def test_a_read_only_key_reads_and_cannot_write(console: Console) -> None:
    created = await console.create("reader", access="read-only", expiration="7")
    assert (await console.page()).row("reader")["Access"] == "Read only"
    assert await console.api("GET", "/projects", created["key"]) == 200
    assert await console.api("POST", "/projects", created["key"]) == 403


async def test_a_key_with_custom_scopes_holds_those_and_the_reads_they_imply(
    console: Console,
) -> None:
    created = await console.create(
        "writer", access="custom", scopes=["projects:write", "account:read"]
    )
    assert (await console.page()).row("writer")["Access"] == (
        "account:read, projects:read, projects:write"
    )
    assert await console.api("POST", "/projects", created["key"]) == 201
    assert await console.api("GET", "/api_keys", created["key"]) == 403


async def test_a_key_for_one_project_says_so(console: Console) -> None:
    project_id = await new_project(console.service, console.account)
    form = await console.page()
    assert project_id in form.options["project_id"]
    created = await console.create("one", project_id=project_id)
    assert (await console.page()).row("one")["Access"] == f"Full access Project {project_id}"
    assert await console.api("GET", f"/projects/{project_id}", created["key"]) == 200
    assert await console.api("POST", "/projects", created["key"]) == 403


async def test_the_form_post_without_script_shows_the_new_key_once(console: Console) -> None:
    response = await console.post(
        KEYS_PAGE, {"key_name": "no-script", "expiration": "30", "access": "read-only"}
    )
    page = read_page(response)
    assert page.status == 200
    secret = re.search(r'id="new-key-value"[^>]*value="(unq_[0-9a-z]+)"', page.html)
    assert secret is not None
    assert page.row("no-script")["Access"] == "Read only"
    assert secret.group(1) not in (await console.page()).html


TOMORROW = "tomorrow"
YESTERDAY = "yesterday"


def _date(which: str) -> str:
    today = utcnow().date()
    return (today + timedelta(days={TOMORROW: 1, YESTERDAY: -1}.get(which, 0))).isoformat()


BAD_VALUES = [
    pytest.param({"key_name": "  "}, "key_name", "key-name", id="blank name"),
    pytest.param({"key_name": "x" * 65}, "key_name", "key-name", id="long name"),
    pytest.param({"expiration": "13"}, "expiration", "key-expiration", id="days not offered"),
    pytest.param({"expiration": "forever"}, "expiration", "key-expiration", id="unknown expiry"),
    pytest.param({"expiration": "custom"}, "expires_on", "key-expires-on", id="no date"),
    pytest.param(
        {"expiration": "custom", "expires_on": "31/12/2030"},
        "expires_on",
        "key-expires-on",
        id="date not ISO",
    ),
    pytest.param(
        {"expiration": "custom", "expires_on": YESTERDAY},
        "expires_on",
        "key-expires-on",
        id="past date",
    ),
    pytest.param(
        {"expiration": "custom", "expires_on": "today"},
        "expires_on",
        "key-expires-on",
        id="today",
    ),
    pytest.param({"access": "admin"}, "access", "access", id="unknown access"),
    pytest.param({"access": "custom"}, "scopes", "access", id="custom without scopes"),
    pytest.param(
        {"access": "custom", "scopes": ["projects:read", "root"]},
        "scopes",
        "access",
        id="unknown scope",
    ),
    pytest.param({"project_id": "no-such-project"}, "project_id", "key-project", id="no project"),
]


def _fields(bad: dict[str, Any]) -> dict[str, Any]:
    fields = {"key_name": "refused", **bad}
    if fields.get("expires_on") in (YESTERDAY, "today"):
        fields["expires_on"] = _date(fields["expires_on"])
    return fields


@pytest.mark.parametrize(("bad", "field_name", "error_id"), BAD_VALUES)
async def test_a_bad_value_is_a_field_error_for_the_script_and_creates_nothing(
    console: Console, bad: dict[str, Any], field_name: str, error_id: str
) -> None:
    keys_before = await key_count(console.service, console.account)
    response = await console.post(KEYS_PAGE, _fields(bad), as_script=True)
    assert response.status_code == 400
    body = response.json()
    assert body["field"] == field_name and body["message"]
    assert await key_count(console.service, console.account) == keys_before


@pytest.mark.parametrize(("bad", "field_name", "error_id"), BAD_VALUES)
async def test_a_bad_value_reopens_the_dialog_with_the_error_and_creates_nothing(
    console: Console, bad: dict[str, Any], field_name: str, error_id: str
) -> None:
    keys_before = await key_count(console.service, console.account)
    page = read_page(await console.post(KEYS_PAGE, _fields(bad)))
    assert page.status == 400
    assert list(page.errors) == [error_id]
    assert page.errors[error_id]
    assert 'data-open-on-load="create-key-dialog"' in page.html
    assert await key_count(console.service, console.account) == keys_before


async def test_another_accounts_project_is_refused(console: Console) -> None:
    stranger = await console.service.new_account()
    their_project = await new_project(console.service, stranger)
    response = await console.post(
        KEYS_PAGE, {"key_name": "sneaky", "project_id": their_project}, as_script=True
    )
    assert response.status_code == 400
    assert response.json()["field"] == "project_id"


@pytest.fixture
async def capped(settings: Settings) -> AsyncIterator[Console]:
    """A deployment whose keys live at most 45 days (UNIQUE_KEY_MAX_LIFETIME_DAYS)."""
    async with running_service(replace(settings, key_max_lifetime_days=45)) as service:
        account = await service.new_account()
        async for session in signed_in(service, account):
            yield session


async def test_under_a_maximum_lifetime_every_choice_offered_respects_it(capped: Console) -> None:
    page = await capped.page()
    assert page.options["expiration"] == ["7", "30", "45", "custom"]
    assert re.search(r'<option value="45" selected>', page.html)
    assert f'max="{(utcnow().date() + timedelta(days=45)).isoformat()}"' in page.html

    created = await capped.create("default-lifetime")
    assert created["expiry"] == "Expires in 45 days"
    for refused in (
        {"expiration": "none"},
        {"expiration": "60"},
        {"expiration": "custom", "expires_on": "2999-01-01"},
    ):
        keys_before = await key_count(capped.service, capped.account)
        response = await capped.post(KEYS_PAGE, {"key_name": "long", **refused}, as_script=True)
        assert response.status_code == 400, refused
        assert response.json()["field"] in ("expiration", "expires_on")
        assert await key_count(capped.service, capped.account) == keys_before


# Rotating


async def test_rotating_without_overlap_revokes_the_old_key_now(console: Console) -> None:
    old = await console.create("ci", access="read-only", expiration="30")
    response = await console.rotate(old["id"], "none")
    page = read_page(response)
    assert page.status == 200
    new_secret = re.search(r'id="new-key-value"[^>]*value="(unq_[0-9a-z]+)"', page.html)
    assert new_secret is not None
    assert "The old key was revoked." in page.html
    assert page.names.count("ci") == 1 and page.row("ci")["Access"] == "Read only"
    assert page.row("ci")["Expires"] == "Expires in 30 days"
    assert await console.api("GET", "/projects", old["key"]) == 401
    assert await console.api("GET", "/projects", new_secret.group(1)) == 200
    assert new_secret.group(1) not in (await console.page()).html


async def test_rotating_with_an_overlap_keeps_both_keys_working_until_it_ends(
    console: Console,
) -> None:
    old = await console.create("deploy")
    response = await console.rotate(old["id"], "24h", as_script=True)
    assert response.status_code == 200
    new = response.json()
    assert new["rotated_from"] == old["id"] and new["name"] == "deploy"
    assert new["old_key_expiry"] == "Expires in 24 hours"
    assert await console.api("GET", "/projects", old["key"]) == 200
    assert await console.api("GET", "/projects", new["key"]) == 200

    page = await console.page()
    rows = {int(row["id"]): row for row in page.rows}
    assert rows[old["id"]]["Expires"] == "Expires in 24 hours Rotated: replaced by a new key"
    assert "Rotate" not in rows[old["id"]]["Actions"]
    assert rows[new["id"]]["Expires"] == "Never"

    await set_key(console.service, old["id"], expires_at=utcnow() - timedelta(seconds=1))
    assert await console.api("GET", "/projects", old["key"]) == 401
    assert await console.api("GET", "/projects", new["key"]) == 200


@pytest.mark.parametrize("overlap", ["1h", "7d"])
async def test_each_overlap_is_offered_and_holds(console: Console, overlap: str) -> None:
    assert overlap in (await console.page()).html
    old = await console.create("nightly")
    response = await console.rotate(old["id"], overlap, as_script=True)
    expected = {"1h": "Expires in 1 hour", "7d": "Expires in 7 days"}[overlap]
    assert response.json()["old_key_expiry"] == expected


async def test_a_rotated_key_cannot_be_rotated_again(console: Console) -> None:
    old = await console.create("twice")
    assert (await console.rotate(old["id"], "1h")).status_code == 200
    again = read_page(await console.rotate(old["id"], "1h"))
    assert again.status == 409
    assert re.search(r'role="alert">API key \d+ was already rotated', again.html)
    as_script = await console.rotate(old["id"], "none", as_script=True)
    assert as_script.status_code == 409
    assert "already rotated" in as_script.json()["message"]
    assert [row["Name"] for row in (await console.page()).rows].count("twice") == 2


async def test_rotating_needs_a_known_overlap(console: Console) -> None:
    old = await console.create("careful")
    response = await console.rotate(old["id"], "forever", as_script=True)
    assert response.status_code == 400
    assert (await stored_key(console.service, old["id"])).rotated_to is None


async def test_rotating_needs_the_forms_csrf_token(console: Console) -> None:
    old = await console.create("guarded")
    for token in ({}, {"csrf_token": "0" * 64}):
        response = await console.client.post(
            f"{KEYS_PAGE}/{old['id']}/rotate", data={"overlap": "none", **token}
        )
        assert response.status_code == 403
        assert "The form expired or did not come from this site" in response.text
    assert (await stored_key(console.service, old["id"])).rotated_to is None
    assert await console.api("GET", "/projects", old["key"]) == 200


async def test_another_accounts_key_cannot_be_rotated(console: Console) -> None:
    stranger = await console.service.new_account()
    response = await console.rotate(stranger.key_id, "none")
    assert response.status_code == 303
    assert (await stored_key(console.service, stranger.key_id)).rotated_to is None
