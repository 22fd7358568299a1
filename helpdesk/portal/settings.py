"""A customer's language, time zone, password, sessions and API tokens, in their own portal."""

from flask import g

from helpdesk.portal import bp
from helpdesk.portal.routes import customer_required
from helpdesk.ratelimit import login_limits
from helpdesk.web.accounts import (
    end_other_sessions_page,
    end_session_page,
    password_page,
    revoke_token_page,
    settings_page,
)


@bp.route("/settings", methods=["GET", "POST"])
@customer_required
def settings():
    """The settings page for this portal's signed-in customer."""
    return settings_page(g.customer, endpoint="portal.settings", change_endpoint="portal.password")


@bp.route("/settings/password", methods=["POST"])
@customer_required
@login_limits
def password():
    """Change this portal's signed-in customer's password."""
    return password_page(
        g.customer,
        endpoint="portal.settings",
        change_endpoint="portal.password",
        realm="portal",
    )


@bp.route("/settings/sessions/<int:session_id>/end", methods=["POST"])
@customer_required
def end_session(session_id: int):
    """Sign out one of this customer's sessions (another user's: 404)."""
    return end_session_page(g.customer, session_id, endpoint="portal.settings")


@bp.route("/settings/sessions/end-others", methods=["POST"])
@customer_required
def end_other_sessions():
    """Sign out every other session of this customer, and their API tokens."""
    return end_other_sessions_page(g.customer, endpoint="portal.settings")


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@customer_required
def revoke_token(token_id: int):
    """Revoke one of this customer's API tokens (another user's: 404)."""
    return revoke_token_page(g.customer, token_id, endpoint="portal.settings")
