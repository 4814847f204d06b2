"""``GET /users/me``, as specified in API.md ("Current user").

The answer describes the owner of the key that made the request, with exactly the documented
fields: ``login`` is the email, ``last_name`` and ``image`` are empty, ``plan`` is "self-hosted";
and the fields of Neon's CurrentUserInfoResponse the service has no use for (no computes, no
branches, no identity providers) say so: limits 0 (none configured) and no linked accounts.
"""

from __future__ import annotations

from typing import Any

from tests.helpers import Account, Service

USER_FIELDS = {
    "id",
    "email",
    "login",
    "name",
    "last_name",
    "image",
    "projects_limit",
    "plan",
    "active_seconds_limit",
    "branches_limit",
    "max_autoscaling_limit",
    "auth_accounts",
}


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


async def get_me(service: Service, account: Account) -> dict[str, Any]:
    response = await service.client.get("/users/me", headers=account.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def assert_describes(user: dict[str, Any], account: Account) -> None:
    assert set(user) == USER_FIELDS
    assert user["id"] == str(account.user_id)
    assert user["email"] == account.email
    assert user["login"] == account.email
    assert user["name"] == account.name
    assert user["last_name"] == ""
    assert user["image"] == ""
    assert isinstance(user["projects_limit"], int)
    assert not isinstance(user["projects_limit"], bool)
    assert user["plan"] == "self-hosted"
    assert (user["active_seconds_limit"], user["branches_limit"]) == (0, 0)
    assert all(is_int(user[field]) for field in ("active_seconds_limit", "branches_limit"))
    assert user["max_autoscaling_limit"] == 0
    assert user["auth_accounts"] == []


async def test_me_describes_the_keys_owner_with_exactly_the_documented_fields(
    service: Service, account: Account
) -> None:
    assert_describes(await get_me(service, account), account)


async def test_another_accounts_key_sees_its_own_user(service: Service, account: Account) -> None:
    other = await service.new_account(email="kim.lee@example.com", name="Kim Lee")

    mine = await get_me(service, account)
    theirs = await get_me(service, other)

    assert_describes(mine, account)
    assert_describes(theirs, other)
    assert theirs["id"] != mine["id"]
    assert theirs["email"] == "kim.lee@example.com"
    assert theirs["name"] == "Kim Lee"


async def test_a_second_key_of_the_same_account_sees_the_same_user(
    service: Service, account: Account
) -> None:
    second = await service.another_key(account, "second")
    assert await get_me(service, second) == await get_me(service, account)


async def test_me_without_a_key_is_401(service: Service) -> None:
    response = await service.client.get("/users/me")
    assert response.status_code == 401
    assert response.json()["code"] == "UNAUTHORIZED"
