"""Create, list and revoke API keys, as in the product documentation and API.md."""

from __future__ import annotations

import re
import uuid

from tests.helpers import TEST_CLIENT_ADDR, Account, Service

TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


async def test_create_returns_the_key_once_with_the_documented_fields(
    service: Service, account: Account
) -> None:
    body = await service.create_key(account, "mynewkey")
    assert set(body) == {"id", "key", "name", "created_at", "created_by", "expires_at", "scopes"}
    assert isinstance(body["id"], int)
    assert re.fullmatch(r"unq_[0-9a-z]{60}", body["key"])
    assert body["name"] == "mynewkey"
    assert TIMESTAMP.match(body["created_at"])
    assert body["created_by"] == str(account.user_id)


async def test_a_created_key_works_as_a_bearer_token(service: Service, account: Account) -> None:
    new_key = (await service.create_key(account, "ci"))["key"]
    response = await service.client.get("/projects", headers={"Authorization": f"Bearer {new_key}"})
    assert response.status_code == 200


async def test_key_name_is_trimmed_and_unicode_is_kept(service: Service, account: Account) -> None:
    name = "  ключ 🔑 " + "x" * 57 + "  "
    created = await service.create_key(account, name)
    assert created["name"] == name.strip()
    assert len(created["name"]) == 64


async def test_list_shows_active_keys_newest_first_with_the_documented_fields(
    service: Service, account: Account
) -> None:
    for name in ("first", "second"):
        await service.create_key(account, name)
    response = await service.client.get("/api_keys", headers=account.headers)
    assert response.status_code == 200
    keys = response.json()
    assert isinstance(keys, list)
    assert [key["name"] for key in keys] == ["second", "first", "bootstrap"]
    for key in keys:
        assert set(key) == {
            "id",
            "name",
            "created_at",
            "created_by",
            "last_used_at",
            "last_used_from_addr",
            "expires_at",
            "scopes",
        }
        assert key["created_by"] == {"id": str(account.user_id), "name": "Sam Smith", "image": ""}
        assert TIMESTAMP.match(key["created_at"])
        assert "key" not in key and "hint" not in key
    never_used = keys[0]
    assert never_used["last_used_at"] is None
    assert never_used["last_used_from_addr"] == ""


async def test_revoke_answers_with_the_record_and_the_key_stops_working(
    service: Service, account: Account
) -> None:
    created = await service.create_key(account, "mykey")
    victim = {"Authorization": f"Bearer {created['key']}"}
    assert (await service.client.get("/projects", headers=victim)).status_code == 200

    response = await service.client.delete(f"/api_keys/{created['id']}", headers=account.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == created["id"]
    assert body["name"] == "mykey"
    assert body["revoked"] is True
    assert body["created_by"] == str(account.user_id)
    assert TIMESTAMP.match(body["last_used_at"])
    assert body["last_used_from_addr"] == TEST_CLIENT_ADDR

    assert (await service.client.get("/projects", headers=victim)).status_code == 401
    listed = (await service.client.get("/api_keys", headers=account.headers)).json()
    assert created["id"] not in [key["id"] for key in listed]


async def test_revoking_twice_answers_the_same_record(service: Service, account: Account) -> None:
    created = await service.create_key(account, "k")
    first = await service.client.delete(f"/api_keys/{created['id']}", headers=account.headers)
    second = await service.client.delete(f"/api_keys/{created['id']}", headers=account.headers)
    assert second.status_code == 200
    assert second.json() == first.json()


async def test_a_key_may_revoke_itself_and_the_answer_shows_that_use(
    service: Service, account: Account
) -> None:
    response = await service.client.delete(f"/api_keys/{account.key_id}", headers=account.headers)
    assert response.status_code == 200
    assert response.json()["revoked"] is True
    assert response.json()["last_used_at"] is not None
    assert response.json()["last_used_from_addr"] == TEST_CLIENT_ADDR
    again = await service.client.get("/api_keys", headers=account.headers)
    assert again.status_code == 401


async def test_revoking_an_unknown_id_is_404(service: Service, account: Account) -> None:
    response = await service.client.delete("/api_keys/987654321", headers=account.headers)
    assert response.status_code == 404
    assert response.json()["code"] == "NOT_FOUND"


async def test_key_ids_are_unique_across_accounts(service: Service) -> None:
    first, second = await service.new_account(), await service.new_account()
    ids = set()
    for owner in (first, second, first, second):
        ids.add((await service.create_key(owner, "k"))["id"])
    assert len(ids) == 4
    assert uuid.UUID(str(first.user_id)) != second.user_id
