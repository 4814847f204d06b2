"""The Python SDK for the Unique API v2: ``Client`` and ``AsyncClient``, on httpx alone.

    from unique.client import Client
    with Client() as unique:                    # UNIQUE_API_KEY, UNIQUE_API_HOST
        created = unique.api_keys.create("ci")
        print(created.key)                      # the only time the secret is available
        for project in unique.projects.list(search="prod", limit=100):  # every page, lazily
            print(project.id, project.name)

A client has three resources, ``api_keys``, ``projects`` and ``users``, whose methods return
typed, frozen records (``ApiKey``, ``CreatedApiKey``, ``RevokedApiKey``, ``Project``, ``User``)
with aware UTC datetimes and the JSON they came from in ``raw``. ``projects.list`` returns a
listing that sends nothing until it is used: iterating it follows the cursors page after page,
``first_page()`` is one request. ``AsyncClient`` has the same surface, with ``await`` and
``async for``.

Errors are exceptions carrying ``status``, ``code``, ``message`` and ``request_id``:
``UniqueError`` and its subclasses ``BadRequestError`` (400), ``AuthenticationError`` (401),
``NotFoundError`` (404), ``RateLimitError`` (429), ``ServerError`` (5xx) and
``APIConnectionError`` (no answer). Reads and revocations (which are idempotent) are retried on
429, 503 and connection failures, honouring ``Retry-After``; creating, renaming and deleting are
never retried silently. The key never appears in a ``repr``, a log line or an exception message.

Where things are: ``_models`` the records, ``_errors`` the exceptions and how an answer becomes
one, ``_calls`` every API operation as a ``Call`` (method, path, body, parser, idempotence),
``_http`` what sync and async share (settings, the request, the retry policy and the result,
in an ``Exchange`` per Call), ``_listing`` the lazy pagination, ``_sync`` and ``_async`` the two
clients, which keep only the I/O. ``unique.client.cli`` is the ``uniquectl`` command (install
the ``cli`` extra for it).
"""

from unique.client._async import AsyncApiKeys, AsyncClient, AsyncProjects, AsyncUsers
from unique.client._calls import Call
from unique.client._errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    RateLimitError,
    ServerError,
    UniqueError,
)
from unique.client._http import (
    DEFAULT_API_HOST,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    MAX_RETRY_DELAY,
    RETRYABLE_STATUSES,
)
from unique.client._listing import AsyncProjectListing, ProjectListing
from unique.client._models import (
    ApiKey,
    CreatedApiKey,
    KeyCreator,
    Project,
    ProjectPage,
    RevokedApiKey,
    User,
)
from unique.client._sync import ApiKeys, Client, Projects, Users

__all__ = [
    "DEFAULT_API_HOST",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "MAX_RETRY_DELAY",
    "RETRYABLE_STATUSES",
    "APIConnectionError",
    "ApiKey",
    "ApiKeys",
    "AsyncApiKeys",
    "AsyncClient",
    "AsyncProjectListing",
    "AsyncProjects",
    "AsyncUsers",
    "AuthenticationError",
    "BadRequestError",
    "Call",
    "Client",
    "CreatedApiKey",
    "KeyCreator",
    "NotFoundError",
    "Project",
    "ProjectListing",
    "ProjectPage",
    "Projects",
    "RateLimitError",
    "RevokedApiKey",
    "ServerError",
    "UniqueError",
    "User",
    "Users",
]
