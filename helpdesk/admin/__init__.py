"""The operator console (/admin/): run the desk without a shell. Admins only; every other
role gets 404."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from helpdesk.admin import (  # noqa: E402,F401
    agents,
    branding,
    calendars,
    clients,
    people,
    sites,
    tokens,
)
