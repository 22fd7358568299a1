"""Routing use cases: route at intake, preview, take, pick up waiting tickets, hand off.

Agents and their loads come from one query (`agent_views`); the pure domain in
`helpdesk.domain.routing` chooses. Assignments that can race (taking, pickup,
handoff) are conditional updates, so two processes or two agents never both win.
"""

from __future__ import annotations

import functools
import json
from dataclasses import replace
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
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

from helpdesk.describe import handoff_note
from helpdesk.domain.calendar import BusinessCalendar
from helpdesk.domain.coverage import Coverage, week_coverage
from helpdesk.domain.routing import AgentView, Decision, Need, choose
from helpdesk.i18n import normalize_locale
from helpdesk.models import (
    AgentLanguage,
    AgentSkill,
    Client,
    Message,
    Site,
    Ticket,
    TicketEvent,
    User,
    agent_clients,
)
from helpdesk.realtime import publish
from helpdesk.services.errors import Conflict, Forbidden

ACTIVE_STATUSES = ("new", "open")  # what counts as load, and what a handoff moves
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
def _agent_query(by_client: bool, by_ids: bool, by_need: bool, by_skill: bool, available: bool):
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
        # A union, not OR: each side uses its index, so only the client's agents are read.
        serving = union(
            select(agent_clients.c.user_id).where(
                agent_clients.c.client_id == bindparam("client_id")
            ),
            select(User.id).where(User.serves_all_clients.is_(true())),
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
    if available:
        stmt = stmt.where(User.presence == "online", load < User.capacity)
    return stmt


def agent_views(
    session: Session,
    *,
    client_id: int | None = None,
    agent_ids=None,
    need: Need | None = None,
    available: bool = False,
) -> tuple[list[AgentView], dict[str, int]]:
    """Active agents (serving `client_id`, if given) with load and lists, in one query.

    With `need`, only agents who speak its language and have its skill; with
    `available`, only those online and under capacity. Returns the views and a map of
    site slug -> site id.
    """
    if agent_ids is not None and not agent_ids:
        return [], {}
    by_skill = need is not None and need.skill is not None
    stmt = _agent_query(
        client_id is not None, agent_ids is not None, need is not None, by_skill, available
    )
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
    for row in session.execute(stmt, params):
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


def _note(decision: Decision) -> dict:
    return {"code": decision.reason, "params": decision.reason_params}


def _event(session, ticket, kind, now, actor=None, **data) -> None:
    session.add(TicketEvent(ticket=ticket, kind=kind, actor=actor, at=now, data=data))


def load_decision(session: Session, decision: Decision, sites: dict[str, int]) -> None:
    """Bring the decision's agent and site into the session, so applying it reads nothing."""
    if decision.agent is not None:
        session.get(User, decision.agent.id)
    if decision.site in sites:
        session.get(Site, sites[decision.site])


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
    ticket.routing_note = _note(decision)
    ticket.site = session.get(Site, sites[decision.site]) if decision.site in sites else None
    _event(
        session,
        ticket,
        "routed",
        now,
        actor,
        why=why,
        summary=decision.summary(),
        **_note(decision),
    )
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
        _event(session, ticket, "assigned", now, actor, old=old, new=new, why=why)
    ticket.updated_at = now


def live_decision(session: Session, need: Need, now: datetime) -> tuple[Decision, dict]:
    """The live decision for a need, and the site map.

    SQL narrows the agents to those who serve the client, speak the language, have the
    skill and are online with room, so a desk of 10,000 agents costs about what one of
    100 does; only the shift check is left to the domain. When none of them is on
    shift, a second query brings every qualified agent, whatever their presence and
    load, to find the next shift that can pick the ticket up.
    """
    views, sites = agent_views(session, client_id=need.client_id, need=need, available=True)
    decision = choose(views, need, now, live=True)
    if decision.agent is None:
        views, sites = agent_views(session, client_id=need.client_id, need=need)
        decision = choose(views, need, now, live=True)
    return decision, sites


def route_ticket(
    session: Session, ticket: Ticket, *, now: datetime, why: str = "created", actor=None
) -> Decision:
    """Route a ticket now: to the best available agent, or to the queue of the next shift."""
    decision, sites = live_decision(session, need_of(ticket), now)
    apply_decision(session, ticket, decision, sites, now=now, why=why, actor=actor)
    return decision


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
    from helpdesk.services.scope import agent_serves

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
    _event(session, ticket, "assigned", now, agent, old=None, new=agent.id, why="taken")
    session.commit()
    publish.ticket_changed(ticket, "assigned")
    publish.ticket_assigned(ticket)
    return ticket


def _urgency_order():
    due = Ticket.next_due_at
    rank = case(PRIORITY_RANK, value=Ticket.priority, else_=9)
    return [due.is_(None), due, rank, Ticket.created_at, Ticket.id]


def pickup(session: Session, *, now: datetime, limit: int = 200) -> list[tuple[int, int]]:
    """Assign waiting tickets to available agents, most urgent first; (ticket, agent) pairs."""
    views, sites = agent_views(session)
    available = {
        v.id: v
        for v in views
        if v.presence == "online" and v.load < v.capacity and v.shift and v.shift.is_open(now)
    }
    if not available:
        return []
    served_all = any(v.serves_all for v in available.values())
    clients = set().union(*(v.clients for v in available.values()))
    stmt = select(Ticket).where(Ticket.assignee_id.is_(None), Ticket.status.in_(ACTIVE_STATUSES))
    if not served_all:
        stmt = stmt.where(Ticket.client_id.in_(clients))
    waiting = session.scalars(stmt.order_by(*_urgency_order()).limit(limit)).all()
    done = []
    for ticket in waiting:
        decision = choose(available.values(), need_of(ticket), now, live=True)
        if decision.agent is None:
            continue
        won = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.assignee_id.is_(None))
            .values(assignee_id=decision.agent.id),
            execution_options={"synchronize_session": False},
        ).rowcount
        if not won:
            continue
        ticket.assignee_id = None  # let apply_decision record old -> new
        apply_decision(session, ticket, decision, sites, now=now, why="pickup")
        view = decision.agent
        available[view.id] = replace(view, load=view.load + 1, last_assigned_at=now)
        if available[view.id].load >= view.capacity:
            del available[view.id]
        done.append((ticket.id, view.id))
        if not available:
            break
    session.commit()
    for ticket in waiting:
        if any(ticket.id == t for t, _a in done):
            publish.ticket_changed(ticket, "assigned")
            publish.ticket_assigned(ticket)
    return done


