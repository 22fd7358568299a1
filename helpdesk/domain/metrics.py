"""Response metrics defined as plain values: periods in a time zone, percentiles, attainment.

Every figure a supervisor sees is defined here, in words and in pure code; the SQL in
`helpdesk.services.metrics` computes the same figures with aggregates and is tested
against `summarize` below.

Definitions (one client, one period, one time zone):

- **Period.** The dates `first`..`last` read in the zone `tz`: the UTC half-open range
  [first 00:00 local, (last + 1 day) 00:00 local). "00:00 local" is the first instant of
  that local date, so a day that starts in a DST gap starts at the transition, and a
  month with a DST change is an hour shorter or longer than its days times 24.
- **The period's tickets.** The client's tickets whose `created_at` lies in the period.
  A ticket belongs to the period in which it was created, whatever happens later; every
  figure below is about the period's tickets only.
- **tickets.** How many tickets the period has.
- **solved.** How many of them are solved or closed now.
- **backlog.** How many of them are `new`, `open` or `pending` now, per status.
- **backlog_by_age.** The same open tickets by age at `now`: under 1 day, 1 to 3 days,
  3 to 7 days, 7 days or more (each bucket includes its lower bound).
- **Clock outcome.** Every SLA clock of a period's ticket (first response, each
  next-response cycle, resolution) has one outcome at `now`: *met* (state `hit`:
  fulfilled by its due time), *missed* (state `missed`, or still `active` with its due
  time at or before `now`: breached even if the scanner has not recorded it yet),
  *running* (active, not yet due, or paused), *cancelled* (stopped without a response,
  e.g. the ticket was solved before anyone replied).
- **Response time.** A clock's `business_minutes`: minutes from its start to its
  fulfilment, outside pauses, counted in the SLA policy's calendar (business minutes
  for a business-hours policy, wall-clock minutes for 24x7). Only fulfilled clocks have
  one, whether they were met or missed; running and cancelled clocks have none.
  first_response: the first public staff reply. next_response: every cycle (a staff
  reply after each customer message that followed a staff reply). resolution: time to
  solved (a reopened ticket's clock counts again once it is solved again).
- **median_minutes / p90_minutes.** The 50th / 90th percentile of the response times of
  one metric, interpolated linearly between the two nearest ranks exactly as
  PostgreSQL's `percentile_cont`; null when no clock of the metric has a response time.
- **attainment.** met / (met + missed) over the metric's clocks; null when both are 0.
  Running and cancelled clocks are left out.
- **breaches.** How many clocks of the period's tickets are missed, all metrics and
  cycles together (the sum of the three metrics' `missed`).
- **heatmap.** Tickets created per local weekday (Monday first) and local hour.
- **trend.** Per local date of the period: tickets created that day, and how many of
  those are solved or closed now (so the trend adds up to `tickets` and `solved`).
- **breakdowns.** The same figures restricted to one value of the ticket's priority,
  channel, locale, site (its routing site) or agent (its assignee), now.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk.domain.sla import METRICS

__all__ = [
    "AGE_BUCKETS",
    "BACKLOG_STATUSES",
    "MAX_DAY",
    "MAX_DAYS",
    "MIN_DAY",
    "METRICS",
    "OUTCOMES",
    "P50",
    "P90",
    "SOLVED_STATUSES",
    "ClockFacts",
    "MetricFigures",
    "Period",
    "PeriodError",
    "Summary",
    "TicketFacts",
    "age_bucket",
    "attainment",
    "clock_outcome",
    "day_start",
    "local_slot",
    "percentile",
    "summarize",
]

P50 = 0.5
P90 = 0.9
MAX_DAYS = 366
# Dates outside this range cannot be real ticket dates (and would overflow at the extremes).
MIN_DAY = date(1900, 1, 1)
MAX_DAY = date(2999, 12, 31)
SOLVED_STATUSES = ("solved", "closed")
BACKLOG_STATUSES = ("new", "open", "pending")
OUTCOMES = ("met", "missed", "running", "cancelled")
_DAY = timedelta(days=1)
# (name, lower bound inclusive, upper bound exclusive or None) of an open ticket's age.
AGE_BUCKETS: tuple[tuple[str, timedelta, timedelta | None], ...] = (
    ("under_1d", timedelta(0), _DAY),
    ("1d_to_3d", _DAY, 3 * _DAY),
    ("3d_to_7d", 3 * _DAY, 7 * _DAY),
    ("7d_or_more", 7 * _DAY, None),
)
# UTC offsets are sampled this often when looking for transitions (no zone changes twice
# within 6 hours), then the change is found to the second by bisection.
_SAMPLE = timedelta(hours=6)


class PeriodError(ValueError):
    """A period cannot be read: `field` names the offending input (from, to or tz)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def zone(name: str) -> ZoneInfo:
    """The IANA zone of that name; PeriodError("tz") when there is none."""
    try:
        if isinstance(name, str) and name and "\x00" not in name:
            return _zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    raise PeriodError("tz", f"unknown time zone {name!r}")


