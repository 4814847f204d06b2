"""Request and response bodies of the API, field for field as in the contract."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, Self

import orjson
from fastapi import Response
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
)

from unique.api_keys import KEY_NAME_MAX_LENGTH, NewKey, clean_key_name
from unique.auth.access import Access, Scope, UnknownScope, sorted_names, with_implied
from unique.errors import InvalidInput
from unique.names import BIDI_CONTROLS, FORMAT_CHARACTERS
from unique.organizations import ORG_ID_PATTERN
from unique.projects import PG_VERSIONS, PROJECT_NAME_MAX_LENGTH, clean_project_name
from unique.web.formats import rfc3339

# Timestamps as rfc3339 writes them (whole seconds, "Z"); UUIDs in their usual form.
_JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC | orjson.OPT_OMIT_MICROSECONDS


def json_response(content: object) -> Response:
    """A JSON answer written without a model, for the largest and the busiest responses, where
    building and re-validating Pydantic models (and the standard library's encoder) would cost
    more than the work itself. The shape is still the declared model's: the OpenAPI contract
    tests check it."""
    return Response(orjson.dumps(content, option=_JSON_OPTIONS), media_type="application/json")


Timestamp = Annotated[
    datetime,
    PlainSerializer(rfc3339, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2022-12-23T20:52:29Z"}),
]


def as_value_error(clean: Any) -> Any:
    """Run a domain rule inside Pydantic validation, reporting its message as the field's error."""

    def validate(value: object) -> object:
        try:
            return clean(value)
        except InvalidInput as error:
            raise ValueError(error.message) from None

    return validate


def _whole_number(value: object) -> object:
    """JSON Schema counts 18.0 as an integer; strings and booleans stay errors."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


PgVersion = Annotated[
    int,
    BeforeValidator(_whole_number),
    Field(ge=PG_VERSIONS[0], le=PG_VERSIONS[-1]),
    WithJsonSchema({"type": "integer", "minimum": PG_VERSIONS[0], "maximum": PG_VERSIONS[-1]}),
]

# What the name rules in unique.names accept: no control characters, no bidirectional controls,
# and something besides spaces and format characters.
_CONTROLS = r"\u0000-\u001f\u007f-\u009f"
_BIDI_CONTROLS = "".join(sorted(BIDI_CONTROLS))
NAME_PATTERN = (
    f"^[^{_CONTROLS}{_BIDI_CONTROLS}]*"
    f"[^\\s{_CONTROLS}{FORMAT_CHARACTERS}]"
    f"[^{_CONTROLS}{_BIDI_CONTROLS}]*$"
)

# What free text such as a search accepts: anything but control characters.
NO_CONTROLS_PATTERN = f"^[^{_CONTROLS}]*$"


def _name_schema(max_length: int) -> WithJsonSchema:
    return WithJsonSchema(
        {"type": "string", "minLength": 1, "maxLength": max_length, "pattern": NAME_PATTERN}
    )


KeyName = Annotated[
    str,
    BeforeValidator(as_value_error(clean_key_name)),
    _name_schema(KEY_NAME_MAX_LENGTH),
]
ProjectName = Annotated[
    str,
    BeforeValidator(as_value_error(clean_project_name)),
    _name_schema(PROJECT_NAME_MAX_LENGTH),
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorBody(BaseModel):
    code: str = Field(examples=["UNAUTHORIZED"])
    message: str
    request_id: str


_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?P<fraction>\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})",
    re.ASCII,
)


def _rfc3339_instant(value: object) -> datetime:
    """An RFC 3339 timestamp with its offset, in UTC and whole seconds: a key expires at the
    second its listing shows."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 timestamp such as 2027-01-31T12:00:00Z")
    fraction = _RFC3339.fullmatch(value).group("fraction")  # type: ignore[union-attr]
    text = value.replace(fraction, "", 1) if fraction else value
    try:
        instant = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("must be a real date and time, e.g. 2027-01-31T12:00:00Z") from None
    return instant.astimezone(UTC)


