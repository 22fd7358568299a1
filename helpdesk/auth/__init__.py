"""Staff sign-in (agents, supervisors, admins), the user loader and role guards."""

from flask import Blueprint, Flask

bp = Blueprint("auth", __name__)


def init_app(app: Flask) -> None:
    """Wire Flask-Login to the user table."""
    from helpdesk.extensions import db, login_manager
    from helpdesk.models import User

    login_manager.login_view = "auth.login"
    login_manager.login_message = None
    login_manager.session_protection = "strong"

    @login_manager.user_loader
    def load_user(user_id: str):
        if not user_id.isdigit():
            return None
        return db.session.get(User, int(user_id))


from helpdesk.auth import routes  # noqa: E402,F401
