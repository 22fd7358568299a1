"""Signed account-link tokens: made when the mail is rendered, read back by the link's page.

Three kinds of link share the shape. A password link sets a password; an invitation sets
the first password of an account an operator made (and lives longer: INVITE_LINK_HOURS); a
confirmation link proves a portal registration's e-mail address. A token names the user,
when the link was asked for and a mark of the password hash, signed with SECRET_KEY and a
salt per kind, so it works for one kind only, in one realm, until it expires
(PASSWORD_LINK_MINUTES, INVITE_LINK_HOURS, CONFIRM_LINK_HOURS) and once: a new password
changes the mark, and a confirmed address ends every confirmation link.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import Session

from helpdesk.models import STAFF_REALM, User

SALTS = {
    "password": "helpdesk.password-link",
    "invite": "helpdesk.invite-link",
    "confirm": "helpdesk.confirm-link",
}
# The kinds whose link sets a password (the set-password pages take either).
SETS_PASSWORD = ("password", "invite")
TOKEN_MAX = 400  # a genuine token is about 80 characters; longer ones are not even read


def _serializer(kind: str) -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALTS[kind])


def lifetime_seconds(kind: str) -> int:
    """How long a link of this kind works."""
    if kind == "confirm":
        return current_app.config["CONFIRM_LINK_HOURS"] * 3600
    if kind == "invite":
        return current_app.config["INVITE_LINK_HOURS"] * 3600
    return current_app.config["PASSWORD_LINK_MINUTES"] * 60


def token_for(user: User, *, asked_at: datetime, kind: str = "password") -> str:
    """The signed token of a link asked for at `asked_at`."""
    return _serializer(kind).dumps([user.id, int(asked_at.timestamp()), user.password_mark()])


def user_for_token(
    session: Session, token: str, *, realm: int, now: datetime, kind: str = "password"
) -> User | None:
    """The user a token is for, if it is genuine, unexpired, unused and of this realm."""
    if len(token) > TOKEN_MAX:
        return None
    try:
        user_id, asked, fingerprint = _serializer(kind).loads(token)
    except (BadData, ValueError, TypeError):
        return None
    if not (isinstance(user_id, int) and isinstance(asked, int) and isinstance(fingerprint, str)):
        return None
    if not 0 <= now.timestamp() - asked <= lifetime_seconds(kind):
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or user.realm != realm:
        return None
    if kind == "confirm" and user.email_confirmed_at is not None:
        return None
    return (
        user if hmac.compare_digest(user.password_mark().encode(), fingerprint.encode()) else None
    )


def link_for(user: User, *, asked_at: datetime, kind: str = "password") -> str:
    """The absolute link to the page that sets the password or confirms the address.

    Built without a request, at PUBLIC_URL: the scheduler renders the mail.
    """
    token = token_for(user, asked_at=asked_at, kind=kind)
    if kind == "confirm":
        endpoint, values = "portal.confirm_email", {"client_slug": user.client.slug, "token": token}
    elif user.realm == STAFF_REALM:
        endpoint, values = "auth.set_password", {"token": token}
    else:
        endpoint, values = "portal.set_password", {"client_slug": user.client.slug, "token": token}
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
