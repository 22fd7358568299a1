"""What every API schema shares: request, query and response bases, limits, types, errors."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)
from pydantic_core import PydanticCustomError

from helpdesk.models import CHANNELS, ID_MAX, PRESENCE, PRIORITIES, ROLES, STATUSES
from helpdesk.services.addresses import BadAddress, normalize_email

# Literal[tuple] spells one member per tuple item, so the enums follow the models.
Status = Literal[STATUSES]
Priority = Literal[PRIORITIES]
Channel = Literal[CHANNELS]
Presence = Literal[PRESENCE]
Role = Literal[ROLES]

# JSON Schema patterns are unanchored searches, like pydantic's: these say "no NUL anywhere"
# (PostgreSQL text refuses it) and "no NUL, and something besides white space".
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
VISIBLE_ASCII = r"^[\x21-\x7e]+$"
PAGE_MAX = 1_000_000
PER_PAGE_MAX = 200
EMAIL_MAX = 254
NAME_MAX = 120
SLUG_MAX = 40


def _email(value: str) -> str:
    # The e-mail is the customer's identity per client: one spelling, lower case.
    try:
        return normalize_email(value)
    except BadAddress as exc:
        raise PydanticCustomError("email", "{reason}", {"reason": str(exc)}) from None


def _whole(value: object) -> object:
    # JSON Schema counts 1.0 as the integer 1; so do we, and nothing else that is not an int.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# Instants the SLA calendar can count from: business time is walked day by day, and the years
# 1 and 9999 (the ends of Python's datetime) leave no room to walk.
INSTANT_MIN = datetime(1970, 1, 1, tzinfo=UTC)
INSTANT_MAX = datetime(9000, 1, 1, tzinfo=UTC)


def _within_range(value: datetime) -> datetime:
    if value < INSTANT_MIN:
        raise PydanticCustomError("greater_than_equal", "too early", {"ge": "1970-01-01T00:00:00Z"})
    if value > INSTANT_MAX:
        raise PydanticCustomError("less_than_equal", "too late", {"le": "9000-01-01T00:00:00Z"})
    return value


Instant = Annotated[AwareDatetime, AfterValidator(_within_range)]

# Constraints inside the Annotated: outside it, pydantic misspells them in the JSON schema.
AgentId = Annotated[int, Field(ge=1, le=ID_MAX), BeforeValidator(_whole)]

Email = Annotated[
    str,
    Field(max_length=EMAIL_MAX, json_schema_extra={"format": "email"}),
    AfterValidator(_email),
]


class Request(BaseModel):
    """Base of request bodies: unknown keys and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Query(BaseModel):
    """Base of query strings: values arrive as text, so numbers are parsed from it."""

    model_config = ConfigDict(extra="forbid", strict=False)


class Response(BaseModel):
    """Base of response bodies: exactly the documented keys."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(Response):
    """What went wrong: a stable code, a message for people, and per-field messages."""

    code: str
    message: str
    fields: dict[str, str]


class Error(Response):
    """Every 4xx answer of the API."""

    error: ErrorDetail


class AssigneeRef(Response):
    """An assignee and their site."""

    id: int
    name: str
    site: str | None
