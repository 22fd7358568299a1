"""Account links by e-mail: a password link (set or reset a password) and a confirmation
link (prove a portal registration's address); asked for, queued, and at most one per gap.

Customers filed by e-mail or by an intake token have no password; this is how they (and
anyone who forgot theirs) get one. The link carries the user's id, when it was asked for
and a fingerprint of the password hash as it was then, signed with SECRET_KEY: it expires
after PASSWORD_LINK_MINUTES and dies once the password changes, so it works once. Nothing
secret is stored, and asking never tells whether the address has an account.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.models import OutboundMail, User
from helpdesk.notify.outbound import new_message_id
from helpdesk.services.addresses import BadAddress, normalize_email

# However often it is asked for, an account gets at most one link per this long.
RESEND_GAP = timedelta(minutes=2)


def ask_for_link(session: Session, *, realm: int, email: str, now: datetime) -> bool:
    """Queue a password link for the active user with this e-mail in the realm.

    Returns whether one was queued; callers show the same answer either way.
    """
    user = session.scalar(
        select(User).where(User.realm == realm, User.email == email, User.active.is_(True))
    )
    return user is not None and queue_link(session, user, kind="password", now=now)


def ask_for_confirmation(session: Session, *, realm: int, email: str, now: datetime) -> bool:
    """Queue a new confirmation link for a registration with this e-mail that awaits one.

    Returns whether one was queued; callers show the same answer either way.
    """
    user = session.scalar(
        select(User).where(
            User.realm == realm,
            User.email == email,
            User.active.is_(True),
            User.role == "customer",
            User.email_confirmed_at.is_(None),
            User.password_hash.is_not(None),
        )
    )
    return user is not None and queue_link(session, user, kind="confirm", now=now)


def queue_link(session: Session, user: User, *, kind: str, now: datetime) -> bool:
    """Queue a mail with a password or confirmation link for the user (not committed).

    At most one of a kind per RESEND_GAP, however often it is asked for.
    """
    try:
        address = normalize_email(user.email)
    except BadAddress:
        return False
    recent = session.scalar(
        select(OutboundMail.id)
        .where(
            OutboundMail.user_id == user.id,
            OutboundMail.kind == kind,
            OutboundMail.created_at > now - RESEND_GAP,
        )
        .limit(1)
    )
    if recent is not None:
        return False
    session.add(
        OutboundMail(
            user=user,
            kind=kind,
            to_addr=address,
            message_id_header=new_message_id(),
            status="queued",
            attempts=0,
            next_attempt_at=now,
            created_at=now,
        )
    )
    return True
