"""Agent pages: the live queue and the ticket workspace."""

from flask import Blueprint

bp = Blueprint("agent", __name__)

from helpdesk.agent import routes  # noqa: E402,F401
