"""GET /tickets's page as rows: the shown columns of the page's tickets and the people, client
and sites they name in one select, their SLA clocks in a second, whatever the page size."""

from __future__ import annotations

import json

from sqlalchemy import Select, select, union_all
from sqlalchemy.orm import Session, aliased

from helpdesk.describe import routing_reason
from helpdesk.models import Client, Site, SlaClock, Ticket, User
from helpdesk.serializers import CLOCK_FIELDS, TICKET_FIELDS, clock_core, iso, ticket_core
from helpdesk.services.scope import served_client_ids

NEWEST_FIRST = (Ticket.created_at.desc(), Ticket.id.desc())
# Up to this many clients, each client's newest are read apart and merged; past it (and for
# every client at once) the (created_at, id) index is read from its end.
MERGE_CLIENTS_MAX = 20

_requester = aliased(User, name="requester")
_assignee = aliased(User, name="assignee")
_assignee_site = aliased(Site, name="assignee_site")
_routed_site = aliased(Site, name="routed_site")

_COLUMNS = (
    Ticket.id,
    Ticket.number,
    *(getattr(Ticket, name) for name in TICKET_FIELDS),
    Ticket.created_at,
    Ticket.updated_at,
    Ticket.routing_note,
    Ticket.expected_pickup_at,
    Client.slug.label("client_slug"),
    _requester.id.label("requester_id"),
    _requester.email.label("requester_email"),
    _requester.name.label("requester_name"),
    _assignee.id.label("assignee_id"),
    _assignee.name.label("assignee_name"),
    _assignee_site.slug.label("assignee_site"),
    _routed_site.slug.label("routed_site"),
)
_CLOCK_COLUMNS = (
    SlaClock.ticket_id,
    *(getattr(SlaClock, name) for name in CLOCK_FIELDS),
    SlaClock.started_at,
    SlaClock.due_at,
    SlaClock.fulfilled_at,
    SlaClock.breached_at,
    SlaClock.paused_since,
)


def client_ids_of(session: Session, user: User, client: Client | None) -> list[int] | None:
    """The clients whose tickets `user` lists (None: every client, or a customer's own)."""
    if client is not None:
        return [client.id]
    if user.role == "supervisor":
        return [user.client_id]
    if user.role == "agent" and not user.serves_all_clients:
        return list(session.scalars(served_client_ids(user)))
    return None


def ticket_page(
    session: Session, stmt: Select, *, clients: list[int] | None, offset: int, limit: int
) -> list[dict]:
    """Tickets of `stmt` (a filtered ticket SELECT) newest first from `offset`, as API JSON.

    The same shape as `serializers.ticket_json`, built from selected columns rather than
    loaded objects: what the JSON does not show is never read. With `clients` known, each
    client's newest come from its (client_id, created_at) index and are merged, so a page
    never sorts all of a client's tickets.
    """
    ids = _page_ids(session, stmt, clients, offset=offset, limit=limit)
    if not ids:
        return []
    rows = session.execute(
        select(*_COLUMNS)
        .join(Client, Client.id == Ticket.client_id)
        .join(_requester, _requester.id == Ticket.requester_id)
        .outerjoin(_assignee, _assignee.id == Ticket.assignee_id)
        .outerjoin(_assignee_site, _assignee_site.id == _assignee.site_id)
        .outerjoin(_routed_site, _routed_site.id == Ticket.site_id)
        .where(Ticket.id.in_(ids))
        .order_by(*NEWEST_FIRST)
    ).all()
    clocks = _clocks_of(session, ids)
    reasons: dict[str, str | None] = {}  # notes repeat from ticket to ticket; say each once
    return [_ticket_json(row, clocks.get(row.id, []), reasons) for row in rows]


def _page_ids(
    session: Session, stmt: Select, clients: list[int] | None, *, offset: int, limit: int
) -> list[int]:
    ids = stmt.with_only_columns(Ticket.id, Ticket.created_at).order_by(*NEWEST_FIRST)
    if clients is None or len(clients) > MERGE_CLIENTS_MAX:
        paged = ids.offset(offset).limit(limit)
    else:
        if not clients:
            return []
        # Each part in its own subquery: SQLite allows no ORDER BY or LIMIT in a UNION's parts.
        parts = [
            select(part.c.id, part.c.created_at)
            for part in (
                ids.where(Ticket.client_id == client_id).limit(offset + limit).subquery()
                for client_id in clients
            )
        ]
        merged = union_all(*parts).subquery()
        paged = (
            select(merged.c.id)
            .order_by(merged.c.created_at.desc(), merged.c.id.desc())
            .offset(offset)
            .limit(limit)
        )
    return list(session.scalars(paged.with_only_columns(paged.selected_columns[0])))


def _clocks_of(session: Session, ticket_ids: list[int]) -> dict[int, list[dict]]:
    if not ticket_ids:
        return {}
    out: dict[int, list[dict]] = {}
    stmt = select(*_CLOCK_COLUMNS).where(SlaClock.ticket_id.in_(ticket_ids)).order_by(SlaClock.id)
    for clock in session.execute(stmt):
        out.setdefault(clock.ticket_id, []).append(
            {
                **clock_core(clock),
                "breached": clock.breached_at is not None,
                "paused": clock.paused_since is not None,
            }
        )
    return out


def _reason(note: dict | None, said: dict[str, str | None]) -> str | None:
    if not note:
        return routing_reason(note)
    key = json.dumps(note, sort_keys=True)
    if key not in said:
        said[key] = routing_reason(note)
    return said[key]


def _ticket_json(row, clocks: list[dict], reasons: dict[str, str | None]) -> dict:
    return {
        "id": row.id,
        "reference": f"{row.client_slug.upper()}-{row.number}",
        "client": row.client_slug,
        **ticket_core(row),
        "requester": {
            "id": row.requester_id,
            "email": row.requester_email,
            "name": row.requester_name,
        },
        "assignee": (
            {"id": row.assignee_id, "name": row.assignee_name, "site": row.assignee_site}
            if row.assignee_id is not None
            else None
        ),
        "routing": {
            "site": row.routed_site,
            "reason": _reason(row.routing_note, reasons),
            "expected_pickup_at": iso(row.expected_pickup_at),
        },
        "sla": clocks,
    }
