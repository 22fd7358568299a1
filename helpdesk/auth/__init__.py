"""Staff sign-in (agents, supervisors, admins), the user loader and role guards."""

import hmac

from flask import Blueprint, Flask

from helpdesk.extensions import db, login_manager
from helpdesk.models import User

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """Wire Flask-Login to the user table."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(session_id: str):
        # "<id>.<password mark>" (User.get_id): a session from before a password change fails.
        user_id, _, mark = session_id.partition(".")
        if not user_id.isdigit() or len(user_id) > 10 or not mark:
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not hmac.compare_digest(user.password_mark().encode(), mark.encode()):
            return None
        return user


from helpdesk.auth import routes  # noqa: E402,F401
