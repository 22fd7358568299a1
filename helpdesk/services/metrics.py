"""Response metrics of one client and period, computed by SQL aggregates.

The figures are defined in `helpdesk.domain.metrics`; here they are aggregate queries over
the period's tickets (found through the (client_id, created_at) index) and their SLA
clocks. Nothing loops over tickets in Python: only aggregated rows (one per metric,
breakdown value, heatmap cell or day) come back. The whole dashboard takes two passes on
PostgreSQL: one over the tickets grouped by every breakdown, heatmap cell and day at once,
one over their clocks per breakdown value and metric (grouping sets; SQLite runs one
GROUP BY per set). The dialect-specific SQL (local time, percentiles, grouping sets) is in
`helpdesk.services.metrics_sql`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, case, func, select
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
from helpdesk.services.metrics_sql import (
    LocalParts,
    count_if,
    grouped,
    local_parts,
    percentile_rows,
    set_columns,
)

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


_BREAKDOWN_COLUMNS = {
    "priority": Ticket.priority,
    "channel": Ticket.channel,
    "locale": Ticket.locale,
    "site": Ticket.site_id,
    "agent": Ticket.assignee_id,
}


def _metric_figures(session: Session, scope: Scope, dimensions: Sequence[str | None]) -> dict:
    """{dimension: {(key, metric): MetricFigures}} of the period's clocks, per value of each
    dimension (None: the whole period), from one pass over the clocks on PostgreSQL."""
    sets = {d: ((d,) if d is not None else ()) + ("m",) for d in dimensions}
    base = (
        select(
            *[_BREAKDOWN_COLUMNS[n].label(n) for n in set_columns(sets) if n != "m"],
            SlaClock.metric.label("m"),
            SlaClock.business_minutes.label("v"),
            outcome_expression(scope.now).label("outcome"),
        )
        .join(Ticket, clocks_of_period(scope))
        .where(in_period(scope))
        .subquery()
    )
    counts = [count_if(base.c.outcome == "met"), count_if(base.c.outcome == "missed")]
    counts.append(func.count(base.c.v))
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # percentile_cont skips nulls: the clocks without a response time drop out of it.
        counts += [func.percentile_cont(f).within_group(base.c.v) for f in (P50, P90)]
    out: dict = {}
    for dimension, rows in grouped(session, base, sets, counts).items():
        percentiles = {}
        if not postgresql:
            values = select(base).where(base.c.v.is_not(None)).subquery()
            for row in percentile_rows(session, values, sets[dimension]):
                percentiles[tuple(row[:-2])] = (row[-2], row[-1])
        figures = out[dimension] = {}
        for keys, (met, missed, timed, *found) in rows:
            median, p90 = found or percentiles.get(keys, (None, None))
            figures[(keys[0] if dimension is not None else None, keys[-1])] = MetricFigures(
                count=int(timed),
                median_minutes=None if median is None else float(median),
                p90_minutes=None if p90 is None else float(p90),
                met=int(met),
                missed=int(missed),
            )
    return out


def _age_condition(index: int, now: datetime, status, created_at) -> ColumnElement[bool]:
    _, low, high = AGE_BUCKETS[index]
    parts = []
    if high is not None:
        parts.append(created_at > now - high)
    if index > 0:
        parts.append(created_at <= now - low)
    return and_(status.in_(BACKLOG_STATUSES), *parts)


# Grouping sets of the ticket pass: the whole period, each breakdown, heatmap cells, days.
_TICKET_SETS = {
    None: (),
    **{d: (d,) for d in _BREAKDOWN_COLUMNS},
    "heatmap": ("weekday", "hour"),
    "trend": ("day",),
}


def _ticket_counts(session: Session, scope: Scope, groups: Sequence[str | None]) -> dict:
    """{group: {key: (tickets, solved, {status: n}, {age bucket: n})}} of the period's tickets
    for each of `groups` (None, a dimension, heatmap, trend), in one pass on PostgreSQL."""
    sets = {g: _TICKET_SETS[g] for g in groups}
    wanted = set_columns(sets)
    local = local_parts(session, scope.period, Ticket.created_at)
    columns = {**_BREAKDOWN_COLUMNS, "weekday": local.weekday, "hour": local.hour, "day": local.day}
    base = (
        select(
            *[columns[n].label(n) for n in wanted],
            Ticket.status.label("status"),
            Ticket.created_at.label("created_at"),
        )
        .where(in_period(scope))
        .subquery()
    )
    status, created_at = base.c.status, base.c.created_at
    aggregates = [
        func.count(),
        count_if(status.in_(SOLVED_STATUSES)),
        *[count_if(status == s) for s in BACKLOG_STATUSES],
        *[
            count_if(_age_condition(i, scope.now, status, created_at))
            for i in range(len(AGE_BUCKETS))
        ],
    ]
    out: dict = {}
    n = len(BACKLOG_STATUSES)
    for group, rows in grouped(session, base, sets, aggregates).items():
        counts = out[group] = {}
        for keys, values in rows:
            numbers = [int(v) for v in values]
            statuses = dict(zip(BACKLOG_STATUSES, numbers[2 : 2 + n], strict=True))
            ages = dict(zip([name for name, _, _ in AGE_BUCKETS], numbers[2 + n :], strict=True))
            counts[keys[0] if len(keys) == 1 else keys] = (*numbers[:2], statuses, ages)
    return out


# -- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    """Everything the dashboard shows of one client and period; the parts not asked for
    are empty."""

    summary: Summary
    breakdowns: dict[str, list[BreakdownRow]] = field(default_factory=dict)
    heatmap: list[list[int]] | None = None
    trend: list[TrendDay] | None = None


def dashboard(
    session: Session,
    scope: Scope,
    *,
    breakdowns: bool = True,
    heatmap: bool = True,
    trend: bool = True,
) -> Dashboard:
    """The summary and the parts asked for, in two aggregate statements on PostgreSQL: one
    pass over the period's tickets (grouped by every breakdown, heatmap cell and day at
    once) and one over their clocks (per breakdown value and metric)."""
    dimensions = list(DIMENSIONS) if breakdowns else []
    groups = [None, *dimensions] + ["heatmap"] * heatmap + ["trend"] * trend
    counts = _ticket_counts(session, scope, groups)
    figures = _metric_figures(session, scope, [None, *dimensions])
    return Dashboard(
        summary=_summary(counts[None], figures[None]),
        breakdowns={d: _breakdown(session, d, counts[d], figures[d]) for d in dimensions},
        heatmap=_heatmap(counts["heatmap"]) if heatmap else None,
        trend=_trend(scope, counts["trend"]) if trend else None,
    )


def summary(session: Session, scope: Scope) -> Summary:
    """The headline figures of the client and period (two aggregate queries; three on SQLite)."""
    counts = _ticket_counts(session, scope, [None])[None]
    return _summary(counts, _metric_figures(session, scope, [None])[None])


def _summary(counts: dict, figures: dict) -> Summary:
    tickets, solved, backlog, ages = counts[()]
    return Summary(
        tickets=tickets,
        solved=solved,
        backlog=backlog,
        backlog_by_age=ages,
        metrics={m: figures.get((None, m), MetricFigures()) for m in METRICS},
    )


def breakdown(session: Session, scope: Scope, dimension: str) -> list[BreakdownRow]:
    """The figures per value of a dimension, most tickets first (two aggregate queries, three
    on SQLite, and the labels)."""
    counts = _ticket_counts(session, scope, [dimension])[dimension]
    figures = _metric_figures(session, scope, [dimension])[dimension]
    return _breakdown(session, dimension, counts, figures)


def _breakdown(session: Session, dimension: str, counts: dict, figures: dict) -> list:
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
    return _heatmap(_ticket_counts(session, scope, ["heatmap"])["heatmap"])


def _heatmap(counts: dict) -> list[list[int]]:
    grid = [[0] * HOURS for _ in range(WEEKDAYS)]
    for (weekday, hour), (tickets, *_) in counts.items():
        grid[int(weekday)][int(hour)] = tickets
    return grid


def trend(session: Session, scope: Scope) -> list[TrendDay]:
    """Every local day of the period with its tickets and how many of them are solved now."""
    return _trend(scope, _ticket_counts(session, scope, ["trend"])["trend"])


def _trend(scope: Scope, counts: dict) -> list[TrendDay]:
    found = {str(day): (n, solved) for day, (n, solved, *_) in counts.items()}
    return [TrendDay(day, *found.get(day.isoformat(), (0, 0))) for day in scope.period.days]


__all__ = [
    "DIMENSIONS",
    "FIGURES",
    "LocalParts",
    "NONE",
    "OUTCOMES",
    "BreakdownRow",
    "Dashboard",
    "Drill",
    "Scope",
    "TrendDay",
    "breakdown",
    "clocks_of_period",
    "dashboard",
    "heatmap",
    "in_period",
    "local_parts",
    "outcome_expression",
    "summary",
    "trend",
]
