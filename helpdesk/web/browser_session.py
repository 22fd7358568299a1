"""The browser's server-side session: a random key in the signed cookie names a live record.

Signing in starts a record (web.sign_in.complete), the user loader accepts a cookie only
while its record is live (helpdesk.auth), sign-out ends it, and every request notes when
it was last seen (at most once a minute). A copy of the cookie taken before sign-out, or
before "sign out everywhere else", a new password or a deactivation, opens nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import g, request, session
from flask_login import current_user

from helpdesk.extensions import db
from helpdesk.models import User, UserSession
from helpdesk.services import sessions

KEY = "_hd_session"  # the Flask session's entry holding the record's key
RECORD = "_hd_session_record"  # g: the live record the user loader accepted


def begin(user: User, *, realm: str) -> None:
    """Start a record for this sign-in and keep its key in the cookie (ends this browser's
    previous record, if any). The caller's sign-in audit commits it."""
    key, record = sessions.start(
        db.session,
        user,
        realm=realm,
        user_agent=request.user_agent.string,
        ip=request.remote_addr,
        now=datetime.now(UTC),
        replaces=session.get(KEY),
    )
    session[KEY] = key
    g.setdefault(RECORD, {})[user.id] = record


def load(user_id: int) -> User | None:
    """The user of this cookie while its record is live (the user loader's one lookup)."""
    found = sessions.live(db.session, session.get(KEY), user_id=user_id)
    if found is None:
        return None
    g.setdefault(RECORD, {})[user_id] = found[0]
    return found[1]


def current_record() -> UserSession | None:
    """The live record of the signed-in user of this request, if signed in by cookie."""
    if not current_user.is_authenticated:
        return None
    record = g.get(RECORD, {}).get(current_user.id)
    return record if record is not None and record.ended_at is None else None


def current_key() -> str | None:
    """The key of this browser's record (ends it at sign-out)."""
    key = session.get(KEY)
    return key if isinstance(key, str) else None


def forget() -> None:
    """Drop the key from the cookie (after sign-out)."""
    session.pop(KEY, None)


def note_seen() -> None:
    """before_request: a signed-in browser was seen now (written at most once a minute)."""
    # The API answers bearer tokens only; static files need nobody.
    if request.endpoint == "static" or request.blueprint == "api" or KEY not in session:
        return
    record = current_record()  # loads the user: the one lookup of the request
    if record is not None:
        sessions.seen(db.session, record, now=datetime.now(UTC))
