"""The coverage page for agents and admins (supervisors have theirs in their blueprint)."""

from __future__ import annotations

from flask_login import current_user

from helpdesk.agent import bp
from helpdesk.extensions import db
from helpdesk.services.scope import visible_clients
from helpdesk.web.coverage import render_coverage
from helpdesk.web.guards import roles_required


@bp.route("/coverage")
@roles_required("agent", "admin")
def coverage():
    """Weekly shift coverage of a client the viewer may see, in the viewer's time zone."""
    return render_coverage(
        visible_clients(db.session, current_user), endpoint="agent.coverage", pick_client=True
    )
