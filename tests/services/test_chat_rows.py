"""A message's rows go in by Core statements, not the unit of work (issue #17): the rows
are those the flush stored, in the same order, and the session is left as a flush leaves it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from helpdesk.models import (
    MailMessageId,
    Message,
    OutboundMail,
    SlaClock,
    Ticket,
    TicketEvent,
    User,
)
from helpdesk.services import chat_rows, tickets
from helpdesk.services.tickets import add_message, update_ticket


def flushes_during(work) -> int:
    count = [0]

    def counted(*_args):
        count[0] += 1

    event.listen(Session, "before_flush", counted)
    try:
        work()
    finally:
        event.remove(Session, "before_flush", counted)
    return count[0]


def fresh(session, cls, id_):
    # As a request of its own sees it: nothing loaded from an earlier step.
    session.expire_all()
    return session.get(cls, id_)


def conversation(factory, ticket_id, kei_id, ana_id):
    """Replies, a note, chat lines, reopenings from pending and solved: every SLA hook.
    Returns the number of flushes of the messages' transactions."""
    session, at = factory.session, factory.now
    flushes = 0  # of the messages' transactions
    steps = [
        ("ana", "Looking at it", {}),
        ("kei", "Still down", {"channel": "chat", "client_msg_id": "k1"}),
        ("ana", "Internal: escalate", {"internal": True}),
        ("status", "pending", {}),
        ("kei", "Any news?", {}),
        ("ana", "Fixed", {"channel": "chat", "client_msg_id": "a1"}),
        ("status", "solved", {}),
        ("kei", "Broke again", {}),
        ("ana", "On it", {}),
    ]
    for i, (who, text, extra) in enumerate(steps):
        now = at + timedelta(minutes=7 * (i + 1))
        ticket = fresh(session, Ticket, ticket_id)
        ana = session.get(User, ana_id)
        if who == "status":
            update_ticket(session, ticket=ticket, actor=ana, now=now, status=text)
            continue
        author = ana if who == "ana" else session.get(User, kei_id)
        flushes += flushes_during(
            lambda t=ticket, a=author, b=text, n=now, x=extra: add_message(
                session, ticket=t, author=a, body=b, now=n, **x
            )
        )
    return flushes


def rows_of(session, ticket_id):
    session.expire_all()
    messages = session.scalars(
        select(Message).where(Message.ticket_id == ticket_id).order_by(Message.id)
    ).all()
    index = {m.id: i for i, m in enumerate(messages)}
    events = session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
    ).all()
    clocks = session.scalars(
        select(SlaClock).where(SlaClock.ticket_id == ticket_id).order_by(SlaClock.id)
    ).all()
    ticket = session.get(Ticket, ticket_id)

    def columns(obj, *skip):
        return {
            c.key: getattr(obj, c.key)
            for c in obj.__table__.columns
            if c.key not in ("id", "ticket_id", "_sentinel", *skip)
        }

    def event_row(e):
        data = dict(e.data)
        if "message_id" in data:
            data["message_id"] = index[data["message_id"]]
        row = columns(e, "message_id", "data")
        return {**row, "data": data, "message": index.get(e.message_id)}

    return {
        "messages": [columns(m) for m in messages],
        "events": [event_row(e) for e in events],
        "clocks": [columns(c) for c in clocks],
        "ticket": columns(ticket, "number", "created_at"),
    }


def test_a_conversation_stores_the_rows_the_unit_of_work_stored(factory, monkeypatch):
    acme = factory.client("acme")
    factory.office_hours_policy(acme)
    kei, ana = factory.customer(acme, name="Kei"), factory.agent([acme], name="Ana")
    core = factory.ticket(acme, kei, priority="high", channel="chat")
    orm = factory.ticket(acme, kei, priority="high", channel="chat")
    ids = (kei.id, ana.id)

    assert conversation(factory, core.id, *ids) == 0
    monkeypatch.setattr(chat_rows, "store", lambda session: False)  # the unit of work's rows
    assert conversation(factory, orm.id, *ids) == 7

    stored, flushed = rows_of(factory.session, core.id), rows_of(factory.session, orm.id)
    assert [e["kind"] for e in stored["events"]][:4] == [
        "created",
        "sla_started",
        "sla_started",
        "routed",
    ]
    assert {"sla_resumed", "sla_started", "sla_fulfilled", "status_changed"} <= {
        e["kind"] for e in stored["events"]
    }
    assert any(c["metric"] == "next_response" for c in stored["clocks"])
    assert stored == flushed


