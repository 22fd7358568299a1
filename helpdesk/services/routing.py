"""Routing use cases: route at intake, preview, coverage, take a waiting ticket.

Agents and their loads come from one query (`agent_views`); the pure domain in
`helpdesk.domain.routing` chooses. Taking a ticket is a conditional update, so two agents
never both win; handoffs and pickups at run time live in `services/follow_the_sun.py`.
"""

from __future__ import annotations

import functools
import json
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    String,
    bindparam,
    case,
    cast,
    func,
    or_,
    select,
    true,
    union,
    update,
)
from sqlalchemy.orm import Session

from helpdesk.domain.calendar import BusinessCalendar
from helpdesk.domain.coverage import Coverage, week_coverage
from helpdesk.domain.routing import AgentView, Decision, Need, choose
from helpdesk.i18n import normalize_locale
from helpdesk.models import (
    ACTIVE_STATUSES,
    STAFF_REALM,
    AgentLanguage,
    AgentSkill,
    Client,
    Site,
    Ticket,
    TicketEvent,
    User,
    agent_clients,
)
from helpdesk.notify import publish
from helpdesk.services import world_cache
from helpdesk.services.errors import Conflict, Forbidden
from helpdesk.services.scope import agent_serves

PRIORITY_RANK = {"urgent": 0, "high": 1, "normal": 2, "low": 3}


@functools.lru_cache(maxsize=1024)
def _calendar(timezone: str, hours: str, holidays: tuple[str, ...]) -> BusinessCalendar | None:
    spec = json.loads(hours)
    if not any(spec.values()):
        return None
    return BusinessCalendar.from_spec(timezone, spec, list(holidays))


def shift_calendar(
    site_timezone: str | None, shifts: dict | None, holidays: list | None, override: dict | None
) -> BusinessCalendar | None:
    """An agent's shifts: their own override, else their site's; None if they have none."""
    if override:
        return _calendar(
            override.get("timezone", site_timezone or "UTC"),
            json.dumps(override.get("hours", {}), sort_keys=True),
            tuple(sorted(override.get("holidays", []))),
        )
    if site_timezone is None:
        return None
    return _calendar(
        site_timezone, json.dumps(shifts or {}, sort_keys=True), tuple(sorted(holidays or []))
    )


def _strings(column, owner):
    return (
        select(func.aggregate_strings(column, ","))
        .where(owner == User.id)
        .correlate(User)
        .scalar_subquery()
    )


def _speaks():
    """SQL: the agent speaks :exact, :base, or a :base_... locale (the domain's language_fit).

    Stored languages and ticket locales are both normalised (`normalize_locale`), so plain
    comparisons match and the (user_id, language) key answers them per agent.
    """
    spoken = AgentLanguage.language
    return (
        select(AgentLanguage.user_id)
        .where(
            AgentLanguage.user_id == User.id,
            or_(
                spoken == bindparam("exact"),
                spoken == bindparam("base"),
                spoken.like(bindparam("prefix"), escape="/"),
            ),
        )
        .correlate(User)
        .exists()
    )


