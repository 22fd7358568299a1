"""API SLA: preview the due times a client's policy gives a clock started at some instant."""

from __future__ import annotations

from flask import jsonify
from flask_babel import gettext as _

from helpdesk.api import bp
from helpdesk.api.openapi import operation
from helpdesk.api.parsing import parse_query
from helpdesk.api.principal import current_user
from helpdesk.extensions import db
from helpdesk.schemas import SlaPreview, SlaPreviewQuery
from helpdesk.serializers import iso
from helpdesk.services.errors import NotFound
from helpdesk.services.scope import get_visible_client
from helpdesk.services.sla import preview_due


@bp.get("/sla/preview")
@operation(
    summary="Due times of SLA clocks started at `start` and never paused.",
    description="Agents and admins; supervisors for their own client. A client the caller "
    "may not see, or a priority without targets, is 404.",
    query=SlaPreviewQuery,
    responses={200: SlaPreview},
    errors=(403, 404, 422),
)
def sla_preview():
    """Apply the client's policy for a priority to a start instant."""
    user = current_user("agent", "admin", "supervisor")
    query = parse_query(SlaPreviewQuery)
    client = get_visible_client(db.session, user, query.client)
    if client is None:
        raise NotFound(_("No such client."))
    preview = preview_due(db.session, client, query.priority, query.start)
    if preview is None:
        raise NotFound(_("This client has no SLA targets for that priority."), code="no_policy")
    return jsonify(
        client=client.slug,
        priority=query.priority,
        start=iso(query.start),
        calendar=preview.calendar,
        first_response_due_at=iso(preview.due["first_response"]),
        next_response_due_at=iso(preview.due["next_response"]),
        resolution_due_at=iso(preview.due["resolution"]),
    )
