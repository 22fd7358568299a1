"""Who is on a socket: authenticated once at connect, looked up again for each event."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError

from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.services.auth import user_for_token

SESSION_KEY = "socket_user_id"


def authenticate(auth: object) -> User:
    """The user of a new connection (session cookie or `auth={"token"}`), else refuse it."""
    user = None
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"]:
        if len(auth["token"]) <= 512:
            user = user_for_token(db.session, auth["token"], now=datetime.now(UTC))
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None or not user.active:
        raise ConnectionRefusedError("unauthorized")
    # The socket has its own copy of the session: remember who connected.
    session[SESSION_KEY] = user.id
    return user


def socket_user() -> User | None:
    """The user who opened this socket, still active, or None."""
    user_id = session.get(SESSION_KEY)
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.active else None
