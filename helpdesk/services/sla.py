"""SLA use cases: start, pause, resume, fulfil and recompute clocks (the scan: sla_scan).

Clock changes happen inside the caller's transaction (ticket services call these
before they commit); every change is a TicketEvent. The scanner commits per clock
with conditional updates, so several processes can scan at once and each warning
and breach is written exactly once.
"""

from __future__ import annotations

import functools
import json
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select
from sqlalchemy.orm import Session, aliased, object_session
from sqlalchemy.orm.attributes import set_committed_value

from helpdesk.domain.calendar import BusinessCalendar
from helpdesk.domain.sla import business_minutes, clock_times
from helpdesk.models import (
    OPEN_STATUSES,
    Calendar,
    Message,
    SlaClock,
    SlaTarget,
    Ticket,
    TicketEvent,
)
from helpdesk.serializers import iso
from helpdesk.services import world_cache
from helpdesk.services.rows import insert_now

METRIC_FIELDS = {
    "first_response": "first_response",
    "next_response": "next_response",
    "resolution": "resolution",
}


@functools.lru_cache(maxsize=256)
def _calendar(timezone: str, hours_key: str, holidays_key: tuple[str, ...]) -> BusinessCalendar:
    return BusinessCalendar.from_spec(timezone, json.loads(hours_key), list(holidays_key))


def business_calendar(calendar: Calendar | None) -> BusinessCalendar:
    """The domain calendar for a stored one (None: 24x7), cached by content."""
    if calendar is None:
        return BusinessCalendar.always()
    return _calendar(
        calendar.timezone,
        json.dumps(calendar.hours, sort_keys=True),
        tuple(sorted(calendar.holidays or [])),
    )


def policy_target(session: Session, client_id: int, priority: str) -> SlaTarget | None:
    """The client's SLA targets for a priority, if it has any (with their calendar).

    Cached per process (services.world_cache): a filing or a batch of chat lines reads
    nothing for them.
    """
    return world_cache.sla_target(session, client_id, priority)


def _pauses(clock: SlaClock) -> list[tuple[datetime, datetime | None]]:
    return [
        (datetime.fromisoformat(a), datetime.fromisoformat(b) if b else None)
        for a, b in clock.pauses or []
    ]


def _set_pauses(clock: SlaClock, pauses) -> None:
    clock.pauses = [[iso(a), iso(b) if b else None] for a, b in pauses]


def _recompute(clock: SlaClock) -> None:
    cal = business_calendar(clock.calendar)
    times = clock_times(cal, clock.started_at, clock.target_minutes, _pauses(clock))
    clock.warn_at, clock.due_at = times.warn_at, times.due_at


def record(session, ticket, kind, clock, now, actor=None, **data) -> None:
    """Add an SLA event about `clock` to the ticket (inside the caller's transaction)."""
    data = event_data(clock.metric, clock.cycle, clock.due_at, **data)
    session.add(TicketEvent(ticket=ticket, kind=kind, actor=actor, at=now, data=data))


def event_data(metric: str, cycle: int, due_at: datetime | None, **data) -> dict:
    """The data of an SLA event about a clock: which one, when it is due, and the rest."""
    return {"metric": metric, "cycle": cycle, "due_at": iso(due_at), **data}


def calendar_name(calendar: Calendar | None) -> str:
    """A clock's calendar as events name it ("24x7" without one)."""
    return calendar.name if calendar else "24x7"


def _new_clock(session, ticket, metric, target, started_at, now, cycle=1) -> SlaClock:
    clock = SlaClock(
        ticket=ticket,
        # A new ticket has no client_id before its flush; a stored one needs no lookup.
        client_id=ticket.client_id if ticket.client_id is not None else ticket.client.id,
        metric=metric,
        cycle=cycle,
        state="active",
        target_minutes=getattr(target, METRIC_FIELDS[metric]),
        calendar=target.calendar,
        calendar_id=target.calendar_id,
        started_at=started_at,
        pauses=[],
    )
    if ticket.status == "pending":
        clock.paused_since = now
        _set_pauses(clock, [(now, None)])
    _recompute(clock)
    session.add(clock)
    working = getattr(ticket, "_sla_working", None)
    if working is not None:
        working.append(clock)
    record(
        session,
        ticket,
        "sla_started",
        clock,
        now,
        target_minutes=clock.target_minutes,
        calendar=calendar_name(clock.calendar),
    )
    return clock


