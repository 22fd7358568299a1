"""Schemas of the intake-token endpoints: an admin issues, lists and revokes a client's tokens."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from helpdesk.models import INTAKE_TOKEN_NAME_MAX
from helpdesk.schemas.common import NOT_BLANK, Request, Response


class IntakeTokenCreate(Request):
    """The new token's name: the integration that will use it."""

    name: str = Field(min_length=1, max_length=INTAKE_TOKEN_NAME_MAX, pattern=NOT_BLANK)


class IntakeTokenIssued(Response):
    """A new intake token; `token` is shown this once and never again."""

    id: int
    token: str
    name: str
    created_at: datetime


class IntakeTokenInfo(Response):
    """An issued token without its secret."""

    id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    live: bool


class IntakeTokenList(Response):
    """A client's issued intake tokens, live first."""

    client: str
    tokens: list[IntakeTokenInfo]