Instant = Annotated[
    datetime,
    BeforeValidator(_rfc3339_instant),
    WithJsonSchema({"type": "string", "format": "date-time", "example": "2027-01-31T12:00:00Z"}),
]


def _scopes(value: object) -> frozenset[Scope]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError("must be an array of scope names")
    if not value:
        raise ValueError("must name at least one scope")
    try:
        return with_implied(value)
    except UnknownScope as error:
        raise ValueError(str(error)) from None


Scopes = Annotated[
    frozenset[Scope],
    BeforeValidator(_scopes),
    WithJsonSchema(
        {
            "type": "array",
            "minItems": 1,
            "items": {"type": "string", "enum": [scope.value for scope in Scope]},
            "description": "What the key may do; `X:write` implies `X:read`. Absent: everything.",
        }
    ),
]
ProjectIdField = Annotated[str, Field(pattern=r"^[a-z0-9-]{1,60}$")]
# The bounds before the validator: after it, the OpenAPI document would show them as Pydantic's
# raw ``ge``/``le`` rather than JSON Schema's ``minimum``/``maximum``.
GracePeriod = Annotated[
    int, Field(ge=0, le=604_800, description="Seconds."), BeforeValidator(_whole_number)
]


def _omitted_when_none(value: object) -> bool:
    return value is None


class ApiKeyCreateRequest(Request):
    key_name: KeyName
    expires_at: Instant | None = None
    scopes: Scopes | None = None
    project_id: ProjectIdField | None = None


class ApiKeyRotateRequest(Request):
    grace_period_seconds: GracePeriod = 0


class KeyAccessFields(BaseModel):
    """What every key object says about what the key may do."""

    expires_at: Timestamp | None = Field(description="When the key stops working; null: never.")
    scopes: list[str] = Field(description="The key's effective scopes, sorted.")
    project_id: str | None = Field(
        default=None,
        exclude_if=_omitted_when_none,
        description="The one project the key reaches; absent for a key that reaches them all.",
    )


def access_fields(access: Access) -> dict[str, Any]:
    """KeyAccessFields' values for a key's access."""
    fields: dict[str, Any] = {
        "expires_at": access.expires_at,
        "scopes": sorted_names(access.scopes),
    }
    if access.project_id is not None:
        fields["project_id"] = access.project_id
    return fields


class ApiKeyCreated(KeyAccessFields):
    id: int
    key: str = Field(description="The secret. Shown only in this response; store it safely.")
    name: str
    created_at: Timestamp
    created_by: uuid.UUID

    @classmethod
    def of(cls, new_key: NewKey, **extra: Any) -> Self:
        """The create response for a new key (the API's, and ``unique admin``'s JSON)."""
        return cls(
            id=new_key.id,
            key=new_key.secret,
            name=new_key.name,
            created_at=new_key.created_at,
            created_by=new_key.created_by,
            **access_fields(new_key.access),
            **extra,
        )


class ApiKeyRotated(ApiKeyCreated):
    rotated_from: int = Field(description="The id of the key this one replaces.")


class KeyCreator(BaseModel):
    id: uuid.UUID
    name: str
    image: str


class ApiKeyListItem(KeyAccessFields):
    id: int
    name: str
    created_at: Timestamp
    created_by: KeyCreator
    last_used_at: Timestamp | None
    last_used_from_addr: str


class ApiKeyRevoked(KeyAccessFields):
    id: int
    name: str
    created_at: Timestamp
    created_by: uuid.UUID
    last_used_at: Timestamp | None
    last_used_from_addr: str
    revoked: bool


