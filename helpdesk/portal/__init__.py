"""The customer portal of each client, under /c/<client-slug>/."""

from flask import Blueprint

bp = Blueprint("portal", __name__)

from helpdesk.portal import brand, confirm, routes, settings  # noqa: E402,F401
