"""Rotation: a key is replaced by a new one with the same name, access and lifetime length; the
old one keeps working for a grace period of up to 7 days (none by default), then never again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.helpers import Account, Service, assert_error

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse(stamp: str) -> datetime:
    return datetime.strptime(stamp, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


async def rotate(service: Service, caller: Account, key_id: int, body: Any = None) -> Any:
    return await service.client.post(
        f"/api_keys/{key_id}/rotate", json=body, headers=caller.headers
    )


async def works(service: Service, key: str) -> bool:
    response = await service.client.get("/projects", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code in (200, 401), response.text
    return response.status_code == 200


async def test_without_a_grace_period_the_old_key_stops_at_once(
    service: Service, account: Account
) -> None:
    old = await service.another_key(account, "deploy", scopes=["projects:read"])
    response = await rotate(service, account, old.key_id)
    assert response.status_code == 200, response.text
    new = response.json()
    assert new["rotated_from"] == old.key_id
    assert (new["name"], new["scopes"], new["expires_at"]) == ("deploy", ["projects:read"], None)
    assert new["key"] != old.key and new["id"] != old.key_id
    assert response.headers["cache-control"] == "no-store"
    assert not await works(service, old.key)
    assert await works(service, new["key"])
    listed = (await service.client.get("/api_keys", headers=account.headers)).json()
    assert old.key_id not in [key["id"] for key in listed]


async def test_during_the_grace_period_both_keys_work_and_after_it_only_the_new(
    service: Service, account: Account
) -> None:
    old = await service.another_key(account, "deploy")
    response = await rotate(service, account, old.key_id, {"grace_period_seconds": 3600})
    assert response.status_code == 200, response.text
    new_key = response.json()["key"]
    assert await works(service, old.key) and await works(service, new_key)

    listed = (await service.client.get("/api_keys", headers=account.headers)).json()
    grace_end = parse(next(key for key in listed if key["id"] == old.key_id)["expires_at"])
    assert timedelta(minutes=59) < grace_end - datetime.now(UTC) <= timedelta(hours=1)

    service.runtime.verifier.clock = lambda: grace_end
    assert not await works(service, old.key)
    assert await works(service, new_key)


async def test_the_new_key_lives_as_long_as_the_old_one_was_meant_to(
    service: Service, account: Account
) -> None:
    thirty_days = (datetime.now(UTC) + timedelta(days=30)).strftime(TIMESTAMP_FORMAT)
    old = await service.another_key(account, "monthly", expires_at=thirty_days)
    new = (await rotate(service, account, old.key_id)).json()
    lifetime = parse(new["expires_at"]) - parse(new["created_at"])
    assert timedelta(days=30) - timedelta(seconds=2) <= lifetime <= timedelta(days=30)


async def test_a_key_limited_to_a_project_is_rotated_to_the_same_project(
    service: Service, account: Account
) -> None:
    created = await service.client.post("/projects", json={"project": {}}, headers=account.headers)
    project_id = created.json()["project"]["id"]
    old = await service.another_key(account, "limited", project_id=project_id)
    new = (await rotate(service, account, old.key_id)).json()
    assert new["project_id"] == project_id


async def test_a_key_may_rotate_itself(service: Service, account: Account) -> None:
    response = await rotate(service, account, account.key_id)
    assert response.status_code == 200, response.text
    assert not await works(service, account.key)
    assert await works(service, response.json()["key"])


async def test_a_key_is_rotated_once_and_a_revoked_one_never(
    service: Service, account: Account
) -> None:
    once = await service.another_key(account, "once")
    first = await rotate(service, account, once.key_id, {"grace_period_seconds": 60})
    assert first.status_code == 200, first.text
    again = await rotate(service, account, once.key_id)
    assert_error(again, 409, code="CONFLICT")
    assert await works(service, once.key), "the refused rotation cut no grace period short"

    revoked = await service.another_key(account, "revoked")
    await service.client.delete(f"/api_keys/{revoked.key_id}", headers=account.headers)
    assert_error(await rotate(service, account, revoked.key_id), 409, code="CONFLICT")


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"grace_period_seconds": -1}, id="negative"),
        pytest.param({"grace_period_seconds": 604_801}, id="over-7-days"),
        pytest.param({"grace_period_seconds": "1h"}, id="a-string"),
        pytest.param({"grace_period_seconds": 1.5}, id="a-fraction"),
        pytest.param({"grace_period_seconds": None}, id="null"),
        pytest.param({"grace": 60}, id="unknown-field"),
    ],
)
async def test_a_bad_grace_period_is_400_and_rotates_nothing(
    service: Service, account: Account, body: dict[str, Any]
) -> None:
    old = await service.another_key(account, "deploy")
    response = await rotate(service, account, old.key_id, body)
    assert_error(response, 400, field=next(iter(body)))
    listed = (await service.client.get("/api_keys", headers=account.headers)).json()
    assert sorted(key["name"] for key in listed) == ["bootstrap", "deploy"]
    assert await works(service, old.key)


async def test_a_key_of_another_account_or_none_at_all_is_404(
    service: Service, account: Account
) -> None:
    stranger = await service.new_account()
    for key_id in (stranger.key_id, 2**62):
        assert_error(await rotate(service, account, key_id), 404)
    assert await works(service, stranger.key)
