"""Tenancy aggregate: clients (tenants), their business calendars and SLA targets."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.types import UTCDateTime, utcnow

PRIORITIES = ("low", "normal", "high", "urgent")
ESCALATIONS = ("notify_supervisors", "raise_priority", "reroute")


class Client(db.Model):
    """A client company of the provider: the tenant every ticket belongs to."""

    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    default_locale: Mapped[str] = mapped_column(String(16), default="en")
    intake_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    inbound_email: Mapped[str | None] = mapped_column(String(254), unique=True)
    escalation: Mapped[list] = mapped_column(JSON, default=lambda: ["notify_supervisors"])
    ticket_seq: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Branding: the portal's and the mails' accent colour (#rrggbb, readable with white text)
    # and the SHA-256 of the logo in client_logos (its version in the logo's address).
    accent_color: Mapped[str | None] = mapped_column(String(7))
    logo_sha256: Mapped[str | None] = mapped_column(String(64))

    sla_targets: Mapped[list[SlaTarget]] = relationship(
        back_populates="client", cascade="all, delete-orphan"
    )

    @property
    def reference_prefix(self) -> str:
        """The prefix of ticket references, e.g. ACME in ACME-17."""
        return self.slug.upper()

    def __repr__(self) -> str:
        return f"<Client {self.slug}>"


class Calendar(db.Model):
    """A named business calendar: weekly hours in a zone, minus holidays."""

    __tablename__ = "calendars"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    timezone: Mapped[str] = mapped_column(String(64))
    hours: Mapped[dict] = mapped_column(JSON, default=dict)
    holidays: Mapped[list] = mapped_column(JSON, default=list)


class SlaTarget(db.Model):
    """One row of a client's SLA policy: targets in minutes for one priority."""

    __tablename__ = "sla_targets"
    __table_args__ = (UniqueConstraint("client_id", "priority"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    priority: Mapped[str] = mapped_column(String(16))
    first_response: Mapped[int] = mapped_column(Integer)
    next_response: Mapped[int] = mapped_column(Integer)
    resolution: Mapped[int] = mapped_column(Integer)
    # NULL means the 24x7 calendar.
    calendar_id: Mapped[int | None] = mapped_column(ForeignKey("calendars.id"))

    client: Mapped[Client] = relationship(back_populates="sla_targets")
    calendar: Mapped[Calendar | None] = relationship()


class ClientLogo(db.Model):
    """A client's logo image (PNG, JPEG, GIF or WebP), served on its portal and in its mails."""

    __tablename__ = "client_logos"

    client_id: Mapped[int] = mapped_column(
        ForeignKey("clients.id", ondelete="CASCADE"), primary_key=True
    )
    content_type: Mapped[str] = mapped_column(String(32))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
