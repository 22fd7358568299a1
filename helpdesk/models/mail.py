"""E-mail bookkeeping: the Message-IDs that thread a ticket, and the outbox of mail to send."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.tickets import Message, Ticket
from helpdesk.models.types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from helpdesk.models.users import User

OUTBOX_STATES = ("queued", "sent", "logged", "failed", "skipped")  # skipped: demo history
OUTBOX_KINDS = ("ack", "reply", "solved", "password", "invite", "confirm")
MESSAGE_ID_MAX = 250


class MailMessageId(db.Model):
    """A Message-ID seen on a ticket, received or sent: replies quoting it thread onto it."""

    __tablename__ = "mail_message_ids"
    __table_args__ = (
        UniqueConstraint("client_id", "header"),
        Index("ix_mail_message_ids_ticket_id_id", "ticket_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    # Without the angle brackets, as it appears between them.
    header: Mapped[str] = mapped_column(String(MESSAGE_ID_MAX))
    direction: Mapped[str] = mapped_column(String(8))  # "in" or "out"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    message: Mapped[Message | None] = relationship()


class OutboundMail(db.Model):
    """A mail the scheduler delivers: to a customer about their ticket (queued with the ticket
    change), or an account link to a user (`password`, `confirm`: `user` set, no ticket)."""

    __tablename__ = "outbound_mail"
    __table_args__ = (Index("ix_outbound_mail_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    to_addr: Mapped[str] = mapped_column(String(254))
    # Chosen when queued so a retried send carries the same Message-ID.
    message_id_header: Mapped[str] = mapped_column(String(MESSAGE_ID_MAX))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket | None] = relationship()
    message: Mapped[Message | None] = relationship()
    user: Mapped[User | None] = relationship()
