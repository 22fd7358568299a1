"""Signed password-link tokens: made when the mail is rendered, read back by the link's page.

A token names the user, when the link was asked for and a mark of the password hash, so it
works once (a new password changes the mark), for PASSWORD_LINK_MINUTES, in one realm.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import Session

from helpdesk.models import STAFF_REALM, User

SALT = "helpdesk.password-link"


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_for(user: User, *, asked_at: datetime) -> str:
    """The signed token of a link asked for at `asked_at`."""
    return _serializer().dumps([user.id, int(asked_at.timestamp()), user.password_mark()])


def user_for_token(session: Session, token: str, *, realm: int, now: datetime) -> User | None:
    """The user a token is for, if it is genuine, unexpired, unused and of this realm."""
    try:
        user_id, asked, fingerprint = _serializer().loads(token)
    except (BadData, ValueError, TypeError):
        return None
    if not (isinstance(user_id, int) and isinstance(asked, int) and isinstance(fingerprint, str)):
        return None
    age = now.timestamp() - asked
    if not 0 <= age <= current_app.config["PASSWORD_LINK_MINUTES"] * 60:
        return None
    user = session.get(User, user_id)
    if user is None or not user.active or user.realm != realm:
        return None
    return (
        user if hmac.compare_digest(user.password_mark().encode(), fingerprint.encode()) else None
    )


def link_for(user: User, *, asked_at: datetime) -> str:
    """The absolute link to the page that sets the password, at PUBLIC_URL.

    Built without a request: the scheduler renders the mail.
    """
    token = token_for(user, asked_at=asked_at)
    if user.realm == STAFF_REALM:
        endpoint, values = "auth.set_password", {"token": token}
    else:
        endpoint, values = "portal.set_password", {"client_slug": user.client.slug, "token": token}
    base = urlsplit(current_app.config["PUBLIC_URL"])
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path or "/", url_scheme=base.scheme
    )
    return adapter.build(endpoint, values, force_external=True)
