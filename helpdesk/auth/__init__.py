"""Staff sign-in (agents, supervisors, admins), the user loader and role guards."""

import hmac

from flask import Blueprint, Flask

from helpdesk.extensions import login_manager
from helpdesk.web import browser_session

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """Wire Flask-Login to the user table and to the server-side session records."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str):
        # "<id>.<password mark>" (User.get_id), and the cookie's session record must be live:
        # signed out, "everywhere else", a new password or a deactivation ended it. Nothing
        # issues remember-me cookies; one could not load a user anyway, as a browser without
        # the session's key has no live record.
        user_id, _, mark = session_id.partition(".")
        if not user_id.isdigit() or len(user_id) > 10 or not mark:
            return None
        user = browser_session.load(int(user_id))
        if user is None or not user.active:
            return None
        if not hmac.compare_digest(user.password_mark().encode(), mark.encode()):
            return None
        return user

    # Every request of a signed-in browser checks its record first, and notes it was seen.
    app.before_request(browser_session.note_seen)


from helpdesk.auth import routes  # noqa: E402,F401
