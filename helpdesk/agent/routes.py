"""Agent routes."""

from helpdesk.agent import bp


@bp.route("/")
def queue():
    """The live queue."""
    return "queue"
