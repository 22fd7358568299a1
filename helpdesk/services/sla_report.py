"""What pages show of SLA clocks: countdown states, the customer's expected reply, the timeline.

The timeline is evidence for contract disputes: every event of every clock of a ticket,
with business-time figures computed by the domain calendar from the clock's stored start
and pauses (span arithmetic, never a loop over minutes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from helpdesk.domain.calendar import BusinessCalendar
from helpdesk.domain.sla import merged_pauses
from helpdesk.models import SlaClock, Ticket, TicketEvent
from helpdesk.services.sla import business_calendar

LIVE_STATES = ("active", "missed")
COUNTDOWN_STATES = ("ok", "warning", "breached", "paused")
RESPONSE_METRICS = ("first_response", "next_response")
SLA_EVENT_KINDS = (
    "sla_started",
    "sla_paused",
    "sla_resumed",
    "sla_fulfilled",
    "sla_warning",
    "sla_breach",
    "sla_recomputed",
    "sla_cancelled",
    "escalated",
)


# -- live clocks and countdowns -------------------------------------------------------------------


def is_live(clock: SlaClock) -> bool:
    """Whether the clock still waits for its response: active, or missed and not yet answered."""
    return clock.state in LIVE_STATES and clock.fulfilled_at is None


def live_clause() -> ColumnElement[bool]:
    """SQL for is_live()."""
    return SlaClock.state.in_(LIVE_STATES) & SlaClock.fulfilled_at.is_(None)


def live_clocks_by_ticket(
    session: Session, ticket_ids: Iterable[int], *, metrics: Sequence[str] | None = None
) -> dict[int, list[SlaClock]]:
    """The live clocks of these tickets in one query, keyed by ticket id."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return {}
    stmt = select(SlaClock).where(SlaClock.ticket_id.in_(ids), live_clause())
    if metrics:
        stmt = stmt.where(SlaClock.metric.in_(metrics))
    out: dict[int, list[SlaClock]] = {}
    for clock in session.scalars(stmt.order_by(SlaClock.id)):
        out.setdefault(clock.ticket_id, []).append(clock)
    return out


def countdown_state(clock: SlaClock, now: datetime) -> str:
    """ok, warning (past the warning time), breached (past due or missed) or paused."""
    if clock.state == "missed" or (clock.due_at is not None and now >= clock.due_at):
        return "breached"
    if clock.paused_since is not None or clock.due_at is None:
        return "paused"
    if clock.warn_at is not None and now >= clock.warn_at:
        return "warning"
    return "ok"


def pressing_clock(clocks: Iterable[SlaClock]) -> SlaClock | None:
    """The live clock due first; a paused one (no due time) only when nothing else is due."""
    live = [c for c in clocks if is_live(c)]
    if not live:
        return None
    return min(live, key=lambda c: (c.due_at is None, c.due_at or c.started_at, c.id or 0))


@dataclass(frozen=True)
class ExpectedReply:
    """What the customer is told about the next reply: `by` a time, `late`, or `waiting` on them."""

    kind: str
    at: datetime | None = None


def expected_reply(
    ticket: Ticket, live: Iterable[SlaClock], *, now: datetime
) -> ExpectedReply | None:
    """The customer-facing promise for a ticket, from its live response clocks or routing."""
    if not ticket.is_open:
        return None
    if ticket.status == "pending":
        return ExpectedReply("waiting")
    dues = [
        c.due_at
        for c in live
        if c.metric in RESPONSE_METRICS
        and is_live(c)
        and c.due_at is not None
        and c.paused_since is None
    ]
    due = min(dues) if dues else None
    # A ticket waiting in a queue for the next shift (never assigned, or handed off at a
    # shift end) cannot be answered before someone picks it up: the promise is the later of
    # the clock and the expected pickup; without a response clock, the pickup alone.
    pickup = ticket.expected_pickup_at if ticket.assignee_id is None else None
    if pickup is not None and (due is None or pickup > due):
        due = pickup
    if due is None:
        return None
    return ExpectedReply("late" if due <= now else "by", due)


