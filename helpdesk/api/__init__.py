"""HTTP API v1 (JSON) under /api/v1: one module per resource."""

from flask import Blueprint

from helpdesk.extensions import db

bp = Blueprint("api", __name__)


@bp.teardown_request
def _end_transaction(_exc: BaseException | None) -> None:
    # Error responses are built by handlers, so the view never sees them: whatever a
    # refused request had half-done must not outlive it (nor leak into a shared session).
    db.session.rollback()


from helpdesk.api import (  # noqa: E402,F401
    admin,
    agents,
    auth,
    intake_tokens,
    metrics,
    openapi,
    routing,
    sla,
    tickets,
    users,
)
