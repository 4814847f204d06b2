"""Who may sign up is the operator's choice (``UNIQUE_SIGNUP=open|invite|closed``), and one
address cannot create accounts in bulk (``UNIQUE_SIGNUPS_PER_HOUR``)."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import func, select

from tests.helpers import PASSWORD, Service, run_cli, running_service, submit_console_form
from unique.config import Settings, SignupMode
from unique.db.tables import User

OTHER_ADDR = "198.51.100.66"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_kind(request: pytest.FixtureRequest) -> str:
    """Invitations are stored: both databases, unlike the rest of the Console's tests."""
    return str(request.param)


@pytest.fixture
def service_with(
    settings: Settings,
) -> Callable[..., AbstractAsyncContextManager[Service]]:
    def start(**changes: object) -> AbstractAsyncContextManager[Service]:
        return running_service(replace(settings, **changes))  # type: ignore[arg-type]

    return start


async def sign_up(
    service: Service, email: str, address: str = "203.0.113.7", password: str = PASSWORD
) -> httpx.Response:
    async with service.console_from(address) as console:
        return await submit_console_form(
            console, "/signup", {"name": "Ada Lovelace", "email": email, "password": password}
        )


async def users(service: Service) -> int:
    async with service.runtime.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(User)) or 0)


async def test_sign_up_is_open_by_default(service: Service) -> None:
    assert service.runtime.settings.signup is SignupMode.OPEN
    signed_up = await sign_up(service, "ada@example.com")
    assert signed_up.status_code == 303
    assert signed_up.headers["location"] == "/projects"


async def test_one_address_may_create_only_so_many_accounts_an_hour(
    service_with: Callable[..., AbstractAsyncContextManager[Service]],
) -> None:
    async with service_with(signups_per_hour=3) as service:
        statuses = [(await sign_up(service, f"ada{n}@example.com")).status_code for n in range(4)]
        assert statuses == [303, 303, 303, 429]
        refused = await sign_up(service, "late@example.com")
        assert "Too many sign-up attempts" in refused.text
        assert int(refused.headers["retry-after"]) > 0
        assert await users(service) == 3
        assert (await sign_up(service, "other@example.com", OTHER_ADDR)).status_code == 303


async def test_a_form_sent_back_for_a_typo_does_not_count(
    service_with: Callable[..., AbstractAsyncContextManager[Service]],
) -> None:
    async with service_with(signups_per_hour=2) as service:
        for _ in range(3):
            assert (await sign_up(service, "ada@example.com", password="short")).status_code == 400
        assert (await sign_up(service, "ada@example.com")).status_code == 303


async def test_closed_sign_up_offers_no_form_and_creates_no_account(
    service_with: Callable[..., AbstractAsyncContextManager[Service]],
) -> None:
    async with service_with(signup=SignupMode.CLOSED) as service:
        async with service.console_from() as console:
            page = await console.get("/signup")
            assert "Sign-up is closed here" in page.text
            assert "<form" not in page.text
            login_page = await console.get("/login")
            assert 'href="/signup"' not in login_page.text
            token = login_page.text.split('name="csrf_token" value="')[1].split('"')[0]
            refused = await console.post(
                "/signup",
                data={
                    "name": "Ada",
                    "email": "a@example.com",
                    "password": PASSWORD,
                    "csrf_token": token,
                },
            )
        assert refused.status_code == 403
        assert await users(service) == 0


async def test_invite_only_sign_up_admits_invited_addresses(
    service_with: Callable[..., AbstractAsyncContextManager[Service]], database_url: str
) -> None:
    async with service_with(signup=SignupMode.INVITE) as service:
        refused = await sign_up(service, "ada@example.com")
        assert refused.status_code == 403
        assert "by invitation" in refused.text
        invited = run_cli(
            ["admin", "invite", "--email", "Ada@Example.com"], {"UNIQUE_DATABASE_URL": database_url}
        )
        assert invited.returncode == 0, invited.stderr
        assert (await sign_up(service, "ada@example.com")).status_code == 303
        assert (await sign_up(service, "bob@example.com")).status_code == 403
        assert await users(service) == 1


async def test_an_invitation_cannot_be_sent_to_an_existing_account(
    service: Service, database_url: str
) -> None:
    account = await service.new_account()
    invited = run_cli(
        ["admin", "invite", "--email", account.email], {"UNIQUE_DATABASE_URL": database_url}
    )
    assert invited.returncode == 1
    assert "already has an account" in invited.stderr
    assert "Traceback" not in invited.stderr
