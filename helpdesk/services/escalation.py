"""Escalation on SLA breach, per the client's `escalation` list: notify, raise priority, reroute.

A reroute is a new routing decision that leaves the current owner out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from helpdesk.models import PRIORITIES, SlaClock, TicketEvent
from helpdesk.services import follow_the_sun, sla


def escalate(session: Session, clock: SlaClock, *, now: datetime) -> list[str]:
    """Apply the client's escalation actions to a breached clock's ticket; returns the actions."""
    ticket = clock.ticket
    escalation = ticket.client.escalation
    # An empty list is a choice (nobody told, nothing changed); a missing one is the default.
    actions = list(["notify_supervisors"] if escalation is None else escalation)
    for action in actions:
        data = {"action": action, "metric": clock.metric, "cycle": clock.cycle}
        if action == "raise_priority":
            index = PRIORITIES.index(ticket.priority)
            if index + 1 < len(PRIORITIES):
                old, ticket.priority = ticket.priority, PRIORITIES[index + 1]
                session.add(
                    TicketEvent(
                        ticket=ticket,
                        kind="priority_changed",
                        at=now,
                        data={"old": old, "new": ticket.priority, "why": "escalation"},
                    )
                )
                sla.on_priority_change(session, ticket, now=now)
                data["priority"] = ticket.priority
            else:
                data["skipped"] = "already urgent"
        elif action == "reroute" and ticket.assignee_id is not None and ticket.is_open:
            # A new routing decision without the owner; nobody else eligible: it stays.
            previous = ticket.assignee_id
            decision = follow_the_sun.reroute(session, ticket, now=now)
            if decision is not None:
                data.update(from_assignee=previous, to_assignee=decision.agent.id)
            else:
                data["skipped"] = "nobody else available"
        session.add(TicketEvent(ticket=ticket, kind="escalated", at=now, data=data))
    ticket.updated_at = now
    return actions
