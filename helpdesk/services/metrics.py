"""Response metrics of one client and period, computed by SQL aggregates.

The figures are defined in `helpdesk.domain.metrics`; here each group of figures is one
aggregate query over the period's tickets (found through the (client_id, created_at)
index) and their SLA clocks. Nothing loops over tickets in Python: only aggregated rows
(one per metric, breakdown value, heatmap cell or day) come back.

Percentiles: PostgreSQL's `percentile_cont`; SQLite has no percentile function, so the
values are ranked with `row_number()` and `count()` windows and the two neighbour ranks
of each percentile are interpolated in SQL with the same float operations, which gives
the same figures to the last bit.

Local time: PostgreSQL reads `created_at AT TIME ZONE tz`. SQLite knows no zones, so the
period is split into runs of constant UTC offset (at most a few per year) and each
ticket's instant is shifted by its run's offset in minutes: exact for half-hour and
quarter-hour zones, and across DST changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    literal,
    select,
)
from sqlalchemy.orm import Session

from helpdesk.domain.metrics import (
    AGE_BUCKETS,
    BACKLOG_STATUSES,
    METRICS,
    OUTCOMES,
    P50,
    P90,
    SOLVED_STATUSES,
    MetricFigures,
    Period,
    Summary,
)
from helpdesk.models import Client, Site, SlaClock, Ticket, User
from helpdesk.models.types import UTCDateTime

DIMENSIONS = ("priority", "channel", "locale", "site", "agent")
FIGURES = ("tickets", "solved", "backlog", "responded", "met", "missed")
NONE = "-"  # drill-down value for "no site" / "no agent"
HOURS = 24
WEEKDAYS = 7


@dataclass(frozen=True)
class Scope:
    """Whose figures, over which period, seen at which instant."""

    client: Client
    period: Period
    now: datetime


@dataclass(frozen=True)
class Drill:
    """Which of the period's tickets stand behind a figure (every field narrows).

    figure: tickets (all), solved, backlog (new/open/pending), responded (has a response
    time of `metric`, or of any metric), met / missed (a clock of `metric`, or of any
    metric, with that outcome: `missed` without a metric are the breaches). The other
    fields restrict to a status, a breakdown value (`site` a slug, `agent` a user id;
    NONE for none), a local date of the trend, or a heatmap cell (weekday with Monday 0,
    local hour).
    """

    figure: str = "tickets"
    metric: str | None = None
    status: str | None = None
    priority: str | None = None
    channel: str | None = None
    locale: str | None = None
    site: str | None = None
    agent: int | str | None = None
    day: date | None = None
    weekday: int | None = None
    hour: int | None = None


@dataclass(frozen=True)
class BreakdownRow:
    """The figures of the tickets that share one value of a dimension."""

    value: str | int | None
    label: str | None
    tickets: int
    solved: int
    metrics: dict[str, MetricFigures] = field(default_factory=dict)

    @property
    def breaches(self) -> int:
        """Missed clocks of all metrics."""
        return sum(f.missed for f in self.metrics.values())


@dataclass(frozen=True)
class TrendDay:
    """One local day: tickets created that day, and how many of those are solved now."""

    day: date
    tickets: int
    solved: int


# -- SQL building blocks ----------------------------------------------------------------------


def in_period(scope: Scope) -> ColumnElement[bool]:
    """The scope's tickets: its client's, created within the period."""
    return and_(
        Ticket.client_id == scope.client.id,
        Ticket.created_at >= scope.period.start,
        Ticket.created_at < scope.period.end,
    )


def clocks_of_period(scope: Scope) -> ColumnElement[bool]:
    """The join of the period's tickets to their clocks.

    A clock never starts before its ticket is created, so `started_at >= start` is always
    true here; saying so lets PostgreSQL read a recent period's clocks through the
    (client_id, started_at) index instead of hashing the whole clock table.
    """
    return and_(
        SlaClock.ticket_id == Ticket.id,
        SlaClock.client_id == scope.client.id,
        SlaClock.started_at >= scope.period.start,
    )


def _count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def outcome_expression(now: datetime) -> ColumnElement[str]:
    """A clock's outcome at `now` in SQL, as `domain.metrics.clock_outcome` defines it."""
    return case(
        (SlaClock.state == "hit", "met"),
        (SlaClock.state == "missed", "missed"),
        (
            and_(SlaClock.state == "active", SlaClock.due_at.is_not(None), SlaClock.due_at <= now),
            "missed",
        ),
        (SlaClock.state == "active", "running"),
        else_="cancelled",
    )


def _instant(value: datetime) -> ColumnElement:
    # Bound through the column type, so SQLite compares stored and bound text alike.
    return literal(value, UTCDateTime())


