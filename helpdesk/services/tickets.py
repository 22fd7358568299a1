"""Ticket use cases: file, reply or note, update; each one transaction, then publish."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, insert, inspect, select, update
from sqlalchemy.orm import Session, object_session

from helpdesk.domain.text import without_bidi_controls
from helpdesk.i18n import Number, normalize_locale
from helpdesk.models import (
    ACTIVE_STATUSES,
    CHANNELS,
    ID_MAX,
    PRIORITIES,
    STATUSES,
    Client,
    Message,
    Ticket,
    TicketEvent,
    User,
)
from helpdesk.notify import outbound, publish
from helpdesk.services import chat_rows, follow_the_sun, routing, rows, sla
from helpdesk.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from helpdesk.services.scope import agent_serves, is_staff_of

SUBJECT_MAX = 200
BODY_MAX = 20_000
CATEGORY_RE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
CLIENT_MSG_ID_MAX = 64


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


def _clean_text(value: object, *, field: str, limit: int, errors: dict, required=True) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        errors[field] = _l("Must be text.")
        return ""
    # NUL bytes are rejected by PostgreSQL text columns; strip them everywhere for one behaviour.
    text = value.replace("\x00", "").strip()
    if required and not text:
        errors[field] = _l("This field is required.")
    elif len(text) > limit:
        errors[field] = _l("Must be at most %(limit)s characters.", limit=Number(limit))
    return text


def check_category(value: str | None, errors: dict) -> str | None:
    """A valid category (skill) name or None; records an error otherwise."""
    if value in (None, ""):
        return None
    if not isinstance(value, str) or not CATEGORY_RE.match(value):
        errors["category"] = _l("Use lowercase letters, digits, - or _ (at most 40).")
        return None
    return value


@dataclass(frozen=True)
class NewTicket:
    """What a customer (or an integration on their behalf) files."""

    subject: str
    body: str
    priority: str = "normal"
    channel: str = "portal"
    locale: str | None = None
    category: str | None = None


def validate_new_ticket(cmd: NewTicket, client: Client) -> NewTicket:
    """The command with cleaned values, or ValidationFailed naming every bad field."""
    errors: dict[str, Any] = {}
    subject = _clean_text(cmd.subject, field="subject", limit=SUBJECT_MAX, errors=errors)
    subject = without_bidi_controls(subject)  # shown in queues, mail and CSV: no disguises
    body = _clean_text(cmd.body, field="body", limit=BODY_MAX, errors=errors)
    if cmd.priority not in PRIORITIES:
        errors["priority"] = _l("Choose one of: %(choices)s.", choices=", ".join(PRIORITIES))
    if cmd.channel not in CHANNELS:
        errors["channel"] = _l("Unknown channel.")
    locale = client.default_locale
    if cmd.locale not in (None, ""):
        locale = normalize_locale(cmd.locale) if isinstance(cmd.locale, str) else None
        if locale is None:
            errors["locale"] = _l("Unknown locale.")
    category = check_category(cmd.category, errors)
    if errors:
        raise ValidationFailed(_l("The ticket has invalid fields."), fields=errors)
    return NewTicket(subject, body, cmd.priority, cmd.channel, locale, category)


def record_event(
    session: Session,
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None,
    now: datetime,
    message: Message | None = None,
    **data,
) -> TicketEvent:
    """Append an event to the ticket's log (never updated afterwards).

    An event about a message names it; its id reaches `data` when both are inserted.
    """
    event = TicketEvent(ticket=ticket, kind=kind, actor=actor, at=now, message=message, data=data)
    session.add(event)
    outbound.on_event(session, event)  # the mail it calls for commits with the change
    return event


_INSERT_EVENTS = insert(TicketEvent.__table__)


def _insert_events(
    session: Session, ticket: Ticket, events: list[tuple[str, int | None, dict]], *, now: datetime
) -> None:
    # An inserted ticket's first events (kind, actor id, data) in one statement.
    values = [
        {"ticket_id": ticket.id, "kind": kind, "actor_id": actor_id, "at": now, "data": data}
        for kind, actor_id, data in events
    ]
    # Into the table: nothing here needs the ORM's bulk path, which costs more.
    session.connection().execute(_INSERT_EVENTS, values)


def _next_number(session: Session, client: Client) -> int:
    # One UPDATE ... RETURNING: concurrent intakes get distinct numbers on both databases.
    # On the table, not the entity: the Client object's own ticket_seq is never read for
    # numbering, so the ORM has nothing to synchronise and nothing to flush first (a new
    # requester goes in with the ticket).
    return session.connection().execute(_NEXT_NUMBER, {"client_id": client.id}).scalar_one()


_NEXT_NUMBER = (
    update(Client.__table__)
    .where(Client.__table__.c.id == bindparam("client_id"))
    .values(ticket_seq=Client.__table__.c.ticket_seq + 1)
    .returning(Client.__table__.c.ticket_seq)
)


def create_ticket(
    session: Session,
    *,
    client: Client,
    requester: User,
    cmd: NewTicket,
    now: datetime,
    commit: bool = True,
) -> Ticket:
    """File a ticket for `requester` of `client`; records the `created` event."""
    if requester.role != "customer" or requester.client_id != client.id:
        raise NotFound(_l("No such requester for this client."))
    cmd = validate_new_ticket(cmd, client)
    # Reads first: the number allocation takes the write lock (on SQLite, the database's),
    # so everything after it should be writes that commit quickly.
    target = sla.policy_target(session, client.id, cmd.priority)
    need = routing.Need(
        client_id=client.id, locale=cmd.locale, skill=cmd.category, priority=cmd.priority
    )
    with session.no_autoflush:
        decision, sites = routing.live_decision(session, need, now)
        routing.load_decision(session, decision, sites)
    opened = sla.opening_clocks(client.id, target, now)
    ticket = Ticket(
        client=client,
        number=_next_number(session, client),
        sla_clocks=[],
        subject=cmd.subject,
        body=cmd.body,
        status="new",
        priority=cmd.priority,
        channel=cmd.channel,
        locale=cmd.locale,
        category=cmd.category,
        requester=requester,
        created_at=now,
        updated_at=now,
        next_due_at=min((row["due_at"] for row, _ in opened if row["due_at"]), default=None),
    )
    with session.no_autoflush:
        routed = routing.store_decision(session, ticket, decision, sites, now=now, why="created")
    # The ticket goes in once, already routed (after a new requester); it, its events,
    # clocks and acknowledgement are one INSERT per table, outside the unit of work, which
    # cost more than the inserts themselves. They are the rows record_event,
    # outbound.on_event and apply_decision would add, in the same order.
    if inspect(requester).transient:
        rows.insert_now(session, requester)
    rows.insert_now(session, ticket)
    sla.insert_opening_clocks(session, ticket, [row for row, _ in opened])
    _insert_events(
        session,
        ticket,
        [
            ("created", requester.id, {"channel": cmd.channel}),
            *(("sla_started", None, started) for _, started in opened),
            *((kind, None, data) for kind, data in routed),
        ],
        now=now,
    )
    outbound.queue_acknowledgement(session, ticket, at=now)
    if commit:
        session.commit()
        announce_created(ticket)
    return ticket


def announce_created(ticket: Ticket, ticket_data: dict | None = None) -> None:
    """Tell the queue (and the assignee, if routing found one) about a committed new ticket."""
    publish.ticket_changed(ticket, "created", ticket_data)
    if ticket.assignee_id is not None:
        publish.ticket_assigned(ticket)


def find_message_by_client_id(
    session: Session, ticket: Ticket, author: User, client_msg_id: str
) -> Message | None:
    """The message this author already sent with this client_msg_id, if any."""
    return session.scalar(
        select(Message).where(
            Message.ticket_id == ticket.id,
            Message.author_id == author.id,
            Message.client_msg_id == client_msg_id,
        )
    )


def add_message(
    session: Session,
    *,
    ticket: Ticket,
    author: User,
    body: object,
    now: datetime,
    internal: bool = False,
    channel: str = "portal",
    client_msg_id: str | None = None,
    staff: bool = UNSET,
    prior: Message | None = UNSET,
    commit: bool = True,
) -> Message:
    """Add a reply, internal note or chat line, moving the status as a help desk should.

    A staff public reply opens a new ticket; a customer reply reopens a pending or
    solved one. Closed tickets take no messages. A repeated `client_msg_id` from the
    same author returns the message stored the first time.

    `staff` (is_staff_of) and `prior` (find_message_by_client_id) may be passed by a
    caller that read them in the same query as the ticket, saving a statement each.
    With `commit=False` the caller commits, then calls announce_message.
    """
    errors: dict[str, Any] = {}
    text = _clean_text(body, field="body", limit=BODY_MAX, errors=errors)
    if client_msg_id is not None and (
        not isinstance(client_msg_id, str) or not 0 < len(client_msg_id) <= CLIENT_MSG_ID_MAX
    ):
        errors["client_msg_id"] = _l("Must be text of 1 to %(limit)s characters.", limit=Number(64))
    if channel not in CHANNELS:
        errors["channel"] = _l("Unknown channel.")
    if errors:
        raise ValidationFailed(_l("The message has invalid fields."), fields=errors)
    if staff is UNSET:
        staff = is_staff_of(author, ticket)
    if internal and not staff:
        raise Forbidden(_l("Only agents can write internal notes."))
    if not staff and author.id != ticket.requester_id:
        raise Forbidden(_l("You cannot reply to this ticket."))
    if ticket.status == "closed":
        raise Conflict(_l("This ticket is closed; please file a new one."), code="ticket_closed")
    if client_msg_id:
        if prior is UNSET:
            prior = find_message_by_client_id(session, ticket, author, client_msg_id)
        elif prior is not None and (
            prior.ticket_id,
            prior.author_id,
            prior.client_msg_id,
        ) != (ticket.id, author.id, client_msg_id):
            raise ValueError("prior is not this author's message with this client_msg_id")
        if prior is not None:
            return prior

    kind = "note" if internal else ("chat" if channel == "chat" else "reply")
    message = Message(
        ticket=ticket,
        author=author,
        # The ids too: a batch of chat lines (realtime/linewriter.py) may pass this
        # message, not yet flushed, as the prior of a repeated line.
        ticket_id=ticket.id,
        author_id=author.id,
        kind=kind,
        internal=bool(internal),
        body=text,
        channel=channel,
        client_msg_id=client_msg_id,
        created_at=now,
    )
    old_status = ticket.status
    # Reads before writes: the SLA hooks work on clocks read in one query before anything
    # is flushed, so the write transaction (on SQLite, the database's write lock) starts at
    # the flush below and holds only inserts and updates until the commit.
    with session.no_autoflush, sla.working_set(session, ticket):
        session.add(message)
        if not internal:
            if staff and ticket.status == "new":
                ticket.status = "open"
            elif not staff and ticket.status in ("pending", "solved"):
                ticket.status = "open"
                ticket.solved_at = None
        ticket.updated_at = now
        if ticket.status != old_status:
            sla.on_status_change(session, ticket, old_status, ticket.status, now=now, actor=author)
        sla.on_message(session, ticket, message, now=now)
    record_event(
        session,
        ticket,
        "note_added" if internal else "message_added",
        actor=author,
        now=now,
        message=message,
    )
    if ticket.status != old_status:
        record_event(
            session,
            ticket,
            "status_changed",
            actor=author,
            now=now,
            old=old_status,
            new=ticket.status,
            why="reply",
        )
    if commit:
        chat_rows.store(session)  # its rows by Core statements: no flush at the commit
        session.commit()
        announce_message(ticket, message, status_changed=ticket.status != old_status)
    return message


def announce_message(
    ticket: Ticket, message: Message, *, status_changed: bool, message_data: dict | None = None
) -> None:
    """Tell the ticket's room (and the queue, if the status moved) about a committed message.

    A requester's reply that reopened the ticket while its owner is away from work hands it
    to someone on shift (follow_the_sun.reopened), in the session that stored it.
    `message_data` is the message's JSON when the caller has built it already.
    """
    publish.message_added(ticket, message, message_data)
    if status_changed:
        publish.ticket_changed(ticket, "updated")
        if message.author_id == ticket.requester_id and ticket.assignee_id is not None:
            session = object_session(ticket)
            if session is not None:
                follow_the_sun.reopened(session, ticket, now=message.created_at)


def _set_status(
    session: Session, ticket: Ticket, status: str, *, actor: User, now: datetime, why: str
) -> None:
    record_event(
        session,
        ticket,
        "status_changed",
        actor=actor,
        now=now,
        old=ticket.status,
        new=status,
        why=why,
    )
    old_status, ticket.status = ticket.status, status
    sla.on_status_change(session, ticket, old_status, status, now=now, actor=actor)
    ticket.solved_at = (
        now if status == "solved" else (ticket.solved_at if status == "closed" else None)
    )


def solve_as_requester(
    session: Session, *, ticket: Ticket, customer: User, now: datetime
) -> Ticket:
    """The requester says the problem is gone: the ticket is solved (their reply reopens it).

    The resolution clock is fulfilled as when an agent solves it; no "solved" mail goes out,
    since the customer said so themselves.
    """
    if customer.id != ticket.requester_id:
        raise Forbidden(_l("Only the requester can mark this ticket as solved."))
    if ticket.status in ("solved", "closed"):
        raise Conflict(_l("This ticket is already solved."), code="ticket_solved")
    freed = ticket.assignee_id if ticket.status in ACTIVE_STATUSES else None
    _set_status(session, ticket, "solved", actor=customer, now=now, why="requester")
    ticket.updated_at = now
    session.commit()
    publish.ticket_changed(ticket, "updated")
    follow_the_sun.refill(session, [freed], now=now)
    return ticket


def update_ticket(
    session: Session,
    *,
    ticket: Ticket,
    actor: User,
    now: datetime,
    status: str = UNSET,
    priority: str = UNSET,
    assignee_id: int | None = UNSET,
) -> Ticket:
    """Change status, priority or assignee as staff; each change is an event."""
    if not is_staff_of(actor, ticket):
        raise Forbidden(_l("Only agents can change tickets."))
    errors: dict[str, Any] = {}
    if status is not UNSET and status not in STATUSES:
        errors["status"] = _l("Choose one of: %(choices)s.", choices=", ".join(STATUSES))
    if priority is not UNSET and priority not in PRIORITIES:
        errors["priority"] = _l("Choose one of: %(choices)s.", choices=", ".join(PRIORITIES))
    assignee = None
    if assignee_id is not UNSET and assignee_id is not None:
        if not isinstance(assignee_id, int) or isinstance(assignee_id, bool):
            errors["assignee_id"] = _l("Must be an agent id or null.")
        else:
            assignee = session.get(User, assignee_id) if 0 < assignee_id <= ID_MAX else None
            if assignee is None or not agent_serves(assignee, ticket.client_id):
                errors["assignee_id"] = _l("No agent with this id serves this client.")
    if errors:
        raise ValidationFailed(_l("The change has invalid fields."), fields=errors)
    if ticket.status == "closed" and status is not UNSET and status != "closed":
        raise Conflict(_l("A closed ticket cannot be reopened."), code="ticket_closed")

    changed = False
    # Agents whose load falls (the ticket leaves their open work) pick up waiting tickets.
    freed: set[int | None] = set()
    if status is not UNSET and status != ticket.status:
        if ticket.status in ACTIVE_STATUSES and status not in ACTIVE_STATUSES:
            freed.add(ticket.assignee_id)
        _set_status(session, ticket, status, actor=actor, now=now, why="manual")
        changed = True
    if priority is not UNSET and priority != ticket.priority:
        record_event(
            session,
            ticket,
            "priority_changed",
            actor=actor,
            now=now,
            old=ticket.priority,
            new=priority,
        )
        ticket.priority = priority
        sla.on_priority_change(session, ticket, now=now, actor=actor)
        changed = True
    newly_assigned = False
    if assignee_id is not UNSET and assignee_id != ticket.assignee_id:
        freed.add(ticket.assignee_id)
        record_event(
            session,
            ticket,
            "assigned",
            actor=actor,
            now=now,
            old=ticket.assignee_id,
            new=assignee_id,
            why="manual",
        )
        ticket.assignee = assignee
        ticket.assignee_id = assignee_id
        newly_assigned = assignee_id is not None
        changed = True
    if changed:
        ticket.updated_at = now
        session.commit()
        publish.ticket_changed(ticket, "updated")
        if newly_assigned:
            publish.ticket_assigned(ticket)
        follow_the_sun.refill(session, freed, now=now)
    return ticket
