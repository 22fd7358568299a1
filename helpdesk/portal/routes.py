"""Portal routes."""

from flask import g

from helpdesk.portal import bp


@bp.route("/tickets")
def tickets(client_slug):
    """My tickets."""
    return g.get("client", client_slug)
