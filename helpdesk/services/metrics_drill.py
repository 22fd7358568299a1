"""The tickets behind a dashboard figure: the WHERE clauses that select them, and a page of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from helpdesk.domain.metrics import BACKLOG_STATUSES, SOLVED_STATUSES, day_start
from helpdesk.models import Site, SlaClock, Ticket, User
from helpdesk.services.metrics import NONE, Drill, Scope, in_period, outcome_expression
from helpdesk.services.metrics_sql import local_parts


def _clock_exists(ticket_id, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    return exists().where(SlaClock.ticket_id == ticket_id, condition)


def drill_conditions(session: Session, scope: Scope, drill: Drill) -> list[ColumnElement[bool]]:
    """WHERE clauses selecting the period's tickets behind a figure."""
    where: list[ColumnElement[bool]] = [in_period(scope)]
    if drill.figure == "solved":
        where.append(Ticket.status.in_(SOLVED_STATUSES))
    elif drill.figure == "backlog":
        where.append(Ticket.status.in_(BACKLOG_STATUSES))
    elif drill.figure in ("responded", "met", "missed"):
        condition = (
            SlaClock.business_minutes.is_not(None)
            if drill.figure == "responded"
            else outcome_expression(scope.now) == drill.figure
        )
        if drill.metric is not None:
            condition = and_(SlaClock.metric == drill.metric, condition)
        where.append(_clock_exists(Ticket.id, condition))
    for name in ("status", "priority", "channel", "locale"):
        value = getattr(drill, name)
        if value is not None:
            where.append(getattr(Ticket, name) == value)
    if drill.site is not None:
        where.append(
            Ticket.site_id.is_(None)
            if drill.site == NONE
            else Ticket.site_id == select(Site.id).where(Site.slug == drill.site).scalar_subquery()
        )
    if drill.agent is not None:
        where.append(
            Ticket.assignee_id.is_(None)
            if drill.agent == NONE
            else Ticket.assignee_id == drill.agent
        )
    if drill.day is not None:
        tz = scope.period.zone
        where.append(Ticket.created_at >= day_start(drill.day, tz))
        where.append(Ticket.created_at < day_start(drill.day + timedelta(days=1), tz))
    if drill.weekday is not None or drill.hour is not None:
        local = local_parts(session, scope.period, Ticket.created_at)
        if drill.weekday is not None:
            where.append(local.weekday == drill.weekday)
        if drill.hour is not None:
            where.append(local.hour == drill.hour)
    return where


@dataclass(frozen=True)
class DrillPage:
    """One page of the tickets behind a figure, oldest first."""

    items: list[dict]
    page: int
    per_page: int
    total: int


def drill_down(
    session: Session, scope: Scope, drill: Drill, *, page: int = 1, per_page: int = 50
) -> DrillPage:
    """The tickets behind a figure, paginated (a count and one page of rows)."""
    where = drill_conditions(session, scope, drill)
    total = session.scalar(select(func.count()).select_from(Ticket).where(*where))
    assignee = User.__table__.alias("assignee")
    stmt = (
        select(
            Ticket.id,
            Ticket.number,
            Ticket.subject,
            Ticket.created_at,
            Ticket.status,
            Ticket.priority,
            Ticket.channel,
            Ticket.locale,
            Site.slug,
            Ticket.assignee_id,
            assignee.c.name,
        )
        .outerjoin(Site, Site.id == Ticket.site_id)
        .outerjoin(assignee, assignee.c.id == Ticket.assignee_id)
        .where(*where)
        .order_by(Ticket.created_at, Ticket.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    )
    prefix = scope.client.reference_prefix
    items = [
        {
            "id": row.id,
            "reference": f"{prefix}-{row.number}",
            "subject": row.subject,
            "created_at": row.created_at,
            "status": row.status,
            "priority": row.priority,
            "channel": row.channel,
            "locale": row.locale,
            "site": row.slug,
            "assignee": None
            if row.assignee_id is None
            else {"id": row.assignee_id, "name": row.name},
        }
        for row in session.execute(stmt)
    ]
    return DrillPage(items=items, page=page, per_page=per_page, total=int(total or 0))
