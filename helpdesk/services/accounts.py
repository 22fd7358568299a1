"""Accounts for every channel: customers found or created, preferences and passwords changed.

Each function is one transaction: it changes the user, records what the audit log needs,
and commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from helpdesk.domain.text import without_bidi_controls
from helpdesk.models import Client, User
from helpdesk.services import audit, follow_the_sun, passwords

NAME_MAX = 120


class WrongPassword(Exception):
    """The current password given as proof does not match."""


def save_preferences(session: Session, user: User, *, locale: str, timezone: str | None) -> None:
    """Store the user's UI language and time zone; audited with what changed."""
    changes = {
        name: [old, new]
        for name, old, new in (
            ("locale", user.locale, locale),
            ("timezone", user.timezone, timezone),
        )
        if old != new
    }
    user.locale = locale
    user.timezone = timezone
    if changes:
        audit.record_request(session, "settings_changed", actor=user, data=changes)
    session.commit()


def save_language(session: Session, user: User, locale: str) -> None:
    """Store the UI language a signed-in user picked in the switcher."""
    user.locale = locale
    session.commit()


def change_password(session: Session, user: User, *, current: str, new: str, realm: str) -> None:
    """Set a new password, the current one as proof; audited. Raises WrongPassword.

    The new password's mark signs out every other session (User.get_id).
    """
    if not user.check_password(current):
        raise WrongPassword
    user.set_password(new)
    audit.record_request(
        session, "password_set", actor=user, data={"realm": realm, "via": "settings"}
    )
    session.commit()


class EmailTaken(Exception):
    """Another account of this realm has the address."""


def _new_customer(client: Client, *, email: str, name: str | None, locale: str | None) -> User:
    shown = without_bidi_controls(name or "").strip() or email.split("@", 1)[0]
    return User(
        role="customer",
        realm=client.id,
        client=client,
        client_id=client.id,  # read before the flush (scope checks)
        email=email,
        name=shown[:NAME_MAX],
        locale=locale,
    )


def find_or_create_customer(
    session: Session, client: Client, *, email: str, name: str | None, locale: str | None
) -> User | None:
    """The client's customer with this (normalised) e-mail, or a new one added to the session.

    None when the address belongs to an account that may not file: deactivated, or staff.
    The caller commits; a concurrent creation of the same customer fails that commit with
    an IntegrityError, which the caller retries.
    """
    user = session.scalar(select(User).where(User.realm == client.id, User.email == email))
    if user is not None:
        return user if user.role == "customer" and user.active else None
    user = _new_customer(client, email=email, name=name, locale=locale)
    session.add(user)
    return user


def register_customer(
    session: Session,
    client: Client,
    *,
    email: str,
    name: str,
    password: str,
    locale: str | None,
    now: datetime,
) -> User:
    """A new customer account on the client's portal, with a password. Raises EmailTaken."""
    exists = session.scalar(select(User.id).where(User.realm == client.id, User.email == email))
    if exists is not None:
        raise EmailTaken
    user = _new_customer(client, email=email, name=name, locale=locale)
    user.created_at = now
    user.set_password(password)
    session.add(user)
    try:
        session.flush()
        audit.record_request(
            session, "registered", actor=user, client_id=client.id, data={"realm": "portal"}
        )
        session.commit()
    except IntegrityError:  # the same address registered a moment ago
        session.rollback()
        raise EmailTaken from None
    return user


def signed_in(session: Session, user: User, *, realm: str) -> None:
    """Record a sign-in (the caller has just signed the user in)."""
    audit.record_request(session, "login", actor=user, data={"realm": realm})
    session.commit()


def failed_sign_in(
    session: Session, *, email: str, realm: str, client_id: int | None = None
) -> None:
    """Record a failed sign-in: the address tried, never the password."""
    audit.failed_login(session, email=email, realm=realm, client_id=client_id)
    session.commit()


def signing_out(session: Session, user: User, *, realm: str, now: datetime) -> None:
    """Record a sign-out; an online agent becomes away first (keeps their tickets)."""
    if user.role == "agent" and user.presence == "online":
        follow_the_sun.set_presence(session, user, "away", now=now)
    audit.record_request(session, "logout", actor=user, data={"realm": realm})
    session.commit()


def ask_password_link(
    session: Session,
    *,
    realm: int,
    realm_name: str,
    client_id: int | None,
    email: str,
    now: datetime,
) -> None:
    """Mail a password link if the address has an account here (the same answer either way)."""
    passwords.ask_for_link(session, realm=realm, email=email, now=now)
    audit.record_request(
        session,
        "password_reset_requested",
        client_id=client_id,
        data={"email": email, "realm": realm_name},
        now=now,
    )
    session.commit()


def set_password_from_link(
    session: Session, user: User, password: str, *, realm_name: str, now: datetime
) -> None:
    """Set the password chosen from a mailed link (the link's token was checked); audited."""
    user.set_password(password)
    audit.record_request(session, "password_set", actor=user, data={"realm": realm_name}, now=now)
    session.commit()
