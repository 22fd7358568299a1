"""Ticket aggregate: tickets, their message thread, append-only events, idempotency keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    case,
    event,
    literal_column,
    text,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, orm_insert_sentinel, relationship

from helpdesk.extensions import db
from helpdesk.models.sites import Site
from helpdesk.models.tenancy import Client
from helpdesk.models.types import UTCDateTime, utcnow
from helpdesk.models.users import User

STATUSES = ("new", "open", "pending", "solved", "closed")
# Still needs work, not solved or closed: Ticket.is_open, the backlog, an agent's "open work".
OPEN_STATUSES = ("new", "open", "pending")
# Waiting on the desk, not on the customer: an agent's load, what routing hands out and
# what a handoff moves (a pending ticket waits on the customer).
ACTIVE_STATUSES = ("new", "open")
CHANNELS = ("portal", "api", "email", "chat")
MESSAGE_KINDS = ("reply", "note", "chat", "system")


class Ticket(db.Model):
    """A customer's request to one client's help desk."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("client_id", "number"),
        Index("ix_tickets_client_created", "client_id", "created_at"),
        # A client's open work by assignee, language and skill: the queue's tab counts read
        # the index alone (it also serves every (client_id, status) search).
        Index("ix_tickets_client_work", "client_id", "status", "assignee_id", "locale", "category"),
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_requester_created", "requester_id", "created_at"),
        Index("ix_tickets_queue", "site_id", "status", "created_at"),
        Index("ix_tickets_client_status_due", "client_id", "status", "next_due_at"),
        # GET /tickets, newest first: read from the end of the index, not sorted per request.
        Index("ix_tickets_created_id", "created_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="new")
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str] = mapped_column(String(16))
    category: Mapped[str | None] = mapped_column(String(40))
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Routing outcome: the site whose queue holds the ticket and when pickup is expected.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    expected_pickup_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The earliest due time of the ticket's live SLA clocks, kept by the SLA service so
    # queues sort by urgency with an index instead of a subquery per ticket.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last routing decision as {"code", "params"}; rendered in the reader's language.
    routing_note: Mapped[dict | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    solved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    site: Mapped[Site | None] = relationship()
    messages: Mapped[list[Message]] = relationship(
        back_populates="ticket", order_by="Message.id", cascade="all, delete-orphan"
    )
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )
    sla_clocks = relationship(
        "SlaClock", back_populates="ticket", order_by="SlaClock.id", cascade="all, delete-orphan"
    )

    @property
    def reference(self) -> str:
        """The per-client reference customers quote, e.g. ACME-17."""
        return f"{self.client.reference_prefix}-{self.number}"

    @property
    def is_open(self) -> bool:
        """Whether the ticket still needs work."""
        return self.status in OPEN_STATUSES

    def __repr__(self) -> str:
        return f"<Ticket {self.id} {self.status}>"


# Priorities most urgent first.
_BY_URGENCY = ("urgent", "high", "normal", "low")
# Their rank as SQL. The values are literals, not parameters, so that a
# query's ORDER BY is the very expression of ix_tickets_due_order and reads from it.
PRIORITY_RANK = case(
    *(
        (Ticket.priority == literal_column(f"'{name}'"), literal_column(str(rank)))
        for rank, name in enumerate(_BY_URGENCY)
    ),
    else_=literal_column(str(len(_BY_URGENCY))),
)
# PRIORITY_RANK in the index: in parentheses (PostgreSQL takes no other expression there)
# and laid out as PostgreSQL prints it back, so that `flask db check` sees no change.
PRIORITY_RANK_INDEXED = text(
    "(\nCASE\n"
    + "".join(
        f"    WHEN priority = '{name}' THEN {rank}\n" for rank, name in enumerate(_BY_URGENCY)
    )
    + f"    ELSE {len(_BY_URGENCY)}\nEND)"
)
# The queues' default order (due soonest, then priority, then age) with the filters' columns:
# a page of it reads the first rows of the index instead of sorting every matching ticket.
Index(
    "ix_tickets_due_order",
    Ticket.next_due_at,
    PRIORITY_RANK_INDEXED,
    Ticket.created_at,
    Ticket.id,
    Ticket.status,
    Ticket.client_id,
)


class Message(db.Model):
    """One entry of a ticket's thread: public reply, internal note, chat line or system text."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_ticket_id_id", "ticket_id", "id"),
        UniqueConstraint("ticket_id", "author_id", "client_msg_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    _sentinel: Mapped[int | None] = orm_insert_sentinel()  # chat lines batch (TicketEvent)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(16), default="reply")
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    body: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(16))
    client_msg_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # An e-mail reply that proved neither the ticket's signed reply address nor the sender's
    # domain (SPF/DMARC): kept for an agent's review, seen by staff only, until accepted.
    held: Mapped[bool] = mapped_column(Boolean, default=False, server_default=sa_false())
    hold_reason: Mapped[str | None] = mapped_column(String(32))

    ticket: Mapped[Ticket] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()


class TicketEvent(db.Model):
    """An append-only record of a change to a ticket: what, who, when and why."""

    __tablename__ = "ticket_events"
    __table_args__ = (Index("ix_ticket_events_ticket_id_id", "ticket_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # A flush's events go in one INSERT ... RETURNING: SQLite returns rows in no promised
    # order, so SQLAlchemy matches them to their objects by this client-side counter
    # (PostgreSQL batches without it). Without it, every event was its own statement.
    _sentinel: Mapped[int | None] = orm_insert_sentinel()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The message an event is about (message_added, note_added): with the relationship the
    # message is inserted first in the same flush and its id copied into `data` below.
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), index=True
    )

    ticket: Mapped[Ticket] = relationship(back_populates="events")
    actor: Mapped[User | None] = relationship()
    message: Mapped[Message | None] = relationship()


@event.listens_for(TicketEvent, "before_insert")
def _message_id_in_data(_mapper, _connection, target: TicketEvent) -> None:
    """Readers of the log find the message's id in `data`, as events always had it."""
    if target.message is not None and target.data.get("message_id") is None:
        target.data = {**target.data, "message_id": target.message.id}


class TicketRead(db.Model):
    """How far a user has read a ticket's thread (read receipts survive reconnects)."""

    __tablename__ = "ticket_reads"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    message_id: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class IdempotencyKey(db.Model):
    """Remembers the ticket an `Idempotency-Key` created, per caller."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("principal", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    principal: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    ticket: Mapped[Ticket] = relationship()