LIVE_STATES = ("active", "missed")


def _in_memory(ticket: Ticket) -> bool:
    # A loaded (or new) collection answers from memory; otherwise ask the database for
    # just the rows needed, since a long chat accumulates one next-response clock per exchange.
    return ticket.id is None or "sla_clocks" in ticket.__dict__


def _is_live(clock: SlaClock) -> bool:
    return clock.state in LIVE_STATES and clock.fulfilled_at is None


def clocks_of(ticket: Ticket, metric: str | None = None, *, live: bool = True) -> list[SlaClock]:
    """The ticket's clocks, optionally of one metric; `live` keeps active and missed unfulfilled."""
    if _in_memory(ticket):
        return [
            c
            for c in ticket.sla_clocks
            if (metric is None or c.metric == metric) and (not live or _is_live(c))
        ]
    working = getattr(ticket, "_sla_working", None)
    if working is not None and (live or metric in ("first_response", "resolution")):
        return [
            c
            for c in working
            if (metric is None or c.metric == metric) and (not live or _is_live(c))
        ]
    session = object_session(ticket)
    stmt = select(SlaClock).where(SlaClock.ticket_id == ticket.id)
    if metric is not None:
        stmt = stmt.where(SlaClock.metric == metric)
    if live:
        stmt = stmt.where(SlaClock.state.in_(LIVE_STATES), SlaClock.fulfilled_at.is_(None))
    found = list(session.scalars(stmt.order_by(SlaClock.id)))
    # Hooks may run before a flush (reads ahead of the write transaction): the query saw
    # the database, so the clocks changed or added in this session are judged in memory.
    touched = _unflushed_clocks(session, ticket)
    if not touched:
        return found
    seen = {id(c) for c in found}
    found += [c for c in touched if id(c) not in seen]
    return sorted(
        (c for c in found if (metric is None or c.metric == metric) and (not live or _is_live(c))),
        key=lambda c: (c.id is None, c.id or 0),
    )


def _unflushed_clocks(session: Session, ticket: Ticket) -> list[SlaClock]:
    def of_ticket(clock: SlaClock) -> bool:
        return clock.ticket_id == ticket.id or clock.__dict__.get("ticket") is ticket

    return [c for c in (*session.new, *session.dirty) if isinstance(c, SlaClock) and of_ticket(c)]


@functools.cache
def _working_set_query():
    # Built once with a bound parameter: its cache key is computed once, not per chat line.
    worth_keeping = or_(
        SlaClock.metric != "next_response",
        and_(SlaClock.state.in_(LIVE_STATES), SlaClock.fulfilled_at.is_(None)),
    )
    # Every row also carries how many next-response clocks the ticket has had, so a
    # customer's line numbers the next cycle without a query of its own.
    other = aliased(SlaClock)
    next_cycles = (
        select(func.count())
        .where(other.ticket_id == SlaClock.ticket_id, other.metric == "next_response")
        .scalar_subquery()
    )
    return (
        select(SlaClock, next_cycles)
        .where(SlaClock.ticket_id.in_(bindparam("ticket_ids", expanding=True)), worth_keeping)
        .order_by(SlaClock.id)
    )


@contextmanager
def working_set(session: Session, ticket: Ticket):
    """Within the block the hooks read the ticket's clocks from memory, loaded in one query.

    The set is every clock but the fulfilled or cancelled next-response ones (which pile
    up, one per exchange, in a long chat), and the number of next-response clocks stored.
    Hooks run in the block can see their own unflushed changes, so a caller can do all
    its reads before its first write.
    """
    with working_sets(session, [ticket]):
        yield


@contextmanager
def working_sets(session: Session, tickets: list[Ticket]):
    """working_set for several tickets at once (a batch of chat lines): one query for all."""
    loading = {
        t.id: t for t in tickets if not _in_memory(t) and getattr(t, "_sla_working", None) is None
    }
    if not loading:
        yield
        return
    held: dict[int, list[SlaClock]] = {ticket_id: [] for ticket_id in loading}
    # With no row in a ticket's set its count is unknown (a query then asks).
    counts: dict[int, int | None] = dict.fromkeys(loading)
    for clock, count in session.execute(_working_set_query(), {"ticket_ids": list(loading)}):
        held[clock.ticket_id].append(clock)
        counts[clock.ticket_id] = count
    for ticket_id, ticket in loading.items():
        ticket._sla_working, ticket._sla_next_cycles = held[ticket_id], counts[ticket_id]
    try:
        yield
    finally:
        for ticket in loading.values():
            ticket._sla_working = None
            ticket._sla_next_cycles = None


