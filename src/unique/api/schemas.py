"""Request and response bodies of the API, field for field as in the contract."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

import orjson
from fastapi import Response
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from unique.api_keys import KEY_NAME_MAX_LENGTH, clean_key_name
from unique.errors import InvalidInput
from unique.names import BIDI_CONTROLS, FORMAT_CHARACTERS
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


def _as_value_error(clean: Any) -> Any:
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
    BeforeValidator(_as_value_error(clean_key_name)),
    _name_schema(KEY_NAME_MAX_LENGTH),
]
ProjectName = Annotated[
    str,
    BeforeValidator(_as_value_error(clean_project_name)),
    _name_schema(PROJECT_NAME_MAX_LENGTH),
]


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorBody(BaseModel):
    code: str = Field(examples=["UNAUTHORIZED"])
    message: str
    request_id: str


class ApiKeyCreateRequest(Request):
    key_name: KeyName


class ApiKeyCreated(BaseModel):
    id: int
    key: str = Field(description="The secret. Shown only in this response; store it safely.")
    name: str
    created_at: Timestamp
    created_by: uuid.UUID


class KeyCreator(BaseModel):
    id: uuid.UUID
    name: str
    image: str


class ApiKeyListItem(BaseModel):
    id: int
    name: str
    created_at: Timestamp
    created_by: KeyCreator
    last_used_at: Timestamp | None
    last_used_from_addr: str


class ApiKeyRevoked(BaseModel):
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


class Pagination(BaseModel):
    cursor: str


class ProjectsPage(BaseModel):
    projects: list[ProjectListItem]
    pagination: Pagination | None = Field(
        default=None, description="Present whenever projects is non-empty."
    )


class ProjectResponse(BaseModel):
    project: ProjectDetail


class ProjectUpdated(BaseModel):
    project: ProjectDetail
    operations: list[dict[str, Any]]


class ProjectCreateFields(Request):
    name: ProjectName | None = None
    region_id: str | None = None
    pg_version: PgVersion | None = None


class ProjectCreateRequest(Request):
    project: ProjectCreateFields


class ProjectUpdateFields(Request):
    name: ProjectName | None = None


class ProjectUpdateRequest(Request):
    project: ProjectUpdateFields


class CurrentUser(BaseModel):
    id: uuid.UUID
    email: str
    login: str
    name: str
    last_name: str
    image: str
    projects_limit: int
    plan: str
