"""Accounts for every channel: customers found or created, preferences and passwords changed.

Each function is one transaction: it changes the user, records what the audit log needs,
and commits.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from helpdesk.domain.text import without_bidi_controls
from helpdesk.models import Client, User
from helpdesk.services import audit, follow_the_sun, passwords, sessions

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


def change_password(
    session: Session,
    user: User,
    *,
    current: str,
    new: str,
    realm: str,
    now: datetime,
    keep_session: int | None = None,
) -> None:
    """Set a new password, the current one as proof; audited. Raises WrongPassword.

    Every other session, every API token and their sockets end at once; the session
    `keep_session` (the one that proved the password) stays signed in.
    """
    if not user.check_password(current):
        raise WrongPassword
    user.set_password(new)
    audit.record_request(
        session, "password_set", actor=user, data={"realm": realm, "via": "settings"}, now=now
    )
    ended = sessions.stage_end_all(
        session, user, reason="password_changed", now=now, actor=user, keep=keep_session
    )
    session.commit()
    sessions.finish(session, ended, user=user, keep=keep_session)


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


_CUSTOMER_BY_EMAIL = select(User).where(
    User.realm == bindparam("realm"), User.email == bindparam("email")
)


def find_or_create_customer(
    session: Session, client: Client, *, email: str, name: str | None, locale: str | None
) -> User | None:
    """The client's customer with this (normalised) e-mail, or a new one, not stored yet.

    None when the address belongs to an account that may not file: deactivated, or staff.
    A new customer goes in with their first ticket (create_ticket) or by the caller's
    `rows.insert_now`; a concurrent creation of the same customer fails that insert with
    an IntegrityError, which the caller retries.
    """
    user = session.scalar(_CUSTOMER_BY_EMAIL, {"realm": client.id, "email": email})
    if user is not None:
        if user.role != "customer" or not user.active:
            return None
        if is_pending_registration(user):
            _void_registration(session, user, name=name, via="intake")
        return user
    return _new_customer(client, email=email, name=name, locale=locale)


def is_pending_registration(user: User) -> bool:
    """A portal registration whose address is not proven yet (it cannot sign in)."""
    return user.email_confirmed_at is None and user.password_hash is not None


def _void_registration(session: Session, user: User, *, name: str | None, via: str) -> None:
    # Someone registered this address and never proved it; now its owner writes from it
    # (or says they did not register). The registrant's password and chosen name go: the
    # tickets that follow belong to the address, which proves itself by a password link.
    user.password_hash = None
    user.name = (without_bidi_controls(name or "").strip() or user.email.split("@", 1)[0])[
        :NAME_MAX
    ]
    audit.record_request(
        session, "registration_voided", actor=user, client_id=user.client_id, data={"via": via}
    )


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
    """A new customer account on the client's portal, with a password; raises EmailTaken.

    The account cannot sign in until its address is confirmed: a confirmation link is
    queued to it.
    """
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
        passwords.queue_link(session, user, kind="confirm", now=now)
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


def signing_out(
    session: Session, user: User, *, realm: str, now: datetime, session_key: str | None = None
) -> None:
    """Record a sign-out; an online agent becomes away first (keeps their tickets).

    The browser's session record (`session_key`) ends, so a copy of its cookie opens
    nothing, and the sockets opened under it are disconnected.
    """
    if user.role == "agent" and user.presence == "online":
        follow_the_sun.set_presence(session, user, "away", now=now)
    ended = sessions.end_by_key(session, session_key, user=user, reason="signed_out", now=now)
    audit.record_request(session, "logout", actor=user, data={"realm": realm})
    session.commit()
    sessions.disconnect_sessions(session, ended)


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
    """Set the password chosen from a mailed link (the link's token was checked); audited.

    Following the link proves the address, so it counts as a confirmation too. Whoever
    knew the old password is out: every session, API token and socket of the user ends.
    """
    user.set_password(password)
    if user.email_confirmed_at is None:
        user.email_confirmed_at = now
    audit.record_request(session, "password_set", actor=user, data={"realm": realm_name}, now=now)
    ended = sessions.stage_end_all(session, user, reason="password_set", now=now, actor=user)
    session.commit()
    sessions.finish(session, ended, user=user)


def confirm_registration(session: Session, user: User, *, password: str, now: datetime) -> None:
    """Confirm a registration's address from its mailed link (the token was checked).

    The password chosen at registration is asked too: whoever opens the owner's mail cannot
    confirm an account someone else registered with it. Raises WrongPassword.
    """
    if not user.check_password(password):
        raise WrongPassword
    user.email_confirmed_at = now
    audit.record_request(
        session, "email_confirmed", actor=user, client_id=user.client_id, data={}, now=now
    )
    session.commit()


def decline_registration(session: Session, user: User, *, now: datetime) -> None:
    """The address's owner says they did not register (from the mailed link): the
    registrant's password and name go, and nobody can sign in with them."""
    _void_registration(session, user, name=None, via="declined")
    session.commit()


def ask_confirmation_link(session: Session, *, client_id: int, email: str, now: datetime) -> None:
    """Mail a new confirmation link if a registration with this address awaits one here
    (the same answer either way)."""
    passwords.ask_for_confirmation(session, realm=client_id, email=email, now=now)
    audit.record_request(
        session,
        "confirmation_requested",
        client_id=client_id,
        data={"email": email, "realm": "portal"},
        now=now,
    )
    session.commit()
