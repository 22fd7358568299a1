"""Personal settings: the language switcher on every page and each user's language and zone."""

from flask import Blueprint

bp = Blueprint("settings", __name__)

from helpdesk.settings import routes  # noqa: E402,F401