@functools.lru_cache(maxsize=64)
def _agent_query(by_client: bool, by_ids: bool, by_need: bool, by_skill: bool):
    """The agent query for one combination of filters, built once; values come as parameters.

    Building and cache-keying this statement per call cost more than running it.
    """
    load = (
        select(func.count())
        .where(Ticket.assignee_id == User.id, Ticket.status.in_(ACTIVE_STATUSES))
        .correlate(User)
        .scalar_subquery()
    )
    # For one need the query already checked the client and the skill: skip those lists.
    narrow = by_need and by_client
    skills_col = (
        bindparam("skill_text") if narrow else _strings(AgentSkill.skill, AgentSkill.user_id)
    )
    clients_col = (
        bindparam("client_text")
        if narrow
        else _strings(cast(agent_clients.c.client_id, String), agent_clients.c.user_id)
    )
    stmt = (
        select(
            User.id,
            User.name,
            User.capacity,
            User.serves_all_clients,
            User.presence,
            User.last_assigned_at,
            User.shift_override,
            Site.id.label("site_id"),
            Site.slug,
            Site.timezone,
            Site.shifts,
            Site.holidays,
            load,
            _strings(AgentLanguage.language, AgentLanguage.user_id),
            skills_col,
            clients_col,
        )
        .outerjoin(Site, Site.id == User.site_id)
        .where(User.role == "agent", User.active.is_(true()))
    )
    if by_client:
        # A union, not OR: each side uses its index, so only the client's agents are read
        # (staff are realm 0 of the (realm, email) key: the customers are never scanned).
        serving = union(
            select(agent_clients.c.user_id).where(
                agent_clients.c.client_id == bindparam("client_id")
            ),
            select(User.id).where(User.realm == STAFF_REALM, User.serves_all_clients.is_(true())),
        )
        stmt = stmt.where(User.id.in_(serving))
    if by_ids:
        stmt = stmt.where(User.id.in_(bindparam("agent_ids", expanding=True)))
    if by_need:
        stmt = stmt.where(_speaks())
        if by_skill:
            has_skill = select(AgentSkill.user_id).where(
                AgentSkill.user_id == User.id, AgentSkill.skill == bindparam("skill")
            )
            stmt = stmt.where(has_skill.correlate(User).exists())
    return stmt


def agent_views(
    session: Session,
    *,
    client_id: int | None = None,
    agent_ids=None,
    need: Need | None = None,
) -> tuple[list[AgentView], dict[str, int]]:
    """Active agents (serving `client_id`, if given) with load and lists, in one query.

    With `need`, only agents who speak its language and have its skill. Returns the views
    and a map of site slug -> site id.
    """
    if agent_ids is not None and not agent_ids:
        return [], {}
    by_skill = need is not None and need.skill is not None
    stmt = _agent_query(client_id is not None, agent_ids is not None, need is not None, by_skill)
    params: dict = {}
    if client_id is not None:
        params.update(client_id=client_id, client_text=str(client_id))
    if agent_ids is not None:
        params["agent_ids"] = list(agent_ids)
    if need is not None:
        exact = normalize_locale(need.locale) or need.locale
        base = exact.split("_", 1)[0]
        params.update(exact=exact, base=base, prefix=base + "/_%", skill_text=need.skill or "")
        if by_skill:
            params["skill"] = need.skill
    views, sites = [], {}
    if session.autoflush:  # what session.execute would do first
        session.flush()
    # On the connection: plain columns need none of the ORM's execution path.
    for row in session.connection().execute(stmt, params):
        (
            agent_id,
            name,
            capacity,
            serves_all,
            presence,
            last_assigned,
            override,
            site_id,
            slug,
            timezone,
            shifts,
            holidays,
            count,
            languages,
            skills,
            clients,
        ) = row
        if site_id is not None:
            sites[slug] = site_id
        views.append(
            AgentView(
                id=agent_id,
                name=name,
                site=slug,
                shift=shift_calendar(timezone, shifts, holidays, override),
                languages=frozenset((languages or "").split(",")) - {""},
                skills=frozenset((skills or "").split(",")) - {""},
                serves_all=serves_all,
                clients=frozenset(int(c) for c in (clients or "").split(",") if c),
                capacity=capacity,
                load=count,
                presence=presence,
                last_assigned_at=last_assigned,
            )
        )
    return views, sites


def need_of(ticket: Ticket) -> Need:
    """What the ticket asks of its agent."""
    return Need(
        client_id=ticket.client.id,
        locale=ticket.locale,
        skill=ticket.category,
        priority=ticket.priority,
    )


def note_of(decision: Decision) -> dict:
    """A decision as stored on tickets and events: its reason code and parameters."""
    return {"code": decision.reason, "params": decision.reason_params}


def record(session, ticket, kind, now, actor=None, **data) -> None:
    """Add one routing event to the ticket (inside the caller's transaction)."""
    session.add(TicketEvent(ticket=ticket, kind=kind, actor=actor, at=now, data=data))


def load_decision(session: Session, decision: Decision, sites: dict[str, int]) -> None:
    """Bring the decision's agent and site into the session, so applying it reads nothing."""
    if decision.agent is not None:
        session.get(User, decision.agent.id)
    if decision.site in sites:
        world_cache.site(session, sites[decision.site])


