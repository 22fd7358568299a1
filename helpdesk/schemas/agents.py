"""Schemas of `PUT /agents/me/status`: an agent's presence."""

from __future__ import annotations

from datetime import datetime

from helpdesk.schemas.common import Presence, Request, Response


class AgentStatusUpdate(Request):
    """An agent's presence."""

    status: Presence


class AgentRef(Response):
    """An agent as presence events show them."""

    id: int
    name: str


class AgentStatus(Response):
    """An agent's presence after the change."""

    agent: AgentRef
    status: Presence
    presence_at: datetime
