"""How many rows a list matches, at a cost that does not grow with the table: counted exactly
up to a cap, estimated past it (PostgreSQL's planner; elsewhere the cap, a lower bound)."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import Select, func, literal, select
from sqlalchemy.orm import Session

# Lists count exactly up to here; past it a count would read every matching row.
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Total:
    """A list's size: `value` is exact when `exact`, else an estimate of at least the cap."""

    value: int
    exact: bool = True


def capped_total(session: Session, stmt: Select, *, cap: int | None = None) -> Total:
    """The rows `stmt` matches: exact up to `cap` (COUNT_CAP), an estimate past it."""
    cap = COUNT_CAP if cap is None else cap
    matching = stmt.with_only_columns(literal(1)).order_by(None).limit(cap + 1).subquery()
    counted = session.scalar(select(func.count()).select_from(matching)) or 0
    if counted <= cap:
        return Total(counted)
    return Total(max(cap, _planner_estimate(session, stmt)), exact=False)


def _planner_estimate(session: Session, stmt: Select) -> int:
    """PostgreSQL's estimate of the rows `stmt` returns (0 where there is no planner to ask)."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return 0
    query = stmt.with_only_columns(literal(1)).order_by(None)
    compiled = query.compile(dialect=bind.dialect, compile_kwargs={"render_postcompile": True})
    plan = (
        session.connection()
        .exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled.string}", compiled.params)
        .scalar()
    )
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])
