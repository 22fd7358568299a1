"""A held e-mail reply waits for an agent without touching the ticket; accepted, it becomes the
customer's reply with every effect of one that just arrived; discarded, it stays out of sight.
Only staff serving the client decide, and every decision is audited."""

from __future__ import annotations

import json
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from helpdesk.models import (
    Attachment,
    AuditEvent,
    MailMessageId,
    Message,
    OutboundMail,
    Ticket,
)
from helpdesk.notify import publish
from helpdesk.services import export, held_replies, mail_intake
from helpdesk.services.attachments import Limits
from helpdesk.services.errors import Conflict, NotFound
from helpdesk.services.tickets import add_message, update_ticket

SPOOF = "Please send the refund to IBAN XX00 ATTACKER."


@pytest.fixture
def desk(factory):
    """acme with its inbound address, an agent answering, and Kim's solved ticket."""
    acme = factory.client("acme", name="Acme", inbound_email="support@acme.test")
    factory.office_hours_policy(acme)
    ana = factory.agent([acme], name="Ana")
    kim = factory.customer(acme, email="kim@customer.test", name="Kim")
    ticket = factory.ticket(acme, kim, channel="email", subject="Printer")
    add_message(factory.session, ticket=ticket, author=ana, body="Try again?", now=factory.now)
    update_ticket(factory.session, ticket=ticket, actor=ana, status="solved", now=factory.now)
    return {"acme": acme, "ana": ana, "kim": kim, "ticket": ticket}


@pytest.fixture
def pushes(monkeypatch):
    """What the services told connected clients: (kind, ticket id, message id or change)."""
    told = []
    monkeypatch.setattr(
        publish,
        "message_added",
        lambda t, m, data=None: told.append(("message", t.id, m.id, m.internal)),
    )
    monkeypatch.setattr(
        publish, "ticket_changed", lambda t, why, data=None: told.append(("ticket", t.id, why))
    )
    return told


def receive(session, desk, tmp_path, now, *, text=SPOOF, message_id="spoof-1@attacker.test"):
    """Mail from "Kim" through the intake service, with nothing that proves its sender."""
    mail = EmailMessage()
    mail["From"] = "Kim <kim@customer.test>"
    mail["To"] = "support@acme.test"
    mail["Subject"] = f"Re: [{desk['ticket'].reference}] Printer"
    mail["Message-ID"] = f"<{message_id}>"
    mail.set_content(text)
    settings = mail_intake.Settings(
        attachments_dir=tmp_path,
        limits=Limits(per_file=10_000, per_message=20_000),
        languages=("en",),
        reply_secret="test-secret",
        authserv_id="",
    )
    return mail_intake.receive(
        session,
        client=desk["acme"],
        raw=mail.as_bytes(),
        envelope_from="bounce@attacker.test",
        envelope_to=("support@acme.test",),
        now=now,
        settings=settings,
    )


def clocks(ticket):
    return sorted((c.metric, c.cycle, c.state, c.started_at, c.due_at) for c in ticket.sla_clocks)


def test_a_held_reply_changes_nothing_a_customer_reply_would(factory, desk, tmp_path, now, pushes):
    ticket = desk["ticket"]
    before = clocks(ticket), ticket.updated_at, len(ticket.events)
    outcome = receive(factory.session, desk, tmp_path, now + timedelta(hours=1))
    assert (outcome.status, outcome.reply) == ("held", "250 2.0.0 Received, held for review")
    factory.session.expire_all()
    ticket = factory.session.get(Ticket, ticket.id)
    [held] = held_replies.waiting(factory.session, ticket)
    assert (held.body, held.held, held.internal, held.hold_reason) == (
        SPOOF,
        True,
        True,
        "unproven_sender",
    )
    assert ticket.status == "solved"
    assert (clocks(ticket), ticket.updated_at) == before[:2]
    assert [e.kind for e in ticket.events[before[2] :]] == ["reply_held"]
    assert pushes == []  # nobody is told live: not the customer, not the queue
    assert [m.kind for m in factory.session.scalars(select(OutboundMail))] == [
        "ack",
        "reply",
        "solved",
    ]


def test_a_held_reply_is_left_out_of_the_clients_export_but_kept_for_admins(
    factory, desk, tmp_path, now
):
    receive(factory.session, desk, tmp_path, now)
    supervisor = "".join(export.export_lines(factory.session, desk["acme"], now=now))
    assert SPOOF not in supervisor
    admin = "".join(export.export_lines(factory.session, desk["acme"], now=now, internal=True))
    [line] = [json.loads(x) for x in admin.splitlines() if SPOOF in x]
    [entry] = [m for m in line["messages"] if m["body"] == SPOOF]
    assert entry["internal"] is True


