"""Follow-the-sun at run time: hand off at shift end, pick up waiting work, idle agents away.

The scheduler tick runs `tick` in every server process; the job lease lets one process at a
time do the work, and its window (since the last run) says whose shift just ended.
Presence changes and falling loads call `hand_off` and `pickup` at once. Every move is a
conditional update on the ticket, so two processes never move one ticket twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from helpdesk.describe import handoff_note
from helpdesk.domain.routing import AgentView, Decision, choose
from helpdesk.models import ACTIVE_STATUSES, Message, Ticket, User
from helpdesk.notify import publish
from helpdesk.services import leases
from helpdesk.services.routing import (
    agent_views,
    apply_decision,
    need_of,
    note_of,
    record,
    urgency_order,
)

JOB = "follow_the_sun"
FIRST_WINDOW = timedelta(minutes=1)  # the first run ever looks back this far for shift ends
PICKUP_BATCH = 200
PICKUP_SCAN_MAX = 5_000  # waiting tickets looked at per pickup, most urgent first


@dataclass
class TickResult:
    """What one run of the routing jobs did (`skipped`: another process held the job)."""

    handed_off: list[int] = field(default_factory=list)
    picked_up: list[tuple[int, int]] = field(default_factory=list)
    idle_away: list[int] = field(default_factory=list)
    skipped: bool = False

    def counts(self) -> dict[str, int]:
        """Counts for logs and `flask routing tick`."""
        return {
            "handed_off": len(self.handed_off),
            "picked_up": len(self.picked_up),
            "idle_away": len(self.idle_away),
        }


@dataclass(frozen=True)
class PresenceChange:
    """What an agent's change of presence moved: tickets handed away and tickets picked up."""

    handed_off: list[int]
    picked_up: list[tuple[int, int]]


def tick(session: Session, *, now: datetime, idle: timedelta, hold: timedelta) -> TickResult:
    """Run the routing jobs once, unless another process is running them right now.

    Order matters: idle agents go away first (away agents keep their tickets but get no
    new ones), then shift ends hand off, then waiting tickets (those just handed to a queue
    included) are picked up by whoever is available.
    """
    held = leases.claim(session, JOB, now=now, hold=hold)
    if held is None:
        return TickResult(skipped=True)
    since = held.last_run_at or now - FIRST_WINDOW
    result, ran_until = TickResult(), None
    try:
        result.idle_away = mark_idle_agents_away(session, now=now, idle=idle)
        result.handed_off = hand_off(
            session, owners=shift_enders(session, since=since, now=now), now=now
        )
        result.picked_up = pickup(session, now=now)
        ran_until = now
    finally:
        session.rollback()  # nothing is pending after a clean run; after a failure, undo it
        leases.release(session, held, ran_until=ran_until)
    return result


def shift_enders(session: Session, *, since: datetime, now: datetime) -> dict[int, str]:
    """Owners of open tickets whose shift ended in (since, now], and deactivated owners.

    An owner on shift again at `now` (overlapping or back-to-back intervals) keeps their
    tickets. Agents without any shift never "end" one: what was assigned to them stays.
    """
    owners = set(
        session.scalars(
            select(Ticket.assignee_id)
            .where(Ticket.assignee_id.is_not(None), Ticket.status.in_(ACTIVE_STATUSES))
            .distinct()
        )
    )
    if not owners:
        return {}
    views, _sites = agent_views(session, agent_ids=owners)
    ended = {owner: "inactive" for owner in owners - {v.id for v in views}}
    if since >= now:
        return ended
    for view in views:
        shift = view.shift
        if shift is None or shift.is_open(now):
            continue
        opening = shift.next_opening(since)
        if shift.is_open(since) or (opening is not None and opening < now):
            ended[view.id] = "shift_end"
    return ended


def hand_off(
    session: Session,
    *,
    owners: Mapping[int, str],
    now: datetime,
    ticket_ids: Iterable[int] | None = None,
    limit: int = 500,
) -> list[int]:
    """Move the open tickets of `owners` (id -> cause) to agents eligible now, most urgent first.

    Nobody eligible: the ticket waits in the queue of the site whose next shift covers it,
    with its expected pickup time. Each moved ticket gets a handoff note and events.
    """
    if not owners:
        return []
    stmt = select(Ticket).where(
        Ticket.assignee_id.in_(list(owners)), Ticket.status.in_(ACTIVE_STATUSES)
    )
    if ticket_ids is not None:
        stmt = stmt.where(Ticket.id.in_(list(ticket_ids)))
    tickets = session.scalars(stmt.order_by(*urgency_order()).limit(limit)).all()
    if not tickets:
        return []
    views, sites = agent_views(session)
    pool = {v.id: v for v in views}
    names = dict(session.execute(select(User.id, User.name).where(User.id.in_(list(owners)))).all())
    moved = []
    for ticket in tickets:
        previous = ticket.assignee_id
        cause = owners[previous]
        decision = choose(pool.values(), need_of(ticket), now, live=True)
        if not _claim(session, ticket, previous, now):
            continue
        note = move(
            session,
            ticket,
            decision,
            sites,
            previous=(previous, names.get(previous, "?")),
            cause=cause,
            now=now,
        )
        _count_in(pool, decision, now, drop_full=False)
        moved.append((ticket, note))
    session.commit()
    for ticket, note in moved:
        publish.ticket_changed(ticket, "handed_off")
        publish.ticket_assigned(ticket)
        publish.message_added(ticket, note)  # the handoff note, to the staff following it
    return [ticket.id for ticket, _note in moved]


