"""SLA clocks: one row per ticket, metric and cycle, with stored due and warning times."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column, orm_insert_sentinel, relationship

from helpdesk.extensions import db
from helpdesk.models.tenancy import Calendar
from helpdesk.models.types import UTCDateTime

CLOCK_STATES = ("active", "hit", "missed", "cancelled")
_ACTIVE = text("state = 'active'")


class SlaClock(db.Model):
    """A running or finished SLA clock.

    `state`: active (running or paused, not yet due), hit (fulfilled in time),
    missed (breached; `fulfilled_at` may still come later), cancelled (stopped
    without a response, e.g. the ticket was solved). Due and warning instants are
    computed when the clock changes and stored, so the scanner is an indexed query.
    """

    __tablename__ = "sla_clocks"
    __table_args__ = (
        Index("ix_sla_clocks_ticket_metric", "ticket_id", "metric", "cycle"),
        Index("ix_sla_clocks_client_started", "client_id", "started_at"),
        # Partial indexes keep the breach scan fast however many finished clocks exist.
        Index("ix_sla_clocks_active_due", "due_at", sqlite_where=_ACTIVE, postgresql_where=_ACTIVE),
        Index(
            "ix_sla_clocks_active_warn", "warn_at", sqlite_where=_ACTIVE, postgresql_where=_ACTIVE
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Lets a ticket's clocks go in one INSERT ... RETURNING on SQLite too (see TicketEvent).
    _sentinel: Mapped[int | None] = orm_insert_sentinel()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    metric: Mapped[str] = mapped_column(String(16))
    cycle: Mapped[int] = mapped_column(Integer, default=1)
    state: Mapped[str] = mapped_column(String(16), default="active")
    target_minutes: Mapped[int] = mapped_column(Integer)
    # NULL: the 24x7 calendar.
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # [[start, end or null], ...] as ISO strings; an open pause ends in null.
    pauses: Mapped[list] = mapped_column(JSON, default=list)
    paused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Business minutes from start to fulfilment outside pauses (the response time metrics use).
    business_minutes: Mapped[float | None] = mapped_column(Float)

    calendar: Mapped[Calendar | None] = relationship()
    ticket = relationship("Ticket", back_populates="sla_clocks")
