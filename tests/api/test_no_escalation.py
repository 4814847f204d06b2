"""No escalation: a key never creates or rotates a key with a scope it lacks, a wider project
reach or a later end than its own; asked nothing, the new key gets the creator's own limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import update

from tests.helpers import Account, Service, assert_error
from unique.db.tables import ApiKey, utcnow

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
KEY_MANAGER = ["api_keys:write", "projects:read"]


def from_now(offset: timedelta) -> str:
    return (datetime.now(UTC) + offset).strftime(TIMESTAMP_FORMAT)


async def key_names(service: Service, account: Account) -> list[str]:
    listed = (await service.client.get("/api_keys", headers=account.headers)).json()
    return sorted(key["name"] for key in listed)


@pytest.mark.parametrize(
    "asked",
    [
        pytest.param({"scopes": ["projects:write"]}, id="a-write-it-only-reads"),
        pytest.param({"scopes": ["account:read"]}, id="a-scope-it-lacks"),
        pytest.param({"scopes": ["api_keys:write", "projects:read", "audit_log:read"]}, id="more"),
    ],
)
async def test_a_key_cannot_grant_a_scope_it_lacks(
    service: Service, account: Account, asked: dict[str, Any]
) -> None:
    manager = await service.another_key(account, "manager", scopes=KEY_MANAGER)
    response = await service.post_key(manager, "wider", **asked)
    assert_error(response, 403, code="FORBIDDEN")
    assert "cannot grant the scope" in response.json()["message"]
    assert await key_names(service, account) == ["bootstrap", "manager"]


async def test_a_key_may_grant_part_of_its_scopes_and_by_default_grants_its_own(
    service: Service, account: Account
) -> None:
    manager = await service.another_key(account, "manager", scopes=KEY_MANAGER)
    narrower = await service.post_key(manager, "reader", scopes=["projects:read"])
    assert narrower.json()["scopes"] == ["projects:read"]
    same = await service.post_key(manager, "unspecified")
    assert same.status_code == 200, same.text
    assert same.json()["scopes"] == ["api_keys:read", "api_keys:write", "projects:read"]


async def test_a_key_that_expires_cannot_grant_a_key_that_outlives_it(
    service: Service, account: Account
) -> None:
    mortal = await service.another_key(account, "mortal", expires_at=from_now(timedelta(days=1)))
    later = await service.post_key(mortal, "later", expires_at=from_now(timedelta(days=2)))
    assert_error(later, 403, code="FORBIDDEN")
    assert await key_names(service, account) == ["bootstrap", "mortal"]

    sooner = await service.post_key(mortal, "sooner", expires_at=from_now(timedelta(hours=12)))
    assert sooner.status_code == 200, sooner.text
    unspecified = await service.post_key(mortal, "unspecified")
    mortal_end = next(
        key["expires_at"]
        for key in (await service.client.get("/api_keys", headers=account.headers)).json()
        if key["id"] == mortal.key_id
    )
    assert unspecified.json()["expires_at"] == mortal_end, "asked nothing: ends with its creator"


async def test_a_restricted_key_cannot_rotate_a_key_with_more_power(
    service: Service, account: Account
) -> None:
    manager = await service.another_key(account, "manager", scopes=KEY_MANAGER)
    full = await service.another_key(account, "full")
    response = await service.client.post(f"/api_keys/{full.key_id}/rotate", headers=manager.headers)
    assert_error(response, 403, code="FORBIDDEN")
    assert await key_names(service, account) == ["bootstrap", "full", "manager"]
    still = await service.client.get("/users/me", headers=full.headers)
    assert still.status_code == 200, "the refused rotation left the old key working"


async def test_a_restricted_key_may_rotate_a_key_with_no_more_power(
    service: Service, account: Account
) -> None:
    manager = await service.another_key(account, "manager", scopes=KEY_MANAGER)
    reader = await service.another_key(account, "reader", scopes=["projects:read"])
    response = await service.client.post(
        f"/api_keys/{reader.key_id}/rotate", headers=manager.headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["scopes"] == ["projects:read"]


async def test_a_key_that_expires_cannot_rotate_to_a_key_that_outlives_it(
    service: Service, account: Account
) -> None:
    """Rotation restarts the lifetime, so an expiring key cannot rotate itself either: that is
    for a person in the Console or a key without an end."""
    mortal = await service.another_key(account, "mortal", expires_at=from_now(timedelta(days=1)))
    # Made a day ago: rotated now, its two-day lifetime would end a day after its own end.
    async with service.runtime.sessions.begin() as session:
        await session.execute(
            update(ApiKey)
            .where(ApiKey.id == mortal.key_id)
            .values(created_at=utcnow() - timedelta(days=1))
        )
    immortal = await service.another_key(account, "immortal", scopes=KEY_MANAGER)
    for target in (immortal, mortal):
        response = await service.client.post(
            f"/api_keys/{target.key_id}/rotate", headers=mortal.headers
        )
        assert_error(response, 403, code="FORBIDDEN")
        assert "outlives" in response.json()["message"]
    assert await key_names(service, account) == ["bootstrap", "immortal", "mortal"]