class ProjectListItem(BaseModel):
    id: str
    name: str
    platform_id: str
    region_id: str
    provisioner: str
    pg_version: int
    proxy_host: str
    locked: bool
    cpu_used_sec: int
    active_time: int
    branch_logical_size_limit: int
    branch_logical_size_limit_bytes: int
    store_passwords: bool
    creation_source: str
    history_retention_seconds: int
    owner_id: uuid.UUID
    org_id: str | None = Field(
        default=None,
        exclude_if=_omitted_when_none,
        description="The organization that owns the project; absent for a personal one.",
    )
    created_at: Timestamp
    updated_at: Timestamp


class ProjectDetail(ProjectListItem):
    data_storage_bytes_hour: int
    data_transfer_bytes: int
    written_data_bytes: int
    compute_time_seconds: int
    active_time_seconds: int
    consumption_period_start: Timestamp
    consumption_period_end: Timestamp
    settings: dict[str, Any] | None = Field(
        default=None,
        exclude_if=_omitted_when_none,
        description="The settings given at creation or by updates, as given; absent if none.",
    )


class Pagination(BaseModel):
    cursor: str


class ProjectsPage(BaseModel):
    projects: list[ProjectListItem]
    pagination: Pagination | None = Field(
        default=None, description="Present whenever projects is non-empty."
    )
    applications: dict[str, list[str]] = Field(
        description="Neon's applications installed per project id: always empty here."
    )
    integrations: dict[str, list[str]] = Field(
        description="Neon's integrations installed per project id: always empty here."
    )


class ProjectResponse(BaseModel):
    project: ProjectDetail


class ProjectUpdated(BaseModel):
    project: ProjectDetail
    operations: list[dict[str, Any]]


class ProjectCreated(ProjectResponse):
    """Neon's create response, whose databases, roles and computes this service does not run."""

    connection_uris: list[dict[str, Any]] = Field(description="Always empty here.")
    roles: list[dict[str, Any]] = Field(description="Always empty here.")
    databases: list[dict[str, Any]] = Field(description="Always empty here.")
    operations: list[dict[str, Any]] = Field(description="Always empty here.")
    endpoints: list[dict[str, Any]] = Field(description="Always empty here.")


# Neon's request shapes (ProjectCreateRequest, ProjectUpdateRequest of its OpenAPI document), field
# for field and type for type. Inside `settings`, which is stored and returned as given, a field may
# be left out but not sent as null: Neon's shape has no null there, so a client could not read it
# back.
# (The bounds go before the validator: after it, they would not reach the JSON schema.)
Int64NonNegative = Annotated[int, Field(ge=0, le=2**63 - 1), BeforeValidator(_whole_number)]
ComputeUnit = Annotated[
    float, Field(ge=0.25, allow_inf_nan=False), WithJsonSchema({"type": "number", "minimum": 0.25})
]
HistoryRetention = Annotated[
    int,
    Field(ge=0, le=2_592_000, description="Seconds (at most 30 days)."),
    BeforeValidator(_whole_number),
]
Provisioner = Literal["k8s-pod", "k8s-neonvm", "serverless-platform"]


def _without_null(schema: dict[str, Any]) -> None:
    """Each property's schema without the null that ``X | None`` adds to it."""
    for name, prop in schema.get("properties", {}).items():
        options = [option for option in prop.get("anyOf", ()) if option != {"type": "null"}]
        if "anyOf" in prop and len(options) == 1:
            del prop["anyOf"]
            schema["properties"][name] = {**options[0], **prop}


class NeverNull(Request):
    """An object whose fields may be left out but never sent as null (nor say so)."""

    model_config = ConfigDict(json_schema_extra=_without_null)

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        # Defaults are not validated: only a null the client sent gets here.
        if value is None:
            raise ValueError("must not be null; leave the field out instead")
        return value


class ProjectQuota(NeverNull):
    active_time_seconds: Int64NonNegative | None = None
    compute_time_seconds: Int64NonNegative | None = None
    written_data_bytes: Int64NonNegative | None = None
    data_transfer_bytes: Int64NonNegative | None = None
    logical_size_bytes: Int64NonNegative | None = None


class AllowedIps(NeverNull):
    ips: list[str] | None = None
    protected_branches_only: bool | None = None


