"""The shift change outlook: the next handoff per site, what moved lately, and the tickets a
coming shift end will leave with nobody eligible.

Scoped like everything else: a supervisor's outlook counts only their client's tickets and the
agents serving it; an admin's (client None) the whole desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from helpdesk.domain.routing import AgentView, choose
from helpdesk.models import ACTIVE_STATUSES, Site, Ticket, TicketEvent
from helpdesk.services.routing import agent_views, need_of, urgency_order

HORIZON = timedelta(hours=24)  # shift ends looked ahead, and handoffs looked back
RECENT_MAX = 50
STRANDED_SCAN_MAX = 500


@dataclass(frozen=True)
class Person:
    """An agent as the page shows them: name, presence and open tickets (in scope)."""

    id: int
    name: str
    presence: str
    open_tickets: int


@dataclass(frozen=True)
class SiteChange:
    """One site's next handoff: who goes off when, with how much open work; who comes on."""

    slug: str
    name: str
    timezone: str
    on_shift: tuple[Person, ...]
    ends_at: datetime | None
    leaving: tuple[Person, ...]
    next_on_at: datetime | None
    coming: tuple[Person, ...]

    @property
    def open_tickets(self) -> int:
        """Open tickets of the agents who leave at the next shift end (they will move)."""
        return sum(p.open_tickets for p in self.leaving)


@dataclass(frozen=True)
class Stranded:
    """An open ticket whose owner leaves at `leaves_at` with nobody eligible to take it then."""

    ticket: Ticket
    owner: str
    leaves_at: datetime
    site: str | None  # the queue it will wait in; None: no shift ever covers it
    pickup_at: datetime | None


@dataclass(frozen=True)
class Outlook:
    """The shift change page's content."""

    sites: list[SiteChange]
    recent: list[TicketEvent]
    stranded: list[Stranded]
    site_names: dict[str, str]


def outlook(session: Session, *, client_id: int | None, now: datetime) -> Outlook:
    """The next handoffs per site, the handoffs of the last day and the tickets left stranded."""
    views, _sites = agent_views(session, client_id=client_id)
    loads = _open_tickets(session, client_id)
    rows = session.execute(select(Site.slug, Site.name, Site.timezone).order_by(Site.name)).all()
    site_names = {slug: name for slug, name, _zone in rows}
    changes = []
    for slug, name, zone in rows:
        agents = [v for v in views if v.site == slug and v.shift is not None]
        if agents:
            changes.append(_site_change(slug, name, zone, agents, loads, now))
    changes.sort(key=lambda c: (c.ends_at is None, c.ends_at or now, c.name))
    return Outlook(
        sites=changes,
        recent=_recent(session, client_id, now),
        stranded=_stranded(session, client_id, views, now),
        site_names=site_names,
    )


def _person(view: AgentView, loads: dict[int, int]) -> Person:
    return Person(view.id, view.name, view.presence, loads.get(view.id, 0))


def _site_change(slug, name, zone, agents, loads, now) -> SiteChange:
    on = [v for v in agents if v.shift.is_open(now)]
    closings = {v.id: v.shift.next_closing(now) for v in on}
    ends_at = min((c for c in closings.values() if c is not None), default=None)
    leaving = [v for v in on if ends_at is not None and closings[v.id] == ends_at]
    # Who comes on next: the first opening, at or after the shift end, among the agents
    # who are not on shift until then (those starting exactly at the end included).
    after = ends_at or now
    staying = {v.id for v in on} - {v.id for v in leaving}
    openings = {v.id: v.shift.next_opening(after) for v in agents if v.id not in staying}
    next_on_at = min((t for t in openings.values() if t is not None), default=None)
    coming = [v for v in agents if next_on_at is not None and openings.get(v.id) == next_on_at]
    return SiteChange(
        slug=slug,
        name=name,
        timezone=zone,
        on_shift=tuple(_person(v, loads) for v in on),
        ends_at=ends_at,
        leaving=tuple(_person(v, loads) for v in leaving),
        next_on_at=next_on_at,
        coming=tuple(_person(v, loads) for v in coming),
    )


def _open_tickets(session: Session, client_id: int | None) -> dict[int, int]:
    stmt = (
        select(Ticket.assignee_id, func.count())
        .where(Ticket.assignee_id.is_not(None), Ticket.status.in_(ACTIVE_STATUSES))
        .group_by(Ticket.assignee_id)
    )
    if client_id is not None:
        stmt = stmt.where(Ticket.client_id == client_id)
    return dict(session.execute(stmt).all())


def _recent(session: Session, client_id: int | None, now: datetime) -> list[TicketEvent]:
    stmt = (
        select(TicketEvent)
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(TicketEvent.kind == "handed_off", TicketEvent.at >= now - HORIZON)
        .options(joinedload(TicketEvent.ticket).joinedload(Ticket.client))
        .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
        .limit(RECENT_MAX)
    )
    if client_id is not None:
        stmt = stmt.where(Ticket.client_id == client_id)
    return list(session.scalars(stmt))


def _stranded(
    session: Session, client_id: int | None, views: list[AgentView], now: datetime
) -> list[Stranded]:
    """Open tickets of agents whose shift ends within the horizon, planned at that instant.

    The plan ignores presence and load (as a routing preview with `at` does): a ticket is
    stranded when no other agent serving its client, speaking its language and having its
    skill is on shift when its owner leaves.
    """
    by_id = {v.id: v for v in views}
    leaves = {}
    for view in views:
        if view.shift is not None and view.shift.is_open(now):
            closing = view.shift.next_closing(now)
            if closing is not None and closing <= now + HORIZON:
                leaves[view.id] = closing
    if not leaves:
        return []
    stmt = (
        select(Ticket)
        .where(Ticket.assignee_id.in_(list(leaves)), Ticket.status.in_(ACTIVE_STATUSES))
        .options(joinedload(Ticket.client))
        .order_by(*urgency_order())
        .limit(STRANDED_SCAN_MAX)
    )
    if client_id is not None:
        stmt = stmt.where(Ticket.client_id == client_id)
    found = []
    for ticket in session.scalars(stmt):
        owner, at = ticket.assignee_id, leaves[ticket.assignee_id]
        # The owner is off shift at `at` (intervals exclude their end), so never eligible,
        # but their own next shift may be the one that picks the ticket up.
        decision = choose(views, need_of(ticket), at, live=False)
        if decision.agent is None:
            found.append(
                Stranded(ticket, by_id[owner].name, at, decision.site, decision.expected_pickup_at)
            )
    found.sort(key=lambda s: (s.leaves_at, s.ticket.id))
    return found
