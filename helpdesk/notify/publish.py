"""The one adapter through which services tell connected clients what changed.

Called after the transaction commits, so nobody hears of a change that was rolled
back. With a message queue configured, emits reach every server process.
"""

from __future__ import annotations

import logging

from helpdesk.describe import routing_reason
from helpdesk.extensions import socketio
from helpdesk.i18n import desk_language
from helpdesk.models import Message, Ticket
from helpdesk.notify import rooms
from helpdesk.serializers import iso, message_json, ticket_json

log = logging.getLogger(__name__)


def emit(event: str, payload: dict, *, to: str | list[str]) -> None:
    """Emit to one or more rooms; a delivery failure never undoes the stored change."""
    try:
        socketio.emit(event, payload, to=to)
    except Exception:  # the state change is committed; losing a live push is logged
        log.exception("could not publish %s", event)


def ticket_payload(ticket: Ticket, ticket_data: dict | None = None) -> dict:
    """The ticket JSON as Socket.IO sends it to everyone in its rooms.

    Receivers speak different languages, so the routing reason is not said in the language
    of whoever caused the change: it is rendered in the desk's default language and UTC,
    and its code and parameters go along for clients to say it in their own. Pages
    re-render what they show from the server, in each viewer's language.
    """
    with desk_language():
        data = dict(ticket_data or ticket_json(ticket))
        routing = dict(data.get("routing") or {})
        routing["reason"] = routing_reason(ticket.routing_note)
    note = ticket.routing_note if isinstance(ticket.routing_note, dict) else {}
    routing["reason_code"] = note.get("code")
    routing["reason_params"] = note.get("params") or {}
    data["routing"] = routing
    return data


def message_added(ticket: Ticket, message: Message, message_data: dict | None = None) -> None:
    """A new thread entry: public ones to the ticket room, notes to staff only.

    `message_data` is the message's JSON when the caller has built it already.
    """
    payload = {"ticket_id": ticket.id, "message": message_data or message_json(message)}
    room = rooms.ticket_staff_room(ticket.id) if message.internal else rooms.ticket_room(ticket.id)
    emit("message", payload, to=room)


def ticket_changed(ticket: Ticket, why: str, ticket_data: dict | None = None) -> None:
    """A ticket was created or changed: its room, the agents' queue and its client's supervisors.

    `ticket_data` is the ticket's JSON when the caller has built it already.
    """
    payload = {"ticket": ticket_payload(ticket, ticket_data), "change": why}
    targets = [
        rooms.ticket_room(ticket.id),
        rooms.client_queue_room(ticket.client_id),
        rooms.all_queues_room(),
        rooms.supervisors_room(ticket.client_id),
    ]
    emit("ticket_updated", payload, to=targets)


def ticket_assigned(ticket: Ticket) -> None:
    """Tell the assignee a ticket is theirs."""
    if ticket.assignee_id:
        emit(
            "ticket_assigned",
            {"ticket": ticket_payload(ticket)},
            to=rooms.user_room(ticket.assignee_id),
        )


def sla_alert(kind: str, clock) -> None:
    """`sla_warning` or `sla_breach` to the assignee and the client's supervisors."""
    ticket = clock.ticket
    payload = {
        "ticket_id": ticket.id,
        "reference": ticket.reference,
        "metric": clock.metric,
        "due_at": iso(clock.due_at),
    }
    targets = [rooms.supervisors_room(ticket.client_id), rooms.ticket_staff_room(ticket.id)]
    if ticket.assignee_id:
        targets.append(rooms.user_room(ticket.assignee_id))
    emit(kind, payload, to=targets)
