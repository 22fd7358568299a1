"""A customer's language and time zone, in their own portal."""

from flask import g

from helpdesk.portal import bp
from helpdesk.portal.routes import customer_required
from helpdesk.settings.routes import settings_page


@bp.route("/settings", methods=["GET", "POST"])
@customer_required
def settings():
    """The settings page for this portal's signed-in customer."""
    return settings_page(g.customer, endpoint="portal.settings")
