"""HTTP API v1 (JSON) under /api/v1: one module per resource."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from helpdesk.api import auth, openapi, tickets  # noqa: E402,F401
