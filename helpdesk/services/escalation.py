"""Escalation on SLA breach, per the client's `escalation` list: notify, raise priority, reroute."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from helpdesk.models import PRIORITIES, SlaClock, TicketEvent


def escalate(session: Session, clock: SlaClock, *, now: datetime) -> list[str]:
    """Apply the client's escalation actions to a breached clock's ticket; returns the actions."""
    from helpdesk.services import sla

    ticket = clock.ticket
    actions = list(ticket.client.escalation or ["notify_supervisors"])
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
            data["from_assignee"] = ticket.assignee_id
            ticket.assignee = None
            ticket.assignee_id = None
            session.add(
                TicketEvent(
                    ticket=ticket,
                    kind="assigned",
                    at=now,
                    data={"old": data["from_assignee"], "new": None, "why": "escalation"},
                )
            )
        session.add(TicketEvent(ticket=ticket, kind="escalated", at=now, data=data))
    ticket.updated_at = now
    return actions
