"""Supervisor pages: the client's tickets and metrics dashboard."""

from flask import Blueprint

bp = Blueprint("supervisor", __name__)

from helpdesk.supervisor import audit_page, dashboard, routes, shifts_page  # noqa: E402,F401
