"""The addresses the service records (audit events, last use) are plain IPs that fit their
columns, whatever a client behind a trusted proxy writes in ``X-Forwarded-For``."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest
from sqlalchemy import select

from tests.helpers import PASSWORD, Service, running_service, submit_console_form
from unique.config import Settings
from unique.db.tables import ApiKey, AuditEvent

PROXY = "10.1.2.3"
OVERLONG_ZONE = "fe80::1%" + "x" * 100


@pytest.fixture
async def behind_proxy(settings: Settings) -> AsyncIterator[Service]:
    trusted = replace(settings, trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),))
    async with running_service(trusted) as service:
        yield service


async def recorded_addresses(service: Service, action: str) -> list[str]:
    async with service.runtime.sessions() as session:
        rows = await session.scalars(
            select(AuditEvent.source_addr).where(AuditEvent.action == action)
        )
        return list(rows)


@pytest.mark.parametrize(
    ("forwarded_for", "recorded"),
    [(OVERLONG_ZONE, PROXY), ("fe80::1%eth0", "fe80::1"), ("198.51.100.9", "198.51.100.9")],
)
async def test_a_write_records_a_plain_address(
    behind_proxy: Service, forwarded_for: str, recorded: str
) -> None:
    account = await behind_proxy.new_account()
    async with behind_proxy.client_from(PROXY) as via_proxy:
        created = await via_proxy.post(
            "/projects",
            json={"project": {"name": "p"}},
            headers={**account.headers, "X-Forwarded-For": forwarded_for},
        )
    assert created.status_code == 201, created.text
    assert await recorded_addresses(behind_proxy, "project.create") == [recorded]


async def test_a_console_sign_in_records_a_plain_address(behind_proxy: Service) -> None:
    account = await behind_proxy.new_account()
    async with behind_proxy.console_from(PROXY) as console:
        signed_in = await submit_console_form(
            console,
            "/login",
            {"email": account.email, "password": PASSWORD},
            headers={"X-Forwarded-For": OVERLONG_ZONE},
        )
    assert signed_in.status_code == 303, signed_in.text
    assert await recorded_addresses(behind_proxy, "login") == [PROXY]


async def test_last_use_records_a_plain_address(behind_proxy: Service) -> None:
    account = await behind_proxy.new_account()
    async with behind_proxy.client_from(PROXY) as via_proxy:
        listed = await via_proxy.get(
            "/projects", headers={**account.headers, "X-Forwarded-For": OVERLONG_ZONE}
        )
    assert listed.status_code == 200
    await behind_proxy.runtime.last_use.flush()
    async with behind_proxy.runtime.sessions() as session:
        stored = await session.get(ApiKey, account.key_id)
    assert stored is not None
    assert stored.last_used_from_addr == PROXY
