"""Read receipts: how far each user has read a ticket's thread (they survive reconnects)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from helpdesk.models import Message, TicketRead, User


def mark_read(session: Session, *, user: User, message: Message, now: datetime) -> None:
    """The user has read the thread up to `message`; never moves a receipt backwards."""
    receipt = session.get(TicketRead, (message.ticket_id, user.id))
    if receipt is None:
        session.add(
            TicketRead(ticket_id=message.ticket_id, user_id=user.id, message_id=message.id, at=now)
        )
    elif receipt.message_id < message.id:
        receipt.message_id, receipt.at = message.id, now
    session.commit()
