"""API agents: an agent sets their own presence."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify

from helpdesk.api import bp
from helpdesk.api.openapi import operation
from helpdesk.api.parsing import parse_body
from helpdesk.api.principal import current_user
from helpdesk.extensions import db
from helpdesk.schemas import AgentStatus, AgentStatusUpdate
from helpdesk.serializers import iso
from helpdesk.services import follow_the_sun


@bp.put("/agents/me/status")
@operation(
    summary="Set my presence (agents).",
    body=AgentStatusUpdate,
    responses={200: AgentStatus},
    errors=(403,),
)
def put_my_status():
    """Go online, away or offline."""
    agent = current_user("agent")
    data = parse_body(AgentStatusUpdate)
    now = datetime.now(UTC)
    follow_the_sun.set_presence(db.session, agent, data.status, now=now)
    return jsonify(
        agent={"id": agent.id, "name": agent.name},
        status=agent.presence,
        presence_at=iso(agent.presence_at),
    )