def _cycles(session: Session, ticket: Ticket, metric: str) -> int:
    if _in_memory(ticket):
        return sum(c.metric == metric for c in ticket.sla_clocks)
    pending = sum(c.metric == metric and c.id is None for c in _unflushed_clocks(session, ticket))
    stored = getattr(ticket, "_sla_next_cycles", None) if metric == "next_response" else None
    if stored is None:
        stored = session.scalar(
            select(func.count()).where(SlaClock.ticket_id == ticket.id, SlaClock.metric == metric)
        )
    return stored + pending


def refresh_next_due(ticket: Ticket) -> None:
    """Keep the ticket's earliest live due time (what queues sort by) in step with its clocks."""
    dues = [c.due_at for c in clocks_of(ticket) if c.due_at is not None]
    ticket.next_due_at = min(dues) if dues else None


def _keeps_next_due(hook):
    """After a clock hook, refresh the ticket's next_due_at (every hook takes `ticket`)."""

    @functools.wraps(hook)
    def wrapped(session, ticket, *args, **kwargs):
        result = hook(session, ticket, *args, **kwargs)
        refresh_next_due(ticket)
        return result

    return wrapped


def opening_clocks(
    client_id: int, target: SlaTarget | None, started_at: datetime
) -> list[tuple[dict, dict]]:
    """A new ticket's first-response and resolution clocks under the priority's targets.

    As (row, sla_started event data) pairs, the rows without `ticket_id`: create_ticket
    inserts them in bulk once the ticket has its id, outside the unit of work.
    """
    if target is None:
        return []
    cal = business_calendar(target.calendar)
    opened = []
    for metric in ("first_response", "resolution"):
        minutes = getattr(target, METRIC_FIELDS[metric])
        times = clock_times(cal, started_at, minutes, [])
        row = {
            "client_id": client_id,
            "metric": metric,
            "cycle": 1,
            "state": "active",
            "target_minutes": minutes,
            "calendar_id": target.calendar_id,
            "started_at": started_at,
            "pauses": [],
            "warn_at": times.warn_at,
            "due_at": times.due_at,
        }
        started = event_data(
            metric,
            1,
            times.due_at,
            target_minutes=minutes,
            calendar=calendar_name(target.calendar),
        )
        opened.append((row, started))
    return opened


def insert_opening_clocks(session: Session, ticket: Ticket, rows: list[dict]) -> None:
    """Insert an inserted ticket's opening clocks in one statement; they are its sla_clocks."""
    clocks = [SlaClock(**row, ticket_id=ticket.id) for row in rows]
    insert_now(session, *clocks)
    set_committed_value(ticket, "sla_clocks", clocks)


def _fulfil(session, ticket, clock, now, actor) -> None:
    clock.fulfilled_at = now
    pauses = [(a, b or now) for a, b in _pauses(clock)]
    clock.business_minutes = business_minutes(
        business_calendar(clock.calendar), clock.started_at, now, pauses
    )
    if clock.state == "active":
        clock.state = "hit" if clock.due_at is None or now <= clock.due_at else "missed"
    clock.paused_since = None
    _set_pauses(clock, pauses)
    record(
        session,
        ticket,
        "sla_fulfilled",
        clock,
        now,
        actor=actor,
        state=clock.state,
        business_minutes=round(clock.business_minutes, 2),
    )


@_keeps_next_due
def on_message(session: Session, ticket: Ticket, message: Message, *, now: datetime) -> None:
    """A public staff reply fulfils response clocks; a later customer message starts the next."""
    if message.internal or message.kind in ("note", "system") or message.author is None:
        return
    if message.author.id == ticket.requester_id:  # (ids of relationships are set at flush)
        answered = any(c.fulfilled_at for c in clocks_of(ticket, "first_response", live=False))
        waiting = clocks_of(ticket, "next_response")
        if answered and not waiting and ticket.is_open:
            target = policy_target(session, ticket.client_id, ticket.priority)
            if target is not None:
                cycle = 1 + _cycles(session, ticket, "next_response")
                _new_clock(
                    session, ticket, "next_response", target, message.created_at, now, cycle=cycle
                )
        return
    if message.author.role in ("agent", "admin"):
        for clock in clocks_of(ticket, "first_response") + clocks_of(ticket, "next_response"):
            _fulfil(session, ticket, clock, now, message.author)


