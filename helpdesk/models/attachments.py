"""Files that came with ticket messages: metadata here, bytes on disk in the instance folder."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from helpdesk.extensions import db
from helpdesk.models.tickets import Message, Ticket
from helpdesk.models.types import UTCDateTime, utcnow


class Attachment(db.Model):
    """One stored file of a ticket; `message` is NULL for files of the opening post."""

    __tablename__ = "attachments"
    __table_args__ = (Index("ix_attachments_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )
    # Cleaned for display and download; the bytes live at a path derived from sha256.
    filename: Mapped[str] = mapped_column(String(255))
    # Sniffed from the bytes for a small allow-list, never taken from the sender's claim.
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # The complete original e-mail (.eml), kept for staff beside the trimmed text.
    original: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
    message: Mapped[Message | None] = relationship()