def _sqlite_shift(column, period: Period) -> ColumnElement[str]:
    """The SQLite date-function modifier that moves a UTC instant of the period to local time."""
    runs = period.offset_runs()
    modifiers = [f"{offset:+d} minutes" for _, _, offset in runs]
    if len(runs) == 1:
        return literal(modifiers[0])
    return case(
        *[(column < _instant(end), mod) for (_, end, _), mod in zip(runs, modifiers, strict=True)],
        else_=modifiers[-1],
    )


@dataclass(frozen=True)
class LocalParts:
    """SQL expressions for an instant's local date (ISO text), weekday (Monday 0) and hour."""

    day: ColumnElement
    weekday: ColumnElement[int]
    hour: ColumnElement[int]


def local_parts(session: Session, period: Period, column) -> LocalParts:
    """Local date, weekday and hour of a UTC column whose values lie in the period."""
    if session.get_bind().dialect.name == "postgresql":
        local = func.timezone(period.tz, column)
        return LocalParts(
            day=func.to_char(local, "YYYY-MM-DD"),
            weekday=cast(extract("isodow", local), Integer) - 1,
            hour=cast(extract("hour", local), Integer),
        )
    shift = _sqlite_shift(column, period)
    return LocalParts(
        day=func.date(column, shift),
        weekday=(cast(func.strftime("%w", column, shift), Integer) + 6) % 7,
        hour=cast(func.strftime("%H", column, shift), Integer),
    )


def _percentile_rows(session: Session, values, keys: Sequence[str]) -> list:
    """Rows (*keys, median, p90) of a subquery with columns *keys and v (not null)."""
    group = [values.c[k] for k in keys]
    if session.get_bind().dialect.name == "postgresql":
        stmt = select(
            *group,
            func.percentile_cont(P50).within_group(values.c.v),
            func.percentile_cont(P90).within_group(values.c.v),
        ).group_by(*group)
        return session.execute(stmt).all()
    ranked = select(
        *group,
        values.c.v,
        func.row_number().over(partition_by=group, order_by=values.c.v).label("rn"),
        func.count().over(partition_by=group).label("n"),
    ).subquery()
    cols = []
    for fraction in (P50, P90):
        h = literal(fraction, Float()) * (ranked.c.n - 1)
        lo = cast(h, Integer)  # floor: h >= 0
        hi = lo + case((h > lo, 1), else_=0)  # ceil
        lo_v = func.max(case((ranked.c.rn == lo + 1, ranked.c.v)))
        hi_v = func.max(case((ranked.c.rn == hi + 1, ranked.c.v)))
        cols.append(lo_v + (hi_v - lo_v) * func.max(h - lo))
    regroup = [ranked.c[k] for k in keys]
    return session.execute(select(*regroup, *cols).group_by(*regroup)).all()


def _metric_figures(session: Session, scope: Scope, key=None) -> dict:
    """{(key, metric): MetricFigures} for the period's clocks, grouped by an optional key."""
    keyed = [key.label("k")] if key is not None else []
    join = clocks_of_period(scope)
    outcome = outcome_expression(scope.now)
    counts_stmt = (
        select(
            *keyed,
            SlaClock.metric,
            _count_if(outcome == "met"),
            _count_if(outcome == "missed"),
            func.count(SlaClock.business_minutes),
        )
        .join(Ticket, join)
        .where(in_period(scope))
        .group_by(*([key] if key is not None else []), SlaClock.metric)
    )
    counts = {}
    for row in session.execute(counts_stmt):
        k = row[0] if key is not None else None
        metric, met, missed, timed = row[-4:]
        counts[(k, metric)] = (int(met), int(missed), int(timed))
    values = (
        select(*keyed, SlaClock.metric.label("m"), SlaClock.business_minutes.label("v"))
        .join(Ticket, join)
        .where(in_period(scope), SlaClock.business_minutes.is_not(None))
        .subquery()
    )
    keys = ["k", "m"] if key is not None else ["m"]
    percentiles = {}
    for row in _percentile_rows(session, values, keys):
        k = row[0] if key is not None else None
        percentiles[(k, row[-3])] = (row[-2], row[-1])
    out = {}
    for (k, metric), (met, missed, timed) in counts.items():
        median, p90 = percentiles.get((k, metric), (None, None))
        out[(k, metric)] = MetricFigures(
            count=timed,
            median_minutes=None if median is None else float(median),
            p90_minutes=None if p90 is None else float(p90),
            met=met,
            missed=missed,
        )
    return out


def _age_condition(index: int, now: datetime) -> ColumnElement[bool]:
    _, low, high = AGE_BUCKETS[index]
    parts = []
    if high is not None:
        parts.append(Ticket.created_at > now - high)
    if index > 0:
        parts.append(Ticket.created_at <= now - low)
    return and_(Ticket.status.in_(BACKLOG_STATUSES), *parts)


