"""E-mail replies that could not prove their sender: held for an agent, accepted or discarded.

A reply by mail joins its ticket as the requester's only when it proves who sent it (the
ticket's signed reply address, or our relay's SPF/DMARC verdict: services.mail_intake).
One that proves neither is kept as a held message: internal, so every customer path leaves
it out as it leaves out notes, and without any effect on the ticket: no reopening, no SLA
clock, no mail, no live push to the customer. An agent then accepts it (it joins the thread
through `join`, the path of every e-mail reply, as if it had just arrived) or discards it
(it stays hidden, marked discarded, with its original mail kept as evidence).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from helpdesk.models import Attachment, MailMessageId, Message, Ticket, User
from helpdesk.services import audit
from helpdesk.services.errors import NotFound
from helpdesk.services.scope import is_staff_of
from helpdesk.services.tickets import add_message, announce_message, record_event

UNPROVEN_SENDER = "unproven_sender"
DISCARDED = "discarded"  # hold_reason of a held reply an agent discarded


def join(session: Session, *, ticket: Ticket, author: User, body: str, now: datetime) -> Message:
    """Add an e-mail reply as the requester's public message (not committed).

    The one way a reply by mail joins a thread, proven on arrival or accepted by an agent:
    the ticket reopens, SLA clocks move and the change is announced as for any reply.
    """
    return add_message(
        session,
        ticket=ticket,
        author=author,
        body=body,
        now=now,
        channel="email",
        staff=False,
        commit=False,
    )


def hold(
    session: Session,
    *,
    ticket: Ticket,
    author: User,
    body: str,
    now: datetime,
    reason: str = UNPROVEN_SENDER,
    sender: str = "",
    envelope_from: str | None = None,
) -> Message:
    """Keep a reply for review (not committed): internal, held, no effect on the ticket."""
    message = Message(
        ticket=ticket,
        author=author,
        kind="reply",
        internal=True,
        held=True,
        hold_reason=reason,
        body=body,
        channel="email",
        created_at=now,
    )
    session.add(message)
    session.flush()
    # The id goes in `data` only: an accepted reply's held copy is removed, its events stay.
    record_event(
        session, ticket, "reply_held", actor=None, now=now, held_id=message.id, hold=reason
    )
    audit.record(
        session,
        "reply_held",
        now=now,
        client_id=ticket.client_id,
        data={
            "ticket": ticket.reference,
            "message_id": message.id,
            "from": sender,
            "envelope_from": envelope_from or "",
            "reason": reason,
        },
    )
    return message


def waiting(session: Session, ticket: Ticket) -> list[Message]:
    """The ticket's held replies an agent has not decided on yet, oldest first."""
    return list(
        session.scalars(
            select(Message)
            .where(
                Message.ticket_id == ticket.id,
                Message.held.is_(True),
                Message.hold_reason != DISCARDED,
            )
            .options(joinedload(Message.author))
            .order_by(Message.id)
        )
    )


def accept(
    session: Session, *, ticket: Ticket, message_id: int, actor: User, now: datetime
) -> Message:
    """The agent vouches for a held reply: it joins the thread as the requester's, now.

    A new public message is added through `join` (so the ticket reopens, the next-response
    clock starts and the customer's page updates live, as for a reply that just arrived);
    the held copy's files and Message-ID move to it and the held copy is removed.
    Raises NotFound for anything but a waiting held reply of a ticket the actor works, and
    Conflict when the ticket is closed.
    """
    held = _waiting_or_404(session, ticket, message_id, actor)
    old_status = ticket.status
    message = join(session, ticket=ticket, author=held.author, body=held.body, now=now)
    session.flush()
    for model in (Attachment, MailMessageId):
        session.execute(
            update(model).where(model.message_id == held.id).values(message_id=message.id),
            execution_options={"synchronize_session": False},
        )
    record_event(
        session, ticket, "reply_accepted", actor=actor, now=now, message=message, held_id=held.id
    )
    _audit(session, "reply_accepted", ticket, held, actor, now, message_id=message.id)
    session.delete(held)
    session.commit()
    session.expire(ticket, ["messages"])  # the held copy is gone from the loaded thread
    announce_message(ticket, message, status_changed=ticket.status != old_status)
    return message


def discard(
    session: Session, *, ticket: Ticket, message_id: int, actor: User, now: datetime
) -> Message:
    """The agent rejects a held reply: it stays hidden (with its original), marked discarded."""
    held = _waiting_or_404(session, ticket, message_id, actor)
    reason, held.hold_reason = held.hold_reason, DISCARDED
    record_event(
        session, ticket, "reply_discarded", actor=actor, now=now, held_id=held.id, hold=reason
    )
    _audit(session, "reply_discarded", ticket, held, actor, now, hold=reason)
    session.commit()
    return held


def _waiting_or_404(session: Session, ticket: Ticket, message_id: object, actor: User) -> Message:
    held = session.get(Message, message_id) if isinstance(message_id, int) else None
    if (
        held is None
        or held.ticket_id != ticket.id
        or not held.held
        or held.hold_reason == DISCARDED
        or not is_staff_of(actor, ticket)
    ):
        raise NotFound(_l("No such held reply on this ticket."))
    return held


def _audit(session, kind, ticket: Ticket, held: Message, actor: User, now, **data) -> None:
    audit.record_request(
        session,
        kind,
        now=now,
        actor=actor,
        client_id=ticket.client_id,
        data={"ticket": ticket.reference, "held_message_id": held.id, **data},
    )
