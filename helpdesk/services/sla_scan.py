"""The SLA scan: due warnings and breaches written exactly once each, breaches escalated.

The scanner commits per clock with conditional updates, so several processes can scan at
once; a breach and its escalation are one transaction, then the world is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from helpdesk.models import SlaClock
from helpdesk.notify import publish
from helpdesk.services import follow_the_sun
from helpdesk.services.escalation import escalate
from helpdesk.services.sla import record


@dataclass
class ScanResult:
    """What one scan wrote."""

    warnings: list[int]
    breaches: list[int]


def _claimed(session: Session, query, guard, values: dict, *, limit: int):
    """Clocks matching `query`, each claimed by a conditional UPDATE; yields the won ones.

    The UPDATE repeats the condition (`guard`), so of two scanners racing for one clock
    exactly one changes a row; the other sees rowcount 0 and moves on.
    """
    for clock_id in session.scalars(query.limit(limit)).all():
        won = session.execute(
            update(SlaClock).where(SlaClock.id == clock_id, *guard).values(**values)
        ).rowcount
        if not won:
            session.commit()
            continue
        clock = session.get(SlaClock, clock_id)
        session.refresh(clock)
        yield clock


def scan(session: Session, *, now: datetime, limit: int = 500) -> ScanResult:
    """Write due warnings and breaches exactly once each, even with concurrent scanners."""
    result = ScanResult([], [])
    warn_guard = (SlaClock.state == "active", SlaClock.warned_at.is_(None), SlaClock.warn_at <= now)
    warn_query = select(SlaClock.id).where(*warn_guard).order_by(SlaClock.warn_at)
    for clock in _claimed(session, warn_query, warn_guard, {"warned_at": now}, limit=limit):
        record(session, clock.ticket, "sla_warning", clock, now)
        session.commit()
        result.warnings.append(clock.id)
        publish.sla_alert("sla_warning", clock)
    breach_guard = (
        SlaClock.state == "active",
        SlaClock.breached_at.is_(None),
        SlaClock.due_at <= now,
    )
    breach_query = select(SlaClock.id).where(*breach_guard).order_by(SlaClock.due_at)
    values = {"state": "missed", "breached_at": now}
    for clock in _claimed(session, breach_query, breach_guard, values, limit=limit):
        record(session, clock.ticket, "sla_breach", clock, now)
        owner = clock.ticket.assignee_id
        escalate(session, clock, now=now)
        session.commit()
        result.breaches.append(clock.id)
        publish.sla_alert("sla_breach", clock)
        publish.ticket_changed(clock.ticket, "sla_breach")
        if clock.ticket.assignee_id not in (None, owner):  # rerouted to someone else
            publish.ticket_assigned(clock.ticket)
            follow_the_sun.refill(session, [owner], now=now)  # the old owner has room again
    return result
