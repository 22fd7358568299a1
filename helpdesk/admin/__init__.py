"""The operator console (/admin/): run the desk without a shell. Admins only; every other
role gets 404."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from helpdesk.admin import agents, calendars, clients, people, sites, tokens  # noqa: E402,F401
