"""Accounts for every channel: customers found or created, preferences and passwords changed.

Each function is one transaction: it changes the user, records what the audit log needs,
and commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from helpdesk.models import User
from helpdesk.services import audit


class WrongPassword(Exception):
    """The current password given as proof does not match."""


def save_preferences(session: Session, user: User, *, locale: str, timezone: str | None) -> None:
    """Store the user's UI language and time zone."""
    user.locale = locale
    user.timezone = timezone
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
