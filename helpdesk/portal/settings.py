"""A customer's language, time zone and password, in their own portal."""

from flask import g

from helpdesk.portal import bp
from helpdesk.portal.routes import customer_required
from helpdesk.ratelimit import login_limits
from helpdesk.web.accounts import password_page, settings_page


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
