"""How an answer that is not a success becomes an exception: its type by status, and the
``code``, ``message`` and ``request_id`` it carries, from the body or the ``X-Request-Id``
header; no answer at all is an ``APIConnectionError``. No exception ever shows the key."""

from __future__ import annotations

import pytest
import unique.client
from sdk_support import (
    FAKE_KEY,
    MEMBER_ID,
    ORG_ID,
    UNREACHABLE,
    FakeApi,
    Operation,
    Reply,
    Sdk,
    reveals,
)
from unique.client import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    UniqueError,
)

ERROR_BODY = {"code": "X", "message": "It went wrong.", "request_id": "req-123"}


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UniqueError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
    ],
)
def test_each_status_raises_its_exception_with_the_body_details(
    sdk: Sdk, fake_api: FakeApi, status: int, error_type: type[UniqueError]
) -> None:
    fake_api.script = [Reply(status, ERROR_BODY)]

    with pytest.raises(UniqueError) as caught:
        sdk(lambda client: client.projects.create(name="x"))

    error = caught.value
    assert type(error) is error_type
    assert (error.status, error.code, error.message, error.request_id) == (
        status,
        "X",
        "It went wrong.",
        "req-123",
    )
    assert str(error) == f"{status} X It went wrong. (request id req-123)"
    assert not reveals(error, FAKE_KEY)


def test_a_403_names_the_scope_the_key_lacks_from_the_challenge(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    challenge = 'Bearer realm="unique", error="insufficient_scope", scope="projects:write"'
    body = {
        "code": "FORBIDDEN",
        "message": "This API key lacks the scope projects:write.",
        "request_id": "req-403",
    }
    fake_api.script = [Reply(403, body, {"WWW-Authenticate": challenge}), Reply(403, body)]

    with pytest.raises(PermissionDeniedError) as lacking:
        sdk(lambda client: client.projects.create(name="x"))
    with pytest.raises(PermissionDeniedError) as unnamed:
        sdk(lambda client: client.projects.create(name="x"))

    assert lacking.value.required_scope == "projects:write"
    assert str(lacking.value) == (
        "403 FORBIDDEN This API key lacks the scope projects:write. (request id req-403)"
    )
    assert unnamed.value.required_scope is None
    assert len(fake_api.requests) == 2, "a 403 is never retried"


def test_the_request_id_comes_from_the_header_when_the_body_has_none(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [
        Reply(401, {"code": "UNAUTHORIZED", "message": "No."}, {"X-Request-Id": "hdr-7"})
    ]

    with pytest.raises(AuthenticationError) as caught:
        sdk(lambda client: client.users.me())

    assert caught.value.request_id == "hdr-7"
    assert str(caught.value).endswith("(request id hdr-7)")


def test_an_answer_without_an_error_body_still_gives_status_and_reason(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [Reply(404, b"<html>Not here</html>", {"X-Request-Id": "proxy-1"})]

    with pytest.raises(NotFoundError) as caught:
        sdk(lambda client: client.users.me())

    error = caught.value
    assert (error.status, error.code, error.message, error.request_id) == (
        404,
        "",
        "Not Found",
        "proxy-1",
    )
    assert str(error) == "404 Not Found (request id proxy-1)"


def test_a_json_body_that_is_not_an_object_is_ignored(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [Reply(400, ["not", "an", "object"])]

    with pytest.raises(BadRequestError) as caught:
        sdk(lambda client: client.users.me())

    assert (caught.value.code, caught.value.message, caught.value.request_id) == (
        "",
        "Bad Request",
        "",
    )


def test_a_rate_limit_error_carries_retry_after(sdk: Sdk, fake_api: FakeApi) -> None:
    fake_api.script = [Reply(429, ERROR_BODY, {"Retry-After": "7"})]

    with pytest.raises(RateLimitError) as caught:
        sdk(lambda client: client.users.me(), max_retries=0)

    assert caught.value.retry_after == 7.0


def test_no_answer_raises_api_connection_error_naming_the_host_not_the_key(
    sdk: Sdk, fake_api: FakeApi
) -> None:
    fake_api.script = [UNREACHABLE]

    with pytest.raises(APIConnectionError) as caught:
        sdk(lambda client: client.api_keys.create("ci"))

    error = caught.value
    assert error.status is None
    assert str(error) == (
        "could not reach the Unique API at https://unique.test/api/v2 (ConnectError)"
    )
    assert error.__cause__ is None
    assert not reveals(error, FAKE_KEY)


def test_every_exception_the_package_exports_is_a_unique_error() -> None:
    exported = [getattr(unique.client, name) for name in unique.client.__all__]
    exceptions = [
        item for item in exported if isinstance(item, type) and issubclass(item, Exception)
    ]

    assert APIConnectionError in exceptions
    assert all(issubclass(exception, UniqueError) for exception in exceptions)


@pytest.mark.parametrize(
    ("operation", "status", "error_type"),
    [
        (lambda client: client.organizations.get(ORG_ID), 404, NotFoundError),
        (lambda client: client.organizations.members(ORG_ID), 404, NotFoundError),
        (lambda client: client.organizations.rename(ORG_ID, "Mine"), 403, PermissionDeniedError),
        (lambda client: client.organizations.delete(ORG_ID), 409, ConflictError),
        (
            lambda client: client.organizations.change_role(ORG_ID, MEMBER_ID, "member"),
            409,
            ConflictError,
        ),
        (lambda client: client.organizations.remove_member(ORG_ID, MEMBER_ID), 404, NotFoundError),
        (lambda client: client.organizations.create(""), 400, BadRequestError),
    ],
    ids=[
        "not a member",
        "members of another's",
        "not an admin",
        "still owns projects",
        "the last admin",
        "removed already",
        "no name",
    ],
)
def test_organization_failures_raise_their_exception(
    sdk: Sdk,
    fake_api: FakeApi,
    operation: Operation,
    status: int,
    error_type: type[UniqueError],
) -> None:
    body = {"code": "X", "message": "Refused.", "request_id": "req-org"}
    fake_api.script = [Reply(status, body)]

    with pytest.raises(error_type) as caught:
        sdk(operation)

    assert (caught.value.status, caught.value.message, caught.value.request_id) == (
        status,
        "Refused.",
        "req-org",
    )
    assert len(fake_api.requests) == 1
