"""Setting or resetting a password by e-mail link: ask, mail a signed link, set the new one.

Customers filed by e-mail or by an intake token have no password; this is how they (and
anyone who forgot theirs) get one. The link carries the user's id, when it was asked for
and a fingerprint of the password hash as it was then, signed with SECRET_KEY: it expires
after PASSWORD_LINK_MINUTES and dies once the password changes, so it works once. Nothing
secret is stored, and asking never tells whether the address has an account.
"""

from __future__ import annotations

import hmac
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.mail.outbound import new_message_id
from helpdesk.models import STAFF_REALM, OutboundMail, User
from helpdesk.services.addresses import BadAddress, normalize_email

SALT = "helpdesk.password-link"
# However often it is asked for, an account gets at most one link per this long.
RESEND_GAP = timedelta(minutes=2)


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def ask_for_link(session: Session, *, realm: int, email: str, now: datetime) -> bool:
    """Queue a password link for the active user with this e-mail in the realm.

    Returns whether one was queued; callers show the same answer either way.
    """
    user = session.scalar(
        select(User).where(User.realm == realm, User.email == email, User.active.is_(True))
    )
    if user is None:
        return False
    try:
        address = normalize_email(user.email)
    except BadAddress:
        return False
    recent = session.scalar(
        select(OutboundMail.id)
        .where(
            OutboundMail.user_id == user.id,
            OutboundMail.kind == "password",
            OutboundMail.created_at > now - RESEND_GAP,
        )
        .limit(1)
    )
    if recent is not None:
        return False
    session.add(
        OutboundMail(
            user=user,
            kind="password",
            to_addr=address,
            message_id_header=new_message_id(),
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return True


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
