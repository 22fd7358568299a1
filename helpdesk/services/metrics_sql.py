"""The dialect-specific SQL of the metrics: local time, percentiles and grouping sets.

Percentiles: PostgreSQL's `percentile_cont`; SQLite has no percentile function, so the
values are ranked with `row_number()` and `count()` windows and the two neighbour ranks
of each percentile are interpolated in SQL with the same float operations, which gives
the same figures to the last bit.

Local time: PostgreSQL reads `created_at AT TIME ZONE tz`. SQLite knows no zones, so the
period is split into runs of constant UTC offset (at most a few per year) and each
ticket's instant is shifted by its run's offset in minutes: exact for half-hour and
quarter-hour zones, and across DST changes.

Grouping sets: PostgreSQL groups one scan of the rows by several sets of columns at once
(`GROUP BY GROUPING SETS`); SQLite has none, so it runs one GROUP BY per set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    case,
    cast,
    extract,
    func,
    literal,
    select,
    tuple_,
)
from sqlalchemy.orm import Session

from helpdesk.domain.metrics import P50, P90, Period
from helpdesk.models.types import UTCDateTime

__all__ = [
    "LocalParts",
    "count_if",
    "grouped",
    "local_parts",
    "percentile_rows",
    "set_columns",
]


def count_if(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet the condition (0 for none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


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


def percentile_rows(session: Session, values, keys: Sequence[str]) -> list:
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


def set_columns(sets: dict) -> list[str]:
    """Every column named by some grouping set, in first-seen order."""
    return list(dict.fromkeys(name for names in sets.values() for name in names))


def grouped(session: Session, base, sets: dict, aggregates: list) -> dict:
    """{set name: [(key tuple, aggregate values)]} of a subquery grouped by each set of
    column names: one GROUPING SETS statement on PostgreSQL, one GROUP BY per set
    otherwise (SQLite has no grouping sets)."""
    out: dict = {name: [] for name in sets}
    columns = set_columns(sets)
    if len(sets) == 1 or session.get_bind().dialect.name != "postgresql":
        for name, names in sets.items():
            keys = [base.c[n] for n in names]
            stmt = select(*keys, *aggregates).group_by(*keys)
            for row in session.execute(stmt):
                out[name].append((tuple(row[: len(keys)]), tuple(row[len(keys) :])))
        return out
    cols = [base.c[n] for n in columns]
    # GROUPING(a, b, …) sets the bit of each column a row's set leaves out, first one highest.
    masks = {
        sum(1 << (len(columns) - 1 - i) for i, n in enumerate(columns) if n not in names): name
        for name, names in sets.items()
    }
    stmt = select(func.grouping(*cols), *cols, *aggregates).group_by(
        func.grouping_sets(*[tuple_(*[base.c[n] for n in names]) for names in sets.values()])
    )
    for row in session.execute(stmt):
        name = masks[row[0]]
        keys = tuple(row[1 + columns.index(n)] for n in sets[name])
        out[name].append((keys, tuple(row[1 + len(columns) :])))
    return out
