"""Agent pages: the live queue, the ticket workspace, presence and shift coverage."""

from flask import Blueprint

bp = Blueprint("agent", __name__)

from helpdesk.agent import coverage_page, filters, routes  # noqa: E402,F401