# -- the timeline ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    """One event of a clock with the business time it had used by then."""

    kind: str
    at: datetime
    actor_name: str | None
    actor_role: str | None
    elapsed_minutes: float  # business minutes since the start, outside pauses
    target_minutes: int  # the target in force after this event
    remaining_minutes: float  # target minus elapsed; negative once past due
    due_at: datetime | None  # the due time the event recorded (None while paused)
    paused_minutes: float | None = None  # sla_resumed: business minutes of the pause it ended
    detail: tuple[tuple[str, object], ...] = ()  # other recorded facts (state, action, priority)

    def get(self, key: str, default=None):
        """A recorded fact of the event."""
        return dict(self.detail).get(key, default)


@dataclass(frozen=True)
class PauseSpan:
    """One pause of a clock: when, how much business time it held, what was left at its start."""

    start: datetime
    end: datetime | None  # None: still paused
    business_minutes: float  # up to `end`, or up to the report's time while open
    remaining_minutes: float


@dataclass(frozen=True)
class ClockTimeline:
    """A clock's policy, outcome and every event, with business-time figures."""

    metric: str
    cycle: int
    state: str
    target_minutes: int
    calendar_name: str | None  # None: 24x7
    calendar_timezone: str | None
    started_at: datetime
    warn_at: datetime | None
    due_at: datetime | None
    breached_at: datetime | None
    fulfilled_at: datetime | None
    paused_since: datetime | None
    ended_at: datetime | None  # fulfilment or cancellation; None while the clock runs
    elapsed_minutes: float  # final business minutes, or used so far while it runs
    paused_minutes: float  # business minutes spent paused
    pauses: tuple[PauseSpan, ...]
    entries: tuple[TimelineEntry, ...]

    @property
    def final(self) -> bool:
        """Whether the figures are final (the clock was fulfilled or cancelled)."""
        return self.ended_at is not None


@dataclass(frozen=True)
class SlaTimeline:
    """Every SLA clock of one ticket as of `generated_at`."""

    ticket_id: int
    reference: str
    subject: str
    client_name: str
    priority: str
    status: str
    generated_at: datetime
    clocks: tuple[ClockTimeline, ...]


_FACTS = ("state", "action", "priority", "why", "skipped", "calendar")


def _pauses(clock: SlaClock) -> list[tuple[datetime, datetime | None]]:
    return [
        (datetime.fromisoformat(a), datetime.fromisoformat(b) if b else None)
        for a, b in clock.pauses or []
    ]


def parse_time(value: object) -> datetime | None:
    """An ISO 8601 string (stored in JSON) as an aware datetime; None if it is not one."""
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _clock_of(event: TicketEvent, clocks: Sequence[SlaClock]) -> SlaClock | None:
    """The clock an event belongs to: by metric and cycle; escalations by their breach."""
    data = event.data or {}
    metric = data.get("metric")
    same = [c for c in clocks if c.metric == metric]
    if event.kind != "escalated":
        cycle = _int(data.get("cycle")) or 1
        return next((c for c in same if c.cycle == cycle), None)
    # Escalations record only the metric; they follow the breach written in the same scan.
    breached = [c for c in same if c.breached_at == event.at]
    if breached:
        return breached[-1]
    started = [c for c in same if c.started_at <= event.at]
    return max(started, key=lambda c: c.started_at) if started else None


