"""JSON shapes of tickets, messages and SLA clocks: the HTTP API, Socket.IO pushes and the
client's data export share these (the export adds its own fields around the same core)."""

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


TICKET_FIELDS = ("subject", "body", "status", "priority", "channel", "locale", "category")
CLOCK_FIELDS = ("metric", "cycle", "state", "target_minutes")
MESSAGE_FIELDS = ("kind", "internal", "channel", "body", "client_msg_id")


def ticket_core(ticket) -> dict:
    """What every ticket shape says of the ticket itself, from a Ticket or a selected row."""
    core = {name: getattr(ticket, name) for name in TICKET_FIELDS}
    core["created_at"] = iso(ticket.created_at)
    core["updated_at"] = iso(ticket.updated_at)
    return core


def clock_core(clock) -> dict:
    """What every shape of an SLA clock says, from a SlaClock or a selected row."""
    core = {name: getattr(clock, name) for name in CLOCK_FIELDS}
    for name in ("started_at", "due_at", "fulfilled_at"):
        core[name] = iso(getattr(clock, name))
    return core


def message_core(message) -> dict:
    """What every shape of a thread entry says, from a Message or a selected row."""
    core = {"id": message.id, **{name: getattr(message, name) for name in MESSAGE_FIELDS}}
    core["created_at"] = iso(message.created_at)
    return core


def ticket_json(ticket: Ticket) -> dict:
    """The ticket as API.md defines it (without messages)."""
    return {
        "id": ticket.id,
        "reference": ticket.reference,
        "client": ticket.client.slug,
        **ticket_core(ticket),
        "requester": user_ref(ticket.requester),
        "assignee": assignee_ref(ticket.assignee),
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
        **clock_core(clock),
        "breached": clock.breached_at is not None,
        "paused": clock.paused_since is not None,
    }


def message_json(message: Message) -> dict:
    """A thread entry as the API and Socket.IO show it."""
    author = message.author
    return {
        **message_core(message),
        "ticket_id": message.ticket_id,
        "author": ({"id": author.id, "name": author.name, "role": author.role} if author else None),
    }
