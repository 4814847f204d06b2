"""Password guessing at sign-in is braked per account and address, and per address, without
letting a stranger's guesses lock the owner out of their own address."""

from __future__ import annotations

import httpx

from tests.helpers import PASSWORD, Account, Service, submit_console_form
from unique.runtime import LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS, LOGIN_FAILURES_PER_ADDRESS

OWNER_ADDR = "203.0.113.7"
STRANGER_ADDR = "198.51.100.66"


async def sign_in(service: Service, address: str, email: str, password: str) -> httpx.Response:
    async with service.console_from(address) as console:
        return await submit_console_form(console, "/login", {"email": email, "password": password})


async def guess(service: Service, address: str, email: str, times: int) -> list[int]:
    return [
        (await sign_in(service, address, email, "wrong password")).status_code for _ in range(times)
    ]


async def test_guesses_from_one_address_wait_after_five(service: Service, account: Account) -> None:
    statuses = await guess(service, STRANGER_ADDR, account.email, 6)
    assert statuses == [400] * LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS + [429]
    refused = await sign_in(service, STRANGER_ADDR, account.email, PASSWORD)
    assert refused.status_code == 429, "even the right password waits, from that address"
    assert "Too many failed sign-in attempts" in refused.text
    assert int(refused.headers["retry-after"]) > 0


async def test_a_strangers_guesses_do_not_lock_the_owner_out(
    service: Service, account: Account
) -> None:
    await guess(service, STRANGER_ADDR, account.email, 10)
    signed_in = await sign_in(service, OWNER_ADDR, account.email, PASSWORD)
    assert signed_in.status_code == 303
    assert signed_in.headers["location"] == "/projects"


async def test_one_address_guessing_many_accounts_waits_after_twenty(service: Service) -> None:
    victims = [await service.new_account() for _ in range(5)]
    statuses = []
    for victim in victims:
        statuses += await guess(service, STRANGER_ADDR, victim.email, 4)
    assert statuses == [400] * LOGIN_FAILURES_PER_ADDRESS
    another = await service.new_account()
    assert (await sign_in(service, STRANGER_ADDR, another.email, PASSWORD)).status_code == 429
    assert (await sign_in(service, OWNER_ADDR, another.email, PASSWORD)).status_code == 303


async def test_signing_in_forgets_the_earlier_failures(service: Service, account: Account) -> None:
    assert await guess(service, OWNER_ADDR, account.email, 4) == [400] * 4
    assert (await sign_in(service, OWNER_ADDR, account.email, PASSWORD)).status_code == 303
    assert await guess(service, OWNER_ADDR, account.email, 4) == [400] * 4