def test_a_reply_commits_without_a_flush_and_leaves_its_objects_stored(factory, now, monkeypatch):
    acme = factory.client("acme")
    factory.office_hours_policy(acme)
    kei, ana = factory.customer(acme, name="Kei"), factory.agent([acme], name="Ana")
    ticket_id = factory.ticket(acme, kei, priority="high", channel="chat").id
    session = factory.session
    ticket = fresh(session, Ticket, ticket_id)
    events = []
    real = tickets.record_event
    monkeypatch.setattr(
        tickets, "record_event", lambda *a, **kw: events.append(real(*a, **kw)) or events[-1]
    )
    replies = []
    count = flushes_during(
        lambda: replies.append(
            add_message(session, ticket=ticket, author=ana, body="Hello", now=now, channel="chat")
        )
    )
    message = replies[0]
    assert count == 0
    assert not session.new and not session.dirty
    assert message in session and message.id is not None and message.held is False
    assert (ticket.status, ticket.updated_at) == ("open", now)
    assert [(e.kind, e.message, e.data) for e in events] == [
        ("message_added", message, {"message_id": message.id}),
        ("status_changed", None, {"old": "new", "new": "open", "why": "reply"}),
    ]
    assert all(
        e in session and e.id is not None and e.message_id == e.data.get("message_id")
        for e in events
    )
    assert session.scalar(select(Ticket.status).where(Ticket.id == ticket_id)) == "open"


def test_an_agents_reply_on_a_mailed_ticket_queues_its_mail_for_the_stored_message(factory, now):
    acme = factory.client("acme")
    kei, ana = factory.customer(acme, name="Kei"), factory.agent([acme], name="Ana")
    ticket = fresh(factory.session, Ticket, factory.ticket(acme, kei).id)
    message = add_message(factory.session, ticket=ticket, author=ana, body="Done", now=now)
    mails = factory.session.scalars(select(OutboundMail).where(OutboundMail.kind == "reply")).all()
    assert [(m.ticket_id, m.message_id) for m in mails] == [(ticket.id, message.id)]
    thread = factory.session.scalars(
        select(MailMessageId).where(MailMessageId.message_id == message.id)
    ).all()
    assert [t.header for t in thread] == [mails[0].message_id_header]


def test_rows_written_before_a_rollback_leave_the_session_with_it(factory, now):
    acme = factory.client("acme")
    kei, ana = factory.customer(acme, name="Kei"), factory.agent([acme], name="Ana")
    ticket = fresh(factory.session, Ticket, factory.ticket(acme, kei, channel="chat").id)
    session = factory.session
    message = add_message(session, ticket=ticket, author=ana, body="x", now=now, commit=False)
    assert chat_rows.store(session) is True
    events = [obj for obj in session if isinstance(obj, TicketEvent)]
    assert events and all(e.id is not None for e in events)
    session.rollback()
    assert message not in session and not any(e in session for e in events)
    assert session.get(Ticket, ticket.id).status == "new"
    assert session.scalars(select(Message)).all() == []


def test_nothing_is_written_by_core_inside_a_savepoint(factory, now):
    acme = factory.client("acme")
    kei, ana = factory.customer(acme, name="Kei"), factory.agent([acme], name="Ana")
    ticket = fresh(factory.session, Ticket, factory.ticket(acme, kei, channel="chat").id)
    session = factory.session
    with session.begin_nested():
        add_message(session, ticket=ticket, author=ana, body="x", now=now, commit=False)
        assert chat_rows.store(session) is False
        assert session.new
    session.commit()
    assert [m.body for m in session.scalars(select(Message))] == ["x"]