def reopened(session: Session, ticket: Ticket, *, now: datetime) -> list[int]:
    """A customer's reply reopened a ticket whose owner is off shift or offline: hand it off now.

    Pending tickets stay with their owner at a shift end; this is the moment they need
    someone who is at work. Owners without any shift (a manual assignment) keep it.
    """
    owner = ticket.assignee_id
    if owner is None or ticket.status not in ACTIVE_STATUSES:
        return []
    views, _sites = agent_views(session, agent_ids=[owner])
    if not views:
        cause = "inactive"
    elif views[0].presence == "offline":
        cause = "offline"
    elif views[0].shift is not None and not views[0].shift.is_open(now):
        cause = "shift_end"
    else:
        return []
    return hand_off(session, owners={owner: cause}, now=now, ticket_ids=[ticket.id])


def reroute(session: Session, ticket: Ticket, *, now: datetime) -> Decision | None:
    """A new routing decision for an assigned open ticket, its owner left out (SLA escalation).

    Inside the caller's transaction. When nobody else is eligible now the ticket stays
    with its owner (None): taking it away would only put it back in a queue the owner
    serves best.
    """
    previous = ticket.assignee
    if previous is None or ticket.status not in ACTIVE_STATUSES:
        return None
    views, sites = agent_views(session, client_id=ticket.client_id)
    decision = choose([v for v in views if v.id != previous.id], need_of(ticket), now, live=True)
    if decision.agent is None:
        return None
    move(
        session,
        ticket,
        decision,
        sites,
        previous=(previous.id, previous.name),
        cause="reroute",
        now=now,
    )
    return decision


def move(
    session: Session,
    ticket: Ticket,
    decision: Decision,
    sites: dict[str, int],
    *,
    previous: tuple[int, str],
    cause: str,
    now: datetime,
) -> Message:
    """Apply a handoff decision: the routing events, a `handed_off` event and the handoff note
    (returned, for the caller to push once it has committed)."""
    old_id, old_name = previous
    apply_decision(session, ticket, decision, sites, now=now, why="handoff")
    note = Message(
        ticket=ticket,
        author=None,
        kind="system",
        internal=True,
        channel="portal",
        created_at=now,
        body=_stored_text(old_name, note_of(decision), cause),
    )
    session.add(note)
    new = decision.agent.id if decision.agent else None
    record(
        session,
        ticket,
        "handed_off",
        now,
        None,
        old=old_id,
        new=new,
        cause=cause,
        **note_of(decision),
    )
    return note


def pickup(
    session: Session,
    *,
    now: datetime,
    agent_ids: Iterable[int] | None = None,
    limit: int = PICKUP_SCAN_MAX,
) -> list[tuple[int, int]]:
    """Assign waiting tickets to available agents (or only to `agent_ids`), most urgent first.

    Each agent takes what they qualify for up to their capacity. Returns (ticket, agent) pairs.
    """
    views, sites = agent_views(session, agent_ids=None if agent_ids is None else set(agent_ids))
    available = {v.id: v for v in views if _available(v, now)}
    if not available:
        return []
    stmt = select(Ticket).where(Ticket.assignee_id.is_(None), Ticket.status.in_(ACTIVE_STATUSES))
    if not any(v.serves_all for v in available.values()):
        stmt = stmt.where(
            Ticket.client_id.in_(set().union(*(v.clients for v in available.values())))
        )
    stmt = stmt.order_by(*urgency_order())
    done: list[tuple[Ticket, int]] = []
    left = scanned = 0  # `left`: tickets looked at that nobody available qualifies for
    while available and scanned < limit:
        # Assigned tickets leave the query's results, so the next page starts after `left`.
        batch = session.scalars(stmt.offset(left).limit(PICKUP_BATCH)).all()
        for ticket in batch:
            scanned += 1
            decision = choose(available.values(), need_of(ticket), now, live=True)
            if decision.agent is None or not _claim(session, ticket, None, now, decision.agent.id):
                left += 1
                continue
            ticket.assignee_id = None  # the update above took it; apply_decision records old -> new
            apply_decision(session, ticket, decision, sites, now=now, why="pickup")
            _count_in(available, decision, now, drop_full=True)
            done.append((ticket, decision.agent.id))
            if not available:
                break
        if len(batch) < PICKUP_BATCH:
            break
    session.commit()
    for ticket, _agent in done:
        publish.ticket_changed(ticket, "assigned")
        publish.ticket_assigned(ticket)
    return [(ticket.id, agent_id) for ticket, agent_id in done]