def handoff(session: Session, *, now: datetime, limit: int = 500) -> list[int]:
    """Re-route open tickets of agents who are off shift or offline, most urgent first."""
    owners = session.scalars(
        select(Ticket.assignee_id)
        .where(Ticket.assignee_id.is_not(None), Ticket.status.in_(ACTIVE_STATUSES))
        .distinct()
    ).all()
    if not owners:
        return []
    owner_views, _ = agent_views(session, agent_ids=owners)
    gone = {
        v.id
        for v in owner_views
        if v.presence == "offline" or v.shift is None or not v.shift.is_open(now)
    }
    # Agents who were deactivated are gone too.
    gone |= set(owners) - {v.id for v in owner_views}
    if not gone:
        return []
    tickets = session.scalars(
        select(Ticket)
        .where(Ticket.assignee_id.in_(gone), Ticket.status.in_(ACTIVE_STATUSES))
        .order_by(*_urgency_order())
        .limit(limit)
    ).all()
    views, sites = agent_views(session)
    pool = {v.id: v for v in views if v.id not in gone}
    moved = []
    for ticket in tickets:
        previous = ticket.assignee
        decision = choose(pool.values(), need_of(ticket), now, live=True)
        won = session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.assignee_id == previous.id)
            .values(updated_at=now),
            execution_options={"synchronize_session": False},
        ).rowcount
        if not won:
            continue
        apply_decision(session, ticket, decision, sites, now=now, why="handoff")
        session.add(
            Message(
                ticket=ticket,
                author=None,
                kind="system",
                internal=True,
                channel="portal",
                created_at=now,
                body=_stored_text(handoff_note, previous.name, _note(decision)),
            )
        )
        _event(
            session,
            ticket,
            "handed_off",
            now,
            None,
            old=previous.id,
            new=decision.agent.id if decision.agent else None,
            **_note(decision),
        )
        if decision.agent is not None:
            view = decision.agent
            pool[view.id] = replace(view, load=view.load + 1, last_assigned_at=now)
        moved.append(ticket.id)
    session.commit()
    for ticket in tickets:
        if ticket.id in moved:
            publish.ticket_changed(ticket, "handed_off")
            publish.ticket_assigned(ticket)
    return moved


def _stored_text(render, *args) -> str:
    # Stored notes are documents: written once, in the desk's default language.
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        return render(*args)


def set_presence(session: Session, agent: User, status: str, *, now: datetime) -> None:
    """Store an agent's presence, tell agents and admins, and pick up work when online."""
    agent.presence = status
    agent.presence_at = now
    agent.last_seen_at = now
    session.commit()
    publish.emit(
        "presence",
        {"agent": {"id": agent.id, "name": agent.name}, "status": status},
        to=publish.rooms.agents_room(),
    )


def mark_idle_agents_away(session: Session, *, now: datetime, idle: timedelta) -> list[int]:
    """Online agents not seen for `idle` become away (they stop receiving new tickets)."""
    ids = session.scalars(
        select(User.id).where(
            User.role == "agent",
            User.presence == "online",
            or_(User.last_seen_at.is_(None), User.last_seen_at < now - idle),
        )
    ).all()
    for agent_id in ids:
        agent = session.get(User, agent_id)
        set_presence(session, agent, "away", now=now)
    return list(ids)


def touch(session: Session, agent: User, *, now: datetime) -> None:
    """Note that an agent is active; writes at most once a minute."""
    if agent.role == "agent" and (
        agent.last_seen_at is None or now - agent.last_seen_at > timedelta(minutes=1)
    ):
        agent.last_seen_at = now
        session.commit()
