"""The Python SDK for the Unique API v2: ``Client`` and ``AsyncClient``, on httpx alone.

    from unique.client import Client
    with Client() as unique:                    # UNIQUE_API_KEY, UNIQUE_API_HOST
        created = unique.api_keys.create("ci")
        print(created.key)                      # the only time the secret is available
        for project in unique.projects.list(search="prod", limit=100):  # every page, lazily
            print(project.id, project.name)

A client has four resources, ``api_keys``, ``projects``, ``organizations`` and ``users``, whose
methods return typed, frozen records (``ApiKey``, ``CreatedApiKey``, ``RotatedApiKey``,
``RevokedApiKey``, ``Project``, ``Organization``, ``Member``, ``OrganizationMember``, ``User``,
``AuthDetails``) with aware UTC datetimes and the JSON they came from in ``raw``.
``projects.list`` returns a listing that sends nothing until it is used: iterating it follows
the cursors page after page, ``first_page()`` is one request. ``AsyncClient`` has the same
surface, with ``await`` and ``async for``.

Keys can be limited and replaced::

    ci = unique.api_keys.create(
        "ci", expires_in=timedelta(days=30), read_only=True, project_id="misty-lake-12345678"
    )                                           # or expires_at=, scopes=["projects:write"]
    new = unique.api_keys.rotate(ci.id, grace_period=timedelta(hours=24))
    print(new.key, new.rotated_from)            # the old key works 24 h more

Every key record carries ``expires_at`` (None: never), ``scopes`` (effective, sorted; ``SCOPES``
are all of them, ``READ_ONLY_SCOPES`` the ``:read`` ones) and ``project_id`` (None: every
project), with ``full_access``, ``read_only`` and ``expired()`` to ask about them.

Organizations are shared accounts; their creator is their first admin::

    org = unique.organizations.create("Acme")    # list(), get(id), rename(id, name), delete(id)
    for listed in unique.organizations.members(org.id):
        print(listed.email, listed.member.role)  # change_role(org.id, member_id, "admin"),
                                                 # get_member(...), remove_member(...)
    unique.users.auth()                          # AuthDetails: who the key acts for

To anyone who is not a member an organization is a ``NotFoundError``; a member who is not an
admin gets ``PermissionDeniedError`` for what only admins do.

Errors are exceptions carrying ``status``, ``code``, ``message`` and ``request_id``:
``UniqueError`` and its subclasses ``BadRequestError`` (400), ``AuthenticationError`` (401),
``PermissionDeniedError`` (403: the key lacks a scope, named in ``required_scope``, or would
grant more than it holds), ``NotFoundError`` (404), ``ConflictError`` (409: a key already
rotated, or revoked; an organization that still owns projects, or would lose its last admin),
``RateLimitError`` (429), ``ServerError`` (5xx) and ``APIConnectionError`` (no answer). Reads
and revocations (which are idempotent) are retried on 429, 503 and connection failures,
honouring ``Retry-After``; creating, rotating, renaming, deleting, changing a member's role and
removing a member (a second removal is a 404) are never retried silently. The key never appears
in a ``repr``, a log line or an exception message.

Where things are: ``_models`` the records, ``_errors`` the exceptions and how an answer becomes
one, ``_calls`` every API operation as a ``Call`` (method, path, body, parser, idempotence),
``_http`` what sync and async share (settings, the request, the retry policy and the result,
in an ``Exchange`` per Call), ``_listing`` the lazy pagination, ``_sync`` and ``_async`` the two
clients, which keep only the I/O. ``unique.client.cli`` is the ``uniquectl`` command (install
the ``cli`` extra for it).
"""

from unique.client._async import (
    AsyncApiKeys,
    AsyncClient,
    AsyncOrganizations,
    AsyncProjects,
    AsyncUsers,
)
from unique.client._calls import Call
from unique.client._errors import (
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
from unique.client._http import (
    DEFAULT_API_HOST,
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    MAX_RETRY_DELAY,
    RETRYABLE_STATUSES,
)
from unique.client._listing import AsyncProjectListing, ProjectListing
from unique.client._models import (
    READ_ONLY_SCOPES,
    SCOPES,
    ApiKey,
    AuthDetails,
    CreatedApiKey,
    KeyCreator,
    Member,
    Organization,
    OrganizationMember,
    Project,
    ProjectPage,
    RevokedApiKey,
    RotatedApiKey,
    User,
)
from unique.client._sync import ApiKeys, Client, Organizations, Projects, Users

__all__ = [
    "DEFAULT_API_HOST",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "MAX_RETRY_DELAY",
    "READ_ONLY_SCOPES",
    "RETRYABLE_STATUSES",
    "SCOPES",
    "APIConnectionError",
    "ApiKey",
    "ApiKeys",
    "AsyncApiKeys",
    "AsyncClient",
    "AsyncOrganizations",
    "AsyncProjectListing",
    "AsyncProjects",
    "AsyncUsers",
    "AuthDetails",
    "AuthenticationError",
    "BadRequestError",
    "Call",
    "Client",
    "ConflictError",
    "CreatedApiKey",
    "KeyCreator",
    "Member",
    "NotFoundError",
    "Organization",
    "OrganizationMember",
    "Organizations",
    "PermissionDeniedError",
    "Project",
    "ProjectListing",
    "ProjectPage",
    "Projects",
    "RateLimitError",
    "RevokedApiKey",
    "RotatedApiKey",
    "ServerError",
    "UniqueError",
    "User",
    "Users",
]