def set_presence(session: Session, agent: User, status: str, *, now: datetime) -> PresenceChange:
    """Store an agent's presence and tell staff; offline hands off at once, online picks up.

    Away keeps the agent's tickets (they get no new ones).
    """
    was = agent.presence
    agent.presence = status
    agent.presence_at = now
    agent.last_seen_at = now
    session.commit()
    publish.emit(
        "presence",
        {"agent": {"id": agent.id, "name": agent.name}, "status": status},
        to=publish.rooms.agents_room(),
    )
    moved: list[int] = []
    picked: list[tuple[int, int]] = []
    if status == "offline" and was != "offline":
        moved = hand_off(session, owners={agent.id: "offline"}, now=now)
    elif status == "online":
        picked = pickup(session, now=now, agent_ids=[agent.id])
    return PresenceChange(moved, picked)


def refill(
    session: Session, agent_ids: Iterable[int | None], *, now: datetime
) -> list[tuple[int, int]]:
    """Agents whose load just fell (a solve, a reassignment) pick up waiting work at once."""
    ids = {a for a in agent_ids if a is not None}
    return pickup(session, now=now, agent_ids=ids) if ids else []


def mark_idle_agents_away(session: Session, *, now: datetime, idle: timedelta) -> list[int]:
    """Online agents not seen for `idle` (no page, no socket activity) become away."""
    ids = session.scalars(
        select(User.id).where(
            User.role == "agent",
            User.presence == "online",
            or_(User.last_seen_at.is_(None), User.last_seen_at < now - idle),
        )
    ).all()
    for agent_id in ids:
        set_presence(session, session.get(User, agent_id), "away", now=now)
    return list(ids)


def touch(session: Session, agent: User, *, now: datetime) -> None:
    """Note that an agent is active (a page they asked for); writes at most once a minute."""
    if agent.role == "agent" and (
        agent.last_seen_at is None or now - agent.last_seen_at > timedelta(minutes=1)
    ):
        agent.last_seen_at = now
        session.commit()


def seen(session: Session, user_id: int, *, now: datetime) -> None:
    """Note socket activity of a user by id (the socket throttles its calls); agents only."""
    session.execute(
        update(User).where(User.id == user_id, User.role == "agent").values(last_seen_at=now),
        execution_options={"synchronize_session": False},
    )
    session.commit()


# -- internals -----------------------------------------------------------------------------------


def _available(view: AgentView, now: datetime) -> bool:
    return (
        view.presence == "online"
        and view.load < view.capacity
        and view.shift is not None
        and view.shift.is_open(now)
    )


def _claim(
    session: Session, ticket: Ticket, owner: int | None, now: datetime, new: int | None = None
) -> bool:
    """Take the ticket if its owner is still `owner` (None: unassigned); one process wins."""
    owned = Ticket.assignee_id.is_(None) if owner is None else Ticket.assignee_id == owner
    values: dict = {"updated_at": now}
    if new is not None:
        values["assignee_id"] = new
    won = session.execute(
        update(Ticket)
        .where(Ticket.id == ticket.id, owned, Ticket.status.in_(ACTIVE_STATUSES))
        .values(**values),
        execution_options={"synchronize_session": False},
    ).rowcount
    return bool(won)


def _count_in(
    pool: dict[int, AgentView], decision: Decision, now: datetime, *, drop_full: bool
) -> None:
    """The chosen agent carries one more ticket; `drop_full` takes a full one out of the pool."""
    view = decision.agent
    if view is None or view.id not in pool:
        return
    pool[view.id] = replace(view, load=view.load + 1, last_assigned_at=now)
    if drop_full and pool[view.id].load >= view.capacity:
        del pool[view.id]


def _stored_text(previous: str, note: dict, cause: str) -> str:
    # Stored notes are documents: written once, in the desk's default language. Pages show
    # the note from its `handed_off` event in each reader's own language instead.
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "en")):
        return handoff_note(previous, note, cause)
