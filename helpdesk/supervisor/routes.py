"""Supervisor routes."""

from helpdesk.supervisor import bp


@bp.route("/")
def dashboard():
    """The dashboard."""
    return "dashboard"