def _ticket_counts(session: Session, scope: Scope, key=None) -> dict:
    """{key: (tickets, solved, {status: n}, {age bucket: n})} of the period's tickets."""
    keyed = [key] if key is not None else []
    stmt = select(
        *keyed,
        func.count(),
        _count_if(Ticket.status.in_(SOLVED_STATUSES)),
        *[_count_if(Ticket.status == s) for s in BACKLOG_STATUSES],
        *[_count_if(_age_condition(i, scope.now)) for i in range(len(AGE_BUCKETS))],
    ).where(in_period(scope))
    if key is not None:
        stmt = stmt.group_by(key)
    out = {}
    for row in session.execute(stmt):
        k = row[0] if key is not None else None
        numbers = [int(n) for n in row[len(keyed) :]]
        tickets, solved = numbers[:2]
        statuses = dict(zip(BACKLOG_STATUSES, numbers[2 : 2 + len(BACKLOG_STATUSES)], strict=True))
        ages = dict(
            zip(
                [name for name, _, _ in AGE_BUCKETS],
                numbers[2 + len(BACKLOG_STATUSES) :],
                strict=True,
            )
        )
        out[k] = (tickets, solved, statuses, ages)
    return out


# -- figures ----------------------------------------------------------------------------------


def summary(session: Session, scope: Scope) -> Summary:
    """The headline figures of the client and period (three aggregate queries)."""
    tickets, solved, backlog, ages = _ticket_counts(session, scope)[None]
    figures = _metric_figures(session, scope)
    return Summary(
        tickets=tickets,
        solved=solved,
        backlog=backlog,
        backlog_by_age=ages,
        metrics={m: figures.get((None, m), MetricFigures()) for m in METRICS},
    )


_DIMENSION_COLUMNS = {
    "priority": Ticket.priority,
    "channel": Ticket.channel,
    "locale": Ticket.locale,
    "site": Ticket.site_id,
    "agent": Ticket.assignee_id,
}


def breakdown(session: Session, scope: Scope, dimension: str) -> list[BreakdownRow]:
    """The figures per value of a dimension, most tickets first (three aggregate queries)."""
    key = _DIMENSION_COLUMNS[dimension]
    counts = _ticket_counts(session, scope, key)
    figures = _metric_figures(session, scope, key)
    values, labels = _labels(session, dimension, [k for k in counts if k is not None])
    rows = [
        BreakdownRow(
            value=values.get(k, k) if k is not None else None,
            label=labels.get(k) if k is not None else None,
            tickets=tickets,
            solved=solved,
            metrics={m: figures.get((k, m), MetricFigures()) for m in METRICS},
        )
        for k, (tickets, solved, _, _) in counts.items()
    ]
    rows.sort(key=lambda r: (-r.tickets, r.value is None, str(r.value)))
    return rows


def _labels(session: Session, dimension: str, ids: list) -> tuple[dict, dict]:
    """Drill-down values and display labels of site and agent ids (one query)."""
    if dimension == "site" and ids:
        found = session.execute(select(Site.id, Site.slug, Site.name).where(Site.id.in_(ids)))
        rows = found.all()
        return {i: slug for i, slug, _ in rows}, {i: name for i, _, name in rows}
    if dimension == "agent" and ids:
        found = session.execute(select(User.id, User.name).where(User.id.in_(ids)))
        return {}, dict(found.all())
    return {}, {}


def heatmap(session: Session, scope: Scope) -> list[list[int]]:
    """Tickets created per local weekday (rows, Monday first) and local hour (columns)."""
    local = local_parts(session, scope.period, Ticket.created_at)
    stmt = (
        select(local.weekday, local.hour, func.count())
        .where(in_period(scope))
        .group_by(local.weekday, local.hour)
    )
    grid = [[0] * HOURS for _ in range(WEEKDAYS)]
    for weekday, hour, count in session.execute(stmt):
        grid[int(weekday)][int(hour)] = int(count)
    return grid


def trend(session: Session, scope: Scope) -> list[TrendDay]:
    """Every local day of the period with its tickets and how many of them are solved now."""
    local = local_parts(session, scope.period, Ticket.created_at)
    stmt = (
        select(local.day, func.count(), _count_if(Ticket.status.in_(SOLVED_STATUSES)))
        .where(in_period(scope))
        .group_by(local.day)
    )
    found = {str(day): (int(n), int(s)) for day, n, s in session.execute(stmt)}
    return [TrendDay(day, *found.get(day.isoformat(), (0, 0))) for day in scope.period.days]


__all__ = [
    "DIMENSIONS",
    "FIGURES",
    "NONE",
    "OUTCOMES",
    "BreakdownRow",
    "Drill",
    "Scope",
    "TrendDay",
    "breakdown",
    "clocks_of_period",
    "heatmap",
    "in_period",
    "local_parts",
    "outcome_expression",
    "summary",
    "trend",
]