def test_accepting_makes_it_the_customers_reply_as_if_it_had_just_arrived(
    factory, desk, tmp_path, now, pushes
):
    receive(factory.session, desk, tmp_path, now)
    ticket = desk["ticket"]
    [held] = held_replies.waiting(factory.session, ticket)
    held_id = held.id
    later = now + timedelta(hours=2)
    message = held_replies.accept(
        factory.session, ticket=ticket, message_id=held_id, actor=desk["ana"], now=later
    )
    factory.session.expire_all()
    ticket = factory.session.get(Ticket, ticket.id)
    assert factory.session.get(Message, held_id) is None  # the held copy became the reply
    assert [(m.body, m.internal, m.held, m.author_id) for m in ticket.messages][-1] == (
        SPOOF,
        False,
        False,
        desk["kim"].id,
    )
    assert (message.channel, message.created_at) == ("email", later)
    assert ticket.status == "open"  # reopened, as by any reply of the customer
    [following] = [c for c in ticket.sla_clocks if c.metric == "next_response"]
    assert (following.state, following.started_at) == ("active", later)
    kinds = [e.kind for e in ticket.events]
    assert kinds[-3:] == ["message_added", "status_changed", "reply_accepted"]
    accepted = ticket.events[-1]
    assert accepted.actor_id == desk["ana"].id
    assert accepted.data == {"held_id": held_id, "message_id": message.id}
    # The original mail and its Message-ID now belong to the reply.
    [original] = factory.session.scalars(select(Attachment).where(Attachment.original))
    assert original.message_id == message.id
    [mail_id] = factory.session.scalars(
        select(MailMessageId).where(MailMessageId.header == "spoof-1@attacker.test")
    )
    assert mail_id.message_id == message.id
    [audit] = factory.session.scalars(select(AuditEvent).where(AuditEvent.kind == "reply_accepted"))
    assert (audit.actor_id, audit.client_id) == (desk["ana"].id, desk["acme"].id)
    assert audit.data["held_message_id"] == held_id
    assert ("message", ticket.id, message.id, False) in pushes
    assert ("ticket", ticket.id, "updated") in pushes
    assert held_replies.waiting(factory.session, ticket) == []


def test_discarding_keeps_it_hidden_marked_and_audited(factory, desk, tmp_path, now, pushes):
    receive(factory.session, desk, tmp_path, now)
    ticket = desk["ticket"]
    [held] = held_replies.waiting(factory.session, ticket)
    held_replies.discard(
        factory.session, ticket=ticket, message_id=held.id, actor=desk["ana"], now=now
    )
    factory.session.expire_all()
    kept = factory.session.get(Message, held.id)
    assert (kept.held, kept.internal, kept.hold_reason) == (True, True, "discarded")
    ticket = factory.session.get(Ticket, ticket.id)
    assert ticket.status == "solved" and held_replies.waiting(factory.session, ticket) == []
    assert ticket.events[-1].kind == "reply_discarded"
    assert ticket.events[-1].data == {"held_id": held.id, "hold": "unproven_sender"}
    [audit] = factory.session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "reply_discarded")
    )
    assert audit.actor_id == desk["ana"].id and audit.data["hold"] == "unproven_sender"
    assert pushes == []
    with pytest.raises(NotFound):  # decided once
        held_replies.accept(
            factory.session, ticket=ticket, message_id=held.id, actor=desk["ana"], now=now
        )


def test_only_staff_serving_the_client_decide_and_only_on_a_waiting_held_reply(
    factory, desk, tmp_path, now
):
    receive(factory.session, desk, tmp_path, now)
    ticket = desk["ticket"]
    [held] = held_replies.waiting(factory.session, ticket)
    other = factory.client("globex")
    stranger = factory.agent([other], name="Olga")
    other_ticket = factory.ticket(other)
    public = ticket.messages[0]  # Ana's public reply: not held
    tries = [
        (ticket, held.id, stranger),
        (ticket, held.id, desk["kim"]),
        (ticket, public.id, desk["ana"]),
        (other_ticket, held.id, desk["ana"]),
        (ticket, 10**6, desk["ana"]),
    ]
    for decide in (held_replies.accept, held_replies.discard):
        for on, message_id, actor in tries:
            with pytest.raises(NotFound):
                decide(factory.session, ticket=on, message_id=message_id, actor=actor, now=now)
            factory.session.rollback()
    assert held_replies.waiting(factory.session, ticket) == [held]


def test_a_closed_ticket_takes_no_accepted_reply_but_it_can_be_discarded(
    factory, desk, tmp_path, now
):
    receive(factory.session, desk, tmp_path, now)
    ticket = desk["ticket"]
    [held] = held_replies.waiting(factory.session, ticket)
    update_ticket(factory.session, ticket=ticket, actor=desk["ana"], status="closed", now=now)
    with pytest.raises(Conflict):
        held_replies.accept(
            factory.session, ticket=ticket, message_id=held.id, actor=desk["ana"], now=now
        )
    factory.session.rollback()
    held_replies.discard(
        factory.session, ticket=ticket, message_id=held.id, actor=desk["ana"], now=now
    )
    assert held_replies.waiting(factory.session, ticket) == []
