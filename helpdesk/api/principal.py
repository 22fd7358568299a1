"""Who calls the API: a client's intake token or a user's token, resolved once per request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from helpdesk.models import ApiToken, Client, User
from helpdesk.services import intake_tokens
from helpdesk.services.auth import client_for_intake_token, token_for
from helpdesk.services.errors import Forbidden

TOKEN_MAX = 512
USER_TOKEN_PREFIX = "hdu_"  # noqa: S105 (a prefix, not a secret: see services.auth.issue_token)


@dataclass(frozen=True)
class Principal:
    """The caller: exactly one of `client` (intake token) or `user` (user token)."""

    client: Client | None = None
    user: User | None = None
    token: ApiToken | None = None  # the user token's row (its last use is noted)

    @property
    def key(self) -> str:
        """A stable name for the caller, e.g. "client:3" or "user:5" (idempotency keys)."""
        if self.user is not None:
            return f"user:{self.user.id}"
        return f"client:{self.client.id}"

    @property
    def is_intake(self) -> bool:
        """Whether the caller is a client's intake integration rather than a person."""
        return self.user is None


def public(view):
    """Mark a view as needing no token (sign-in, the OpenAPI document)."""
    view.public = True
    return view


def bearer_token(header: str | None) -> str | None:
    """The token of an `Authorization: Bearer TOKEN` header, or None if absent or malformed."""
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > TOKEN_MAX or " " in token:
        return None
    return token


def resolve(session: Session, token: str, *, now: datetime) -> Principal | None:
    """The principal a token stands for, or None when it is unknown, expired or disabled."""

    def as_client() -> Principal | None:
        client = client_for_intake_token(session, token)
        if client is None:
            return None
        intake_tokens.note_use(session, token, now=now)
        return Principal(client=client)

    def as_user() -> Principal | None:
        row = token_for(session, token, now=now)
        return Principal(user=row.user, token=row) if row is not None else None

    # Both kinds are always tried; the prefix of issued user tokens only picks the likely one first.
    first, second = (
        (as_user, as_client) if token.startswith(USER_TOKEN_PREFIX) else (as_client, as_user)
    )
    return first() or second()


def current_principal() -> Principal:
    """The caller of this request (set by the blueprint's authentication step)."""
    return g.principal


def current_user(*roles: str) -> User:
    """The calling user, optionally restricted to roles; intake tokens and other roles get 403."""
    principal = current_principal()
    if principal.is_intake:
        raise Forbidden(_l("An intake token can only file tickets; use a user token."))
    if roles and principal.user.role not in roles:
        raise Forbidden(_l("Your role may not do this."))
    return principal.user
