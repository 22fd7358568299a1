"""The shift change page: the next handoff per site, what moved in the last day, and tickets a
coming shift end will leave with nobody eligible. Supervisors see their client; admins pick one
or see the whole desk."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template, request
from flask_babel import get_timezone
from flask_login import current_user
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.services import shift_change
from helpdesk.supervisor import bp
from helpdesk.supervisor.choice import chosen_client
from helpdesk.web.guards import roles_required


@bp.route("/shifts")
@roles_required("supervisor", "admin")
def shift_change_page():
    """Shift change: upcoming handoffs, recent handoffs and stranded tickets, in scope."""
    client, clients = chosen_client(request.args.get("client") or None)
    now = datetime.now(UTC)
    view = shift_change.outlook(db.session, client_id=client.id if client else None, now=now)
    ids = set()
    for event in view.recent:
        ids.update(v for v in (event.data.get("old"), event.data.get("new")) if isinstance(v, int))
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    return render_template(
        "supervisor/shifts.html",
        view=view,
        client=client,
        clients=clients,
        pick_client=current_user.role == "admin",
        names=names,
        now=now,
        zone=str(get_timezone()),
        horizon_hours=int(shift_change.HORIZON.total_seconds() // 3600),
    )