def apply_decision(
    session: Session,
    ticket: Ticket,
    decision: Decision,
    sites: dict[str, int],
    *,
    now: datetime,
    why: str,
    actor: User | None = None,
) -> None:
    """Store a decision on the ticket (assignee or queue site) with its events."""
    for kind, data in store_decision(session, ticket, decision, sites, now=now, why=why):
        record(session, ticket, kind, now, actor, **data)


def store_decision(
    session: Session,
    ticket: Ticket,
    decision: Decision,
    sites: dict[str, int],
    *,
    now: datetime,
    why: str,
) -> list[tuple[str, dict]]:
    """Store a decision on the ticket; returns its events (kind, data) for the caller to add."""
    ticket.routing_note = note_of(decision)
    ticket.site = (
        world_cache.site(session, sites[decision.site]) if decision.site in sites else None
    )
    events = [("routed", {"why": why, "summary": decision.summary(), **note_of(decision)})]
    old = ticket.assignee_id
    if decision.agent is not None:
        agent = session.get(User, decision.agent.id)
        ticket.assignee = agent
        ticket.expected_pickup_at = None
        agent.last_assigned_at = now
    else:
        ticket.assignee = None
        ticket.expected_pickup_at = decision.expected_pickup_at
    new = decision.agent.id if decision.agent else None
    if new != old:
        events.append(("assigned", {"old": old, "new": new, "why": why}))
    ticket.updated_at = now
    return events


def live_decision(session: Session, need: Need, now: datetime) -> tuple[Decision, dict]:
    """The live decision for a need, and the site map, from one indexed query.

    SQL narrows the agents to those who serve the client, speak the language and have the
    skill (with their load), so a desk of 10,000 agents costs about what one of 100 does;
    the domain checks presence, room and shifts, and without anyone eligible finds the
    next shift that can pick the ticket up among the same agents.
    """
    views, sites = agent_views(session, client_id=need.client_id, need=need)
    return choose(views, need, now, live=True), sites


def preview(
    session: Session,
    *,
    client: Client,
    locale: str,
    skill: str | None,
    priority: str,
    at: datetime | None,
    now: datetime,
) -> Decision:
    """Who would get such a ticket: now with presence and load, or planned at `at` from shifts."""
    need = Need(client_id=client.id, locale=locale, skill=skill, priority=priority)
    if at is None:
        return live_decision(session, need, now)[0]
    views, _sites = agent_views(session, client_id=client.id)
    return choose(views, need, at, live=False)


def coverage(session: Session, *, client: Client, locale: str, week_of) -> Coverage:
    """Hourly coverage of a client and locale over a week (Monday, UTC)."""
    views, _sites = agent_views(session, client_id=client.id)
    return week_coverage(views, client.id, locale, week_of)


def take_ticket(session: Session, ticket: Ticket, agent: User, *, now: datetime) -> Ticket:
    """Assign a waiting ticket to the agent taking it; exactly one of two at once wins."""
    if not agent_serves(agent, ticket.client_id):
        raise Forbidden(_l("Only agents serving this client can take its tickets."))
    if ticket.assignee_id == agent.id:
        return ticket
    won = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None))
        .values(
            assignee_id=agent.id, site_id=agent.site_id, expected_pickup_at=None, updated_at=now
        ),
        execution_options={"synchronize_session": False},
    ).rowcount
    if not won:
        session.rollback()
        session.refresh(ticket)
        raise Conflict(
            _l(
                "%(name)s already took this ticket.",
                name=ticket.assignee.name if ticket.assignee else "?",
            ),
            code="already_taken",
        )
    session.refresh(ticket)
    agent.last_assigned_at = now
    record(session, ticket, "assigned", now, agent, old=None, new=agent.id, why="taken")
    session.commit()
    publish.ticket_changed(ticket, "assigned")
    publish.ticket_assigned(ticket)
    return ticket


def urgency_order():
    """ORDER BY terms for "most urgent first": time to breach, then priority, then age."""
    due = Ticket.next_due_at
    rank = case(PRIORITY_RANK, value=Ticket.priority, else_=9)
    return [due.is_(None), due, rank, Ticket.created_at, Ticket.id]
