"""Schemas of `POST /auth/token`: credentials in, a user API token out."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from helpdesk.schemas.common import EMAIL_MAX, NO_NUL, NOT_BLANK, SLUG_MAX, Request, Response

TOKEN_NAME_MAX = 80


class TokenRequest(Request):
    """Credentials exchanged for a user API token."""

    email: str = Field(min_length=1, max_length=EMAIL_MAX, pattern=NO_NUL)
    password: str = Field(min_length=1, max_length=1024, pattern=NO_NUL)
    client: str | None = Field(
        default=None,
        max_length=SLUG_MAX,
        pattern=NO_NUL,
        description="A client's slug: sign in as that client's customer only.",
    )
    name: str | None = Field(
        default=None,
        min_length=1,
        max_length=TOKEN_NAME_MAX,
        pattern=NOT_BLANK,
        description="What the token is for, shown in its owner's settings (where it can be "
        "revoked).",
    )
    code: str | None = Field(
        default=None,
        max_length=40,
        pattern=NO_NUL,
        description="Staff with a second factor: a current code from the authenticator app, "
        "or one of the recovery codes (each works once).",
    )


class Token(Response):
    """A user API token; send it as `Authorization: Bearer TOKEN`."""

    token: str
    expires_at: datetime
