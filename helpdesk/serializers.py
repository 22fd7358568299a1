"""JSON shapes of tickets and messages, shared by the HTTP API and Socket.IO events."""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk.describe import routing_reason
from helpdesk.models import Message, SlaClock, Ticket, User


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as the API promises."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def user_ref(user: User | None) -> dict | None:
    """A short reference to a user."""
    if user is None:
        return None
    return {"id": user.id, "email": user.email, "name": user.name}


def assignee_ref(user: User | None) -> dict | None:
    """The assignee as the ticket JSON shows it."""
    if user is None:
        return None
    return {"id": user.id, "name": user.name, "site": user.site.slug if user.site else None}


def ticket_json(ticket: Ticket) -> dict:
    """The ticket as API.md defines it (without messages)."""
    return {
        "id": ticket.id,
        "reference": ticket.reference,
        "client": ticket.client.slug,
        "subject": ticket.subject,
        "body": ticket.body,
        "status": ticket.status,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "locale": ticket.locale,
        "category": ticket.category,
        "requester": user_ref(ticket.requester),
        "assignee": assignee_ref(ticket.assignee),
        "created_at": iso(ticket.created_at),
        "updated_at": iso(ticket.updated_at),
        "routing": {
            "site": ticket.site.slug if ticket.site else None,
            "reason": routing_reason(ticket.routing_note),
            "expected_pickup_at": iso(ticket.expected_pickup_at),
        },
        "sla": sla_json(ticket),
    }


def sla_json(ticket: Ticket) -> list[dict]:
    """The ticket's SLA clocks; empty until the SLA engine has started any."""
    clocks = getattr(ticket, "sla_clocks", None) or []
    return [clock_json(clock) for clock in clocks]


def clock_json(clock: SlaClock) -> dict:
    """One SLA clock as the ticket JSON's `sla` array shows it."""
    return {
        "metric": clock.metric,
        "cycle": clock.cycle,
        "state": clock.state,
        "target_minutes": clock.target_minutes,
        "started_at": iso(clock.started_at),
        "due_at": iso(clock.due_at),
        "fulfilled_at": iso(clock.fulfilled_at),
        "breached": clock.breached_at is not None,
        "paused": clock.paused_since is not None,
    }


def message_json(message: Message) -> dict:
    """A thread entry as the API and Socket.IO show it."""
    author = message.author
    return {
        "id": message.id,
        "ticket_id": message.ticket_id,
        "author": ({"id": author.id, "name": author.name, "role": author.role} if author else None),
        "body": message.body,
        "internal": message.internal,
        "kind": message.kind,
        "channel": message.channel,
        "client_msg_id": message.client_msg_id,
        "created_at": iso(message.created_at),
    }
