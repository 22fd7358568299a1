"""Ticket use cases: filing, replying, noting and changing tickets."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from helpdesk.models import Message, OutboundMail, Ticket, TicketEvent
from helpdesk.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from helpdesk.services.tickets import (
    NewTicket,
    add_message,
    create_ticket,
    solve_as_requester,
    update_ticket,
)


def count(session, model):
    return session.scalar(select(func.count()).select_from(model))


def test_filing_a_ticket_records_who_when_and_through_which_channel(factory, now):
    acme = factory.client("acme", default_locale="de")
    kei = factory.customer(acme)
    ticket = create_ticket(
        factory.session,
        client=acme,
        requester=kei,
        now=now,
        cmd=NewTicket(
            subject="  VPN down ",
            body="Since 9am",
            priority="high",
            channel="api",
            locale="pt-BR",
            category="network",
        ),
    )
    assert (ticket.subject, ticket.status, ticket.channel, ticket.locale) == (
        "VPN down",
        "new",
        "api",
        "pt_BR",
    )
    assert ticket.created_at == now
    assert [(e.kind, e.actor_id) for e in ticket.events] == [("created", kei.id), ("routed", None)]


def test_a_ticket_without_locale_takes_the_clients_default(factory):
    acme = factory.client(default_locale="ja")
    assert factory.ticket(acme).locale == "ja"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("subject", ""),
        ("subject", "x" * 201),
        ("body", "   "),
        ("priority", "asap"),
        ("channel", "fax"),
        ("locale", "xx-nonsense"),
        ("category", "Billing Dept"),
    ],
)
def test_invalid_fields_are_refused_and_nothing_is_stored(factory, now, field, value):
    acme = factory.client()
    kei = factory.customer(acme)
    values = {"subject": "s", "body": "b", field: value}
    with pytest.raises(ValidationFailed) as err:
        create_ticket(factory.session, client=acme, requester=kei, cmd=NewTicket(**values), now=now)
    factory.session.rollback()
    assert field in err.value.fields
    assert count(factory.session, Ticket) == 0


def test_a_customer_of_another_client_cannot_be_the_requester(factory, now):
    acme, globex = factory.client(), factory.client()
    outsider = factory.customer(globex)
    with pytest.raises(NotFound):
        create_ticket(
            factory.session,
            client=acme,
            requester=outsider,
            cmd=NewTicket(subject="s", body="b"),
            now=now,
        )


def test_an_agent_reply_opens_a_new_ticket_and_a_note_does_not(factory, now):
    acme = factory.client()
    ana = factory.agent([acme])
    ticket = factory.ticket(acme)
    add_message(factory.session, ticket=ticket, author=ana, body="Looking", internal=True, now=now)
    assert ticket.status == "new"
    add_message(factory.session, ticket=ticket, author=ana, body="On it", now=now)
    assert ticket.status == "open"
    kinds = [e.kind for e in ticket.events]
    assert kinds == ["created", "routed", "note_added", "message_added", "status_changed"]


def test_a_customer_reply_reopens_a_solved_ticket(factory, now):
    acme = factory.client()
    ana = factory.agent([acme])
    ticket = factory.ticket(acme)
    update_ticket(factory.session, ticket=ticket, actor=ana, status="solved", now=now)
    assert ticket.solved_at == now
    add_message(
        factory.session,
        ticket=ticket,
        author=ticket.requester,
        body="Still broken",
        now=now + timedelta(hours=1),
    )
    assert (ticket.status, ticket.solved_at) == ("open", None)


def test_customers_cannot_write_internal_notes_or_reply_to_others_tickets(factory, now):
    acme = factory.client()
    ticket = factory.ticket(acme)
    with pytest.raises(Forbidden):
        add_message(
            factory.session,
            ticket=ticket,
            author=ticket.requester,
            body="x",
            internal=True,
            now=now,
        )
    neighbour = factory.customer(acme)
    with pytest.raises(Forbidden):
        add_message(factory.session, ticket=ticket, author=neighbour, body="x", now=now)
    assert count(factory.session, Message) == 0


def test_an_agent_not_serving_the_client_cannot_touch_its_tickets(factory, now):
    acme, globex = factory.client(), factory.client()
    globex_agent = factory.agent([globex])
    ticket = factory.ticket(acme)
    with pytest.raises(Forbidden):
        update_ticket(factory.session, ticket=ticket, actor=globex_agent, status="open", now=now)


def test_a_closed_ticket_takes_no_more_messages(factory, now):
    acme = factory.client()
    ana = factory.agent([acme])
    ticket = factory.ticket(acme)
    update_ticket(factory.session, ticket=ticket, actor=ana, status="closed", now=now)
    with pytest.raises(Conflict):
        add_message(factory.session, ticket=ticket, author=ticket.requester, body="hi", now=now)
    with pytest.raises(Conflict):
        update_ticket(factory.session, ticket=ticket, actor=ana, status="open", now=now)


def test_a_repeated_client_msg_id_is_stored_once(factory, now):
    acme = factory.client()
    ticket = factory.ticket(acme)
    first = add_message(
        factory.session,
        ticket=ticket,
        author=ticket.requester,
        body="hello",
        client_msg_id="abc-1",
        now=now,
    )
    again = add_message(
        factory.session,
        ticket=ticket,
        author=ticket.requester,
        body="hello",
        client_msg_id="abc-1",
        now=now,
    )
    assert first.id == again.id
    assert count(factory.session, Message) == 1


def test_assigning_needs_an_agent_who_serves_the_client(factory, now):
    acme, globex = factory.client(), factory.client()
    admin = factory.admin()
    ana, bob = factory.agent([acme]), factory.agent([globex])
    ticket = factory.ticket(acme)
    with pytest.raises(ValidationFailed) as err:
        update_ticket(factory.session, ticket=ticket, actor=admin, assignee_id=bob.id, now=now)
    assert "assignee_id" in err.value.fields
    update_ticket(
        factory.session, ticket=ticket, actor=admin, assignee_id=ana.id, priority="urgent", now=now
    )
    assert (ticket.assignee_id, ticket.priority) == (ana.id, "urgent")
    events = factory.session.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)
    ).all()
    assert events == ["created", "routed", "priority_changed", "assigned"]


def test_an_unchanged_update_records_nothing(factory, now):
    acme = factory.client()
    ana = factory.agent([acme])
    ticket = factory.ticket(acme)
    update_ticket(
        factory.session, ticket=ticket, actor=ana, status="new", priority="normal", now=now
    )
    assert [e.kind for e in ticket.events] == ["created", "routed"]


def test_the_requester_marks_their_ticket_solved_and_a_reply_reopens_it(factory, now):
    acme = factory.client()
    ticket = factory.ticket(acme)
    customer = ticket.requester
    solve_as_requester(factory.session, ticket=ticket, customer=customer, now=now)
    assert (ticket.status, ticket.solved_at) == ("solved", now)
    event = ticket.events[-1]
    assert (event.kind, event.actor_id, event.data) == (
        "status_changed",
        customer.id,
        {"old": "new", "new": "solved", "why": "requester"},
    )
    add_message(factory.session, ticket=ticket, author=customer, body="Back again", now=now)
    assert ticket.status == "open"


def test_only_the_requester_may_mark_a_ticket_solved_and_only_once(factory, now):
    acme = factory.client()
    ticket = factory.ticket(acme)
    other = factory.customer(acme)
    with pytest.raises(Forbidden):
        solve_as_requester(factory.session, ticket=ticket, customer=other, now=now)
    solve_as_requester(factory.session, ticket=ticket, customer=ticket.requester, now=now)
    with pytest.raises(Conflict) as refused:
        solve_as_requester(factory.session, ticket=ticket, customer=ticket.requester, now=now)
    assert refused.value.code == "ticket_solved"


def test_a_ticket_the_customer_solved_sends_them_no_solved_mail(factory, now):
    acme = factory.client()
    ticket = factory.ticket(acme, channel="email")
    solve_as_requester(factory.session, ticket=ticket, customer=ticket.requester, now=now)
    kinds = factory.session.scalars(
        select(OutboundMail.kind).where(OutboundMail.ticket_id == ticket.id)
    ).all()
    assert kinds == ["ack"]


def test_a_subject_a_name_and_a_file_name_cannot_disguise_themselves(factory, db_session, now):
    from helpdesk.services import accounts
    from helpdesk.services.attachments import safe_filename

    acme = factory.client("acme")
    kei = accounts.find_or_create_customer(
        db_session, acme, email="kei@example.jp", name="Kei\u202e moc.live", locale="en"
    )
    db_session.commit()
    ticket = factory.ticket(acme, kei, subject="Invoice \u202efdp.exe")
    assert ticket.subject == "Invoice fdp.exe"
    assert kei.name == "Kei moc.live"
    assert safe_filename("\u202egnp.exe") == "gnp.exe"