class MaintenanceWindow(NeverNull):
    weekdays: list[Annotated[int, BeforeValidator(_whole_number)]]
    start_time: str
    end_time: str


class PreloadLibraries(NeverNull):
    use_defaults: bool | None = None
    enabled_libraries: list[str] | None = None


class ProjectSettings(NeverNull):
    """Neon's ProjectSettingsData: kept and returned as given; nothing here acts on it."""

    quota: ProjectQuota | None = None
    allowed_ips: AllowedIps | None = None
    enable_logical_replication: bool | None = None
    maintenance_window: MaintenanceWindow | None = None
    block_public_connections: bool | None = None
    block_vpc_connections: bool | None = None
    audit_log_level: Literal["base", "extended", "full"] | None = None
    hipaa: bool | None = None
    preload_libraries: PreloadLibraries | None = None

    def as_given(self) -> dict[str, Any]:
        """The settings the client sent, without the ones it left out."""
        return self.model_dump(mode="json", exclude_unset=True)


class DefaultEndpointSettings(Request):
    """Neon's compute settings: accepted, checked and ignored (this service runs no computes)."""

    pg_settings: dict[str, str] | None = None
    pgbouncer_settings: dict[str, str] | None = None
    autoscaling_limit_min_cu: ComputeUnit | None = None
    autoscaling_limit_max_cu: ComputeUnit | None = None
    suspend_timeout_seconds: (
        Annotated[int, Field(ge=-1, le=604_800), BeforeValidator(_whole_number)] | None
    ) = None


class BranchCreateFields(Request):
    """Neon's default branch: accepted, checked and ignored (this service runs no databases)."""

    name: Annotated[str, Field(min_length=1, max_length=256)] | None = None
    role_name: str | None = None
    database_name: str | None = None
    annotations: Annotated[dict[str, str], Field(max_length=50)] | None = None


class ProjectCreateFields(Request):
    name: ProjectName | None = None
    region_id: str | None = None
    pg_version: PgVersion | None = None
    settings: ProjectSettings | None = None
    provisioner: Provisioner | None = None
    store_passwords: bool | None = None
    history_retention_seconds: HistoryRetention | None = None
    org_id: Annotated[str, Field(pattern=ORG_ID_PATTERN)] | None = Field(
        default=None, description="The organization to own the project; you must be a member."
    )
    # Compute-only: checked, then ignored.
    branch: BranchCreateFields | None = None
    default_endpoint_settings: DefaultEndpointSettings | None = None
    autoscaling_limit_min_cu: ComputeUnit | None = Field(default=None, deprecated=True)
    autoscaling_limit_max_cu: ComputeUnit | None = Field(default=None, deprecated=True)


class ProjectCreateRequest(Request):
    project: ProjectCreateFields


class ProjectUpdateFields(Request):
    name: ProjectName | None = None
    settings: ProjectSettings | None = None
    history_retention_seconds: HistoryRetention | None = None
    # Compute-only: checked, then ignored.
    default_endpoint_settings: DefaultEndpointSettings | None = None


class ProjectUpdateRequest(Request):
    project: ProjectUpdateFields


class AuthAccount(BaseModel):
    provider: Literal[
        "github", "google", "hasura", "microsoft", "microsoftv2", "vercelmp", "keycloak"
    ]
    email: str
    name: str
    login: str
    image: str


class CurrentUser(BaseModel):
    id: uuid.UUID
    email: str
    login: str
    name: str
    last_name: str
    image: str
    projects_limit: int
    plan: str
    active_seconds_limit: int = Field(description="Neon's compute-time limit: 0, none here.")
    branches_limit: int = Field(description="Neon's branches per project: 0, none here.")
    max_autoscaling_limit: float = Field(description="Compute units; 0: no limit configured.")
    auth_accounts: list[AuthAccount] = Field(
        description="Identity-provider accounts linked to the user: none here (passwords only)."
    )