def day_start(day: date, tz: ZoneInfo) -> datetime:
    """The first instant (UTC) whose local date in `tz` is `day`.

    Local midnight with fold=0: in a DST gap at midnight that is the transition instant
    itself (the day starts at 01:00), and a repeated midnight gives its first occurrence.
    """
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


@dataclass(frozen=True)
class Period:
    """The local dates `first`..`last` (inclusive) in zone `tz`, as UTC [start, end)."""

    first: date
    last: date
    tz: str

    def __post_init__(self) -> None:
        zone(self.tz)
        for name, day in (("from", self.first), ("to", self.last)):
            if not MIN_DAY <= day <= MAX_DAY:
                raise PeriodError(name, f"dates run from {MIN_DAY} to {MAX_DAY}")
        if self.first > self.last:
            raise PeriodError("to", "the period ends before it starts")
        if (self.last - self.first).days + 1 > MAX_DAYS:
            raise PeriodError("to", f"a period covers at most {MAX_DAYS} days")

    @property
    def zone(self) -> ZoneInfo:
        """The period's time zone."""
        return zone(self.tz)

    @property
    def start(self) -> datetime:
        """The first instant of the period (UTC), inclusive."""
        return day_start(self.first, self.zone)

    @property
    def end(self) -> datetime:
        """The first instant after the period (UTC), exclusive."""
        return day_start(self.last + _DAY, self.zone)

    @property
    def days(self) -> list[date]:
        """Every local date of the period, in order."""
        return [self.first + timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def contains(self, instant: datetime) -> bool:
        """Whether an aware instant falls in the period."""
        return self.start <= instant < self.end

    def offset_runs(self) -> list[tuple[datetime, datetime, int]]:
        """The period split into (start, end, UTC offset in minutes) runs of constant offset."""
        tz, end = self.zone, self.end
        last = end - timedelta(seconds=1)  # the last whole second inside the period
        runs: list[tuple[datetime, datetime, int]] = []
        run_start = cursor = self.start
        offset = _offset_minutes(cursor, tz)
        while cursor < last:
            probe = min(cursor + _SAMPLE, last)
            if _offset_minutes(probe, tz) == offset:
                cursor = probe
                continue
            lo, hi = cursor, probe  # offset(lo) == offset, offset(hi) != offset
            while hi - lo > timedelta(seconds=1):
                mid = lo + (hi - lo) / 2
                mid = mid.replace(microsecond=0)
                lo, hi = (mid, hi) if _offset_minutes(mid, tz) == offset else (lo, mid)
            runs.append((run_start, hi, offset))
            run_start = cursor = hi
            offset = _offset_minutes(hi, tz)
        runs.append((run_start, end, offset))
        return runs


def _offset_minutes(instant: datetime, tz: ZoneInfo) -> int:
    return round(instant.astimezone(tz).utcoffset().total_seconds() / 60)


def local_slot(instant: datetime, tz: ZoneInfo) -> tuple[date, int, int]:
    """(local date, weekday with Monday 0, local hour) of an instant: its trend and heatmap cell."""
    local = instant.astimezone(tz)
    return local.date(), local.weekday(), local.hour


def percentile(values: Iterable[float], fraction: float) -> float | None:
    """The `fraction` percentile with linear interpolation, exactly as `percentile_cont`.

    With n sorted values v[0..n-1] and h = fraction * (n - 1): v[floor h] + (v[ceil h] -
    v[floor h]) * (h - floor h), in that order of float operations; None when empty.
    """
    ordered = sorted(values)
    if not ordered:
        return None
    h = fraction * (len(ordered) - 1)
    lo, hi = math.floor(h), math.ceil(h)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (h - lo)


def attainment(met: int, missed: int) -> float | None:
    """met / (met + missed); None when no clock was met or missed."""
    total = met + missed
    return met / total if total else None


def clock_outcome(state: str, due_at: datetime | None, now: datetime) -> str:
    """A clock's outcome at `now`: met, missed, running or cancelled (see the module doc)."""
    if state == "hit":
        return "met"
    if state == "missed":
        return "missed"
    if state == "active":
        return "missed" if due_at is not None and due_at <= now else "running"
    return "cancelled"


def age_bucket(created_at: datetime, now: datetime) -> str:
    """The AGE_BUCKETS name of an open ticket created at `created_at`, seen at `now`."""
    age = now - created_at
    for name, low, high in AGE_BUCKETS:
        if age >= low and (high is None or age < high):
            return name
    return AGE_BUCKETS[0][0]  # created after `now`: the youngest bucket


@dataclass(frozen=True)
class TicketFacts:
    """What the figures need of a ticket."""

    id: int
    created_at: datetime
    status: str


@dataclass(frozen=True)
class ClockFacts:
    """What the figures need of an SLA clock."""

    ticket_id: int
    metric: str
    state: str
    due_at: datetime | None
    business_minutes: float | None


@dataclass(frozen=True)
class MetricFigures:
    """One metric's figures: response-time percentiles and SLA outcomes."""

    count: int = 0
    median_minutes: float | None = None
    p90_minutes: float | None = None
    met: int = 0
    missed: int = 0

    @property
    def attainment(self) -> float | None:
        """met / (met + missed), None when both are 0."""
        return attainment(self.met, self.missed)


@dataclass(frozen=True)
class Summary:
    """The headline figures of one client and period."""

    tickets: int = 0
    solved: int = 0
    backlog: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BACKLOG_STATUSES, 0))
    backlog_by_age: dict[str, int] = field(
        default_factory=lambda: {name: 0 for name, _, _ in AGE_BUCKETS}
    )
    metrics: dict[str, MetricFigures] = field(
        default_factory=lambda: {m: MetricFigures() for m in METRICS}
    )

    @property
    def breaches(self) -> int:
        """Missed clocks of all metrics."""
        return sum(f.missed for f in self.metrics.values())