def _pause(session, ticket, clock, now, actor) -> None:
    if clock.paused_since is not None:
        return
    clock.paused_since = now
    _set_pauses(clock, [*_pauses(clock), (now, None)])
    _recompute(clock)
    record(session, ticket, "sla_paused", clock, now, actor=actor)


def _resume(session, ticket, clock, now, actor) -> None:
    if clock.paused_since is None:
        return
    pauses = [(a, b or now) for a, b in _pauses(clock)]
    cal = business_calendar(clock.calendar)
    paused_minutes = business_minutes(cal, clock.paused_since, now)
    clock.paused_since = None
    _set_pauses(clock, pauses)
    _recompute(clock)
    record(
        session,
        ticket,
        "sla_resumed",
        clock,
        now,
        actor=actor,
        paused_business_minutes=round(paused_minutes, 2),
    )


@_keeps_next_due
def on_status_change(
    session: Session, ticket: Ticket, old: str, new: str, *, now: datetime, actor=None
) -> None:
    """Pending pauses live clocks, leaving it resumes them; solving fulfils resolution.

    Reopening a solved ticket resumes its resolution clock, the solved time paused.
    """
    if old == new:
        return
    if new == "pending":
        for clock in clocks_of(ticket):
            _pause(session, ticket, clock, now, actor)
    elif old == "pending":
        for clock in clocks_of(ticket):
            _resume(session, ticket, clock, now, actor)
    if new in ("solved", "closed") and old not in ("solved", "closed"):
        for clock in clocks_of(ticket):
            if clock.metric == "resolution":
                _fulfil(session, ticket, clock, now, actor)
            else:
                clock.state = "cancelled" if clock.state == "active" else clock.state
                clock.paused_since = None
                _set_pauses(clock, [(a, b or now) for a, b in _pauses(clock)])
                record(session, ticket, "sla_cancelled", clock, now, actor=actor)
    elif old == "solved" and new in OPEN_STATUSES:
        for clock in clocks_of(ticket, "resolution", live=False):
            if clock.fulfilled_at is None:
                continue
            solved_at = clock.fulfilled_at
            clock.fulfilled_at = None
            clock.business_minutes = None
            if clock.state == "hit":
                clock.state = "active"
            # The clock did not run while the ticket was solved.
            open_end = now if new != "pending" else None
            _set_pauses(clock, [*_pauses(clock), (solved_at, open_end)])
            clock.paused_since = now if new == "pending" else None
            _recompute(clock)
            record(session, ticket, "sla_resumed", clock, now, actor=actor, why="reopened")


@_keeps_next_due
def on_priority_change(session: Session, ticket: Ticket, *, now: datetime, actor=None) -> None:
    """Recompute live clocks from their original start with the new priority's targets."""
    target = policy_target(session, ticket.client_id, ticket.priority)
    for clock in clocks_of(ticket):
        if clock.state != "active":
            continue
        if target is None:
            continue
        clock.target_minutes = getattr(target, METRIC_FIELDS[clock.metric])
        clock.calendar, clock.calendar_id = target.calendar, target.calendar_id
        _recompute(clock)
        record(
            session,
            ticket,
            "sla_recomputed",
            clock,
            now,
            actor=actor,
            priority=ticket.priority,
            target_minutes=clock.target_minutes,
        )


@dataclass(frozen=True)
class DuePreview:
    """Due instants per metric of clocks started together and never paused."""

    calendar: str
    due: dict[str, datetime]


def preview_due(session: Session, client, priority: str, start: datetime) -> DuePreview | None:
    """What the client's policy for `priority` gives clocks started at `start`; None without one."""
    target = policy_target(session, client.id, priority)
    if target is None:
        return None
    cal = business_calendar(target.calendar)
    return DuePreview(
        calendar=calendar_name(target.calendar),
        due={m: cal.due(start, getattr(target, METRIC_FIELDS[m])) for m in METRIC_FIELDS},
    )
