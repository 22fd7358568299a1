"""The supervisor's live tiles as SQL counts: open work, tickets waiting for an agent, and
SLA breaches since local midnight, for one client (or every client an admin may see)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from helpdesk.domain.metrics import Period, zone
from helpdesk.models import ACTIVE_STATUSES, OPEN_STATUSES, STATUSES, Client, SlaClock, Ticket, User
from helpdesk.serializers import iso
from helpdesk.services.scope import client_visibility, ticket_visibility


def live_tiles(
    session: Session, viewer: User, client: Client | None, *, now: datetime, tz: str
) -> dict:
    """Counts for the tiles, as JSON: by status, open, waiting, and breaches today in `tz`."""
    unassigned = func.coalesce(func.sum(case((Ticket.assignee_id.is_(None), 1), else_=0)), 0)
    tickets = select(Ticket.status, func.count(Ticket.id), unassigned).where(
        ticket_visibility(viewer)
    )
    if client is not None:
        tickets = tickets.where(Ticket.client_id == client.id)
    by_status = dict.fromkeys(STATUSES, 0)
    waiting = 0
    for status, count, free in session.execute(tickets.group_by(Ticket.status)):
        by_status[status] = by_status.get(status, 0) + count
        if status in ACTIVE_STATUSES:
            waiting += int(free)

    local_today = now.astimezone(zone(tz)).date()
    today = Period(local_today, local_today, tz)
    breaches = select(func.count(SlaClock.id)).where(
        SlaClock.breached_at >= today.start, SlaClock.breached_at < today.end
    )
    if client is not None:
        breaches = breaches.where(SlaClock.client_id == client.id)
    else:
        breaches = breaches.where(
            SlaClock.client_id.in_(select(Client.id).where(client_visibility(viewer)))
        )
    return {
        "client": client.slug if client is not None else None,
        "tz": tz,
        "as_of": iso(now),
        "open": sum(by_status[s] for s in OPEN_STATUSES),
        "waiting": waiting,
        "breaches_today": session.scalar(breaches) or 0,
        "statuses": by_status,
    }