def summarize(
    period: Period,
    tickets: Sequence[TicketFacts],
    clocks: Sequence[ClockFacts],
    *,
    now: datetime,
) -> Summary:
    """The reference computation of the headline figures from plain facts (tests, audits)."""
    mine = {t.id: t for t in tickets if period.contains(t.created_at)}
    backlog = dict.fromkeys(BACKLOG_STATUSES, 0)
    ages = {name: 0 for name, _, _ in AGE_BUCKETS}
    for ticket in mine.values():
        if ticket.status in backlog:
            backlog[ticket.status] += 1
            ages[age_bucket(ticket.created_at, now)] += 1
    metrics = {}
    for metric in METRICS:
        own = [c for c in clocks if c.metric == metric and c.ticket_id in mine]
        outcomes = [clock_outcome(c.state, c.due_at, now) for c in own]
        times = [c.business_minutes for c in own if c.business_minutes is not None]
        metrics[metric] = MetricFigures(
            count=len(times),
            median_minutes=percentile(times, P50),
            p90_minutes=percentile(times, P90),
            met=outcomes.count("met"),
            missed=outcomes.count("missed"),
        )
    return Summary(
        tickets=len(mine),
        solved=sum(t.status in SOLVED_STATUSES for t in mine.values()),
        backlog=backlog,
        backlog_by_age=ages,
        metrics=metrics,
    )