def _clock_timeline(
    clock: SlaClock, events: Sequence[TicketEvent], cal: BusinessCalendar, now: datetime
) -> ClockTimeline:
    pauses = _pauses(clock)
    start = clock.started_at

    def elapsed(at: datetime) -> float:
        return cal.elapsed_minutes(start, at, pauses) if at > start else 0.0

    # The target in force over time: the one recorded at start, then each recompute's.
    targets: list[tuple[datetime, int]] = []
    for event in events:
        target = _int((event.data or {}).get("target_minutes"))
        if target is not None and event.kind in ("sla_started", "sla_recomputed"):
            targets.append((event.at, target))
    initial = targets[0][1] if targets else clock.target_minutes

    def target_at(at: datetime) -> int:
        current = initial
        for when, target in targets:
            if when <= at:
                current = target
        return current

    spans = []
    for p_start, p_end in pauses:
        held = cal.elapsed_minutes(p_start, p_end or max(now, p_start))
        spans.append(PauseSpan(p_start, p_end, held, target_at(p_start) - elapsed(p_start)))

    ended_at = clock.fulfilled_at
    entries = []
    for event in events:
        data = event.data or {}
        used = elapsed(event.at)
        target = target_at(event.at)
        paused = None
        if event.kind == "sla_resumed":
            ended = [s for s in spans if s.end == event.at]
            paused = ended[-1].business_minutes if ended else None
        if event.kind == "sla_cancelled" and ended_at is None:
            ended_at = event.at
        entries.append(
            TimelineEntry(
                kind=event.kind,
                at=event.at,
                actor_name=event.actor.name if event.actor else None,
                actor_role=event.actor.role if event.actor else None,
                elapsed_minutes=used,
                target_minutes=target,
                remaining_minutes=target - used,
                due_at=parse_time(data.get("due_at")),
                paused_minutes=paused,
                detail=tuple((k, data[k]) for k in _FACTS if data.get(k) is not None),
            )
        )
    if clock.state == "cancelled" and ended_at is None:
        ended_at = max((p_end for _s, p_end in pauses if p_end), default=now)

    if clock.fulfilled_at is not None and clock.business_minutes is not None:
        final = float(clock.business_minutes)
    else:
        final = elapsed(ended_at or now)
    total_paused = sum(
        cal.elapsed_minutes(p_start, p_end or max(now, p_start))
        for p_start, p_end in merged_pauses(pauses)
    )
    calendar = clock.calendar
    return ClockTimeline(
        metric=clock.metric,
        cycle=clock.cycle,
        state=clock.state,
        target_minutes=clock.target_minutes,
        calendar_name=calendar.name if calendar else None,
        calendar_timezone=calendar.timezone if calendar else None,
        started_at=start,
        warn_at=clock.warn_at,
        due_at=clock.due_at,
        breached_at=clock.breached_at,
        fulfilled_at=clock.fulfilled_at,
        paused_since=clock.paused_since,
        ended_at=ended_at,
        elapsed_minutes=final,
        paused_minutes=total_paused,
        pauses=tuple(spans),
        entries=tuple(entries),
    )


def build_timeline(
    ticket: Ticket,
    clocks: Sequence[SlaClock],
    events: Iterable[TicketEvent],
    *,
    now: datetime,
) -> SlaTimeline:
    """The ticket's SLA timeline from its clocks and events (other event kinds are ignored)."""
    clocks = sorted(clocks, key=lambda c: (c.started_at, c.id or 0))
    per_clock: dict[int, list[TicketEvent]] = {id(c): [] for c in clocks}
    ordered = sorted(
        (e for e in events if e.kind in SLA_EVENT_KINDS), key=lambda e: (e.at, e.id or 0)
    )
    for event in ordered:
        clock = _clock_of(event, clocks)
        if clock is not None:
            per_clock[id(clock)].append(event)
    return SlaTimeline(
        ticket_id=ticket.id,
        reference=ticket.reference,
        subject=ticket.subject,
        client_name=ticket.client.name,
        priority=ticket.priority,
        status=ticket.status,
        generated_at=now,
        clocks=tuple(
            _clock_timeline(c, per_clock[id(c)], business_calendar(c.calendar), now) for c in clocks
        ),
    )
