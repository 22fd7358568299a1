"""A filing inserts its events, clocks and acknowledgement in bulk once the ticket has its
id (issue #17): the rows are those the unit of work stored before, and the clocks are the
session's own, so a reply in the same transaction fulfils them."""

from __future__ import annotations

from sqlalchemy import select

from helpdesk.models import MailMessageId, OutboundMail, SlaClock, TicketEvent
from helpdesk.serializers import iso
from helpdesk.services.tickets import NewTicket, add_message, create_ticket


def file(factory, client, requester, *, commit=True, channel="api"):
    return create_ticket(
        factory.session,
        client=client,
        requester=requester,
        cmd=NewTicket(subject="VPN down", body="Since 9am", channel=channel),
        now=factory.now,
        commit=commit,
    )


def test_a_filing_stores_its_events_clocks_and_acknowledgement_in_order(factory):
    acme = factory.client("acme")
    factory.office_hours_policy(acme)
    kei = factory.customer(acme)
    ticket = file(factory, acme, kei)
    factory.session.expire_all()

    events = factory.session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    assert [(e.kind, e.actor_id, e.at) for e in events] == [
        ("created", kei.id, factory.now),
        ("sla_started", None, factory.now),
        ("sla_started", None, factory.now),
        ("routed", None, factory.now),
    ]
    clocks = factory.session.scalars(
        select(SlaClock).where(SlaClock.ticket_id == ticket.id).order_by(SlaClock.id)
    ).all()
    assert [(c.metric, c.cycle, c.state, c.target_minutes) for c in clocks] == [
        ("first_response", 1, "active", 240),
        ("resolution", 1, "active", 1440),
    ]
    assert [e.data for e in events[1:3]] == [
        {
            "metric": c.metric,
            "cycle": 1,
            "due_at": iso(c.due_at),
            "target_minutes": c.target_minutes,
            "calendar": "acme-hours",
        }
        for c in clocks
    ]
    assert all(c.client_id == acme.id and c.pauses == [] and c.warn_at < c.due_at for c in clocks)
    assert ticket.next_due_at == min(c.due_at for c in clocks)

    mail = factory.session.scalars(select(OutboundMail)).one()
    assert (mail.ticket_id, mail.kind, mail.to_addr, mail.status) == (
        ticket.id,
        "ack",
        kei.email,
        "queued",
    )
    thread = factory.session.scalars(select(MailMessageId)).one()
    assert (thread.ticket_id, thread.header, thread.direction) == (
        ticket.id,
        mail.message_id_header,
        "out",
    )


def test_a_reply_in_the_filings_transaction_fulfils_the_new_clock(factory, now):
    acme = factory.client("acme")
    factory.office_hours_policy(acme)
    ana = factory.agent([acme], name="Ana")
    ticket = file(factory, acme, factory.customer(acme), commit=False)
    assert [c.id is not None for c in ticket.sla_clocks] == [True, True]

    add_message(factory.session, ticket=ticket, author=ana, body="On it.", now=now)
    factory.session.expire_all()

    first = factory.session.scalars(
        select(SlaClock).where(SlaClock.ticket_id == ticket.id, SlaClock.metric == "first_response")
    ).one()
    assert (first.state, first.fulfilled_at) == ("hit", now)


def test_a_chat_filing_queues_no_mail(factory):
    acme = factory.client("acme")
    file(factory, acme, factory.customer(acme), channel="chat")
    assert factory.session.scalars(select(OutboundMail)).all() == []
    assert factory.session.scalars(select(MailMessageId)).all() == []
