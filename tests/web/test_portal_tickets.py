"""Portal tickets: filing, listing, reading and replying, and never reaching anyone else's."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from helpdesk.models import Message, Ticket, TicketEvent
from helpdesk.services.tickets import add_message, update_ticket
from tests.conftest import login

GOOD_TICKET = {
    "subject": "VPN drops",
    "body": "Every five minutes.",
    "priority": "high",
    "category": "",
}


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("path", ["/c/acme/tickets", "/c/acme/tickets/new", "/c/acme/tickets/1"])
def test_anonymous_visitors_are_sent_to_the_portal_sign_in(client, acme, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/c/acme/login?next=")


def test_a_customer_files_a_ticket_on_the_portal(client, kei, db_session, page_text):
    login(client, kei)
    response = client.post("/c/acme/tickets/new", data={**GOOD_TICKET, "category": ""})
    assert response.status_code == 302
    ticket = db_session.scalar(select(Ticket))
    assert response.headers["Location"] == f"/c/acme/tickets/{ticket.id}"
    assert (ticket.subject, ticket.priority, ticket.channel, ticket.requester_id) == (
        "VPN drops",
        "high",
        "portal",
        kei.id,
    )
    assert ticket.category is None
    assert [e.kind for e in ticket.events] == ["created", "routed"]
    page = client.get(response.headers["Location"])
    assert f"Your ticket {ticket.reference} is filed" in page_text(page)


def test_the_ticket_takes_the_customers_locale(client, factory, acme, db_session):
    customer = factory.customer(acme, locale="ja")
    login(client, customer)
    client.post("/c/acme/tickets/new", data=GOOD_TICKET)
    assert db_session.scalar(select(Ticket.locale)) == "ja"


def test_categories_are_the_skills_of_agents_serving_the_client(client, factory, acme, globex, kei):
    factory.agent([acme], skills=("billing", "network"))
    factory.agent([globex], skills=("payroll",))
    factory.agent([], skills=("accounts",), serves_all_clients=True)
    factory.agent([acme], skills=("retired",), active=False)
    login(client, kei)
    html = client.get("/c/acme/tickets/new").get_data(as_text=True)
    for skill in ("billing", "network", "accounts"):
        assert f'value="{skill}"' in html
    assert 'value="payroll"' not in html
    assert 'value="retired"' not in html


def test_a_category_of_the_client_is_stored(client, factory, acme, kei, db_session):
    factory.agent([acme], skills=("billing",))
    login(client, kei)
    response = client.post("/c/acme/tickets/new", data={**GOOD_TICKET, "category": "billing"})
    assert response.status_code == 302
    assert db_session.scalar(select(Ticket.category)) == "billing"


@pytest.mark.parametrize(
    "change",
    [
        {"subject": "   "},
        {"body": ""},
        {"subject": "x" * 201},
        {"priority": "whenever"},
        {"category": "payroll"},
    ],
)
def test_a_bad_ticket_is_refused_with_a_form_error_and_nothing_is_stored(
    client, kei, db_session, change
):
    login(client, kei)
    response = client.post("/c/acme/tickets/new", data={**GOOD_TICKET, **change})
    assert response.status_code == 422
    assert 'class="field-errors"' in response.get_data(as_text=True)
    assert count(db_session, Ticket) == 0
    assert count(db_session, TicketEvent) == 0


def test_my_tickets_lists_my_tickets_only(client, factory, acme, globex, kei, page_text):
    factory.ticket(acme, kei, subject="Mine")
    factory.ticket(acme, subject="A colleague's")
    factory.ticket(globex, subject="Another client's")
    login(client, kei)
    text = page_text(client.get("/c/acme/tickets"))
    assert "Mine" in text
    assert "ACME-1" in text
    assert "A colleague's" not in text
    assert "Another client's" not in text


def test_my_tickets_shows_an_invitation_when_there_are_none(client, kei, page_text):
    login(client, kei)
    response = client.get("/c/acme/tickets")
    assert "You have no tickets yet" in page_text(response)
    assert 'href="/c/acme/tickets/new"' in response.get_data(as_text=True)


def test_the_thread_shows_public_messages_but_no_internal_notes(
    client, factory, acme, kei, ana, db_session, now, page_text
):
    ticket = factory.ticket(acme, kei, body="It smells of toner.")
    add_message(db_session, ticket=ticket, author=ana, body="Public answer", now=now)
    add_message(db_session, ticket=ticket, author=ana, body="Secret note", now=now, internal=True)
    login(client, kei)
    text = page_text(client.get(f"/c/acme/tickets/{ticket.id}"))
    assert "It smells of toner." in text
    assert "Public answer" in text
    assert "Ana" in text
    assert "Secret note" not in text


def test_a_customer_replies_on_their_ticket(client, factory, acme, kei, db_session):
    ticket = factory.ticket(acme, kei)
    login(client, kei)
    response = client.post(f"/c/acme/tickets/{ticket.id}", data={"body": "Still broken."})
    assert response.status_code == 302
    message = db_session.scalar(select(Message))
    assert (message.body, message.author_id, message.channel, message.internal) == (
        "Still broken.",
        kei.id,
        "portal",
        False,
    )


def test_an_empty_reply_is_a_form_error_and_stores_nothing(client, factory, acme, kei, db_session):
    ticket = factory.ticket(acme, kei)
    login(client, kei)
    response = client.post(f"/c/acme/tickets/{ticket.id}", data={"body": "   "})
    assert response.status_code == 422
    assert count(db_session, Message) == 0


def test_a_closed_ticket_shows_a_notice_instead_of_the_reply_form(
    client, factory, acme, kei, ana, db_session, now, page_text
):
    ticket = factory.ticket(acme, kei)
    update_ticket(db_session, ticket=ticket, actor=ana, now=now, status="closed")
    login(client, kei)
    response = client.get(f"/c/acme/tickets/{ticket.id}")
    assert "This ticket is closed." in page_text(response)
    assert 'name="body"' not in response.get_data(as_text=True)
    response = client.post(f"/c/acme/tickets/{ticket.id}", data={"body": "Hello?"})
    assert response.status_code == 409
    assert count(db_session, Message) == 0


def test_another_customer_of_the_same_client_gets_404_for_a_ticket(
    client, factory, acme, kei, db_session
):
    ticket = factory.ticket(acme, subject="Someone else's")
    login(client, kei)
    assert client.get(f"/c/acme/tickets/{ticket.id}").status_code == 404
    assert client.post(f"/c/acme/tickets/{ticket.id}", data={"body": "hi"}).status_code == 404
    assert count(db_session, Message) == 0


def test_a_customer_of_another_client_gets_404_for_its_tickets(
    client, factory, globex, kei, db_session
):
    ticket = factory.ticket(globex)
    login(client, kei)
    assert client.get(f"/c/acme/tickets/{ticket.id}").status_code == 404
    assert client.post(f"/c/acme/tickets/{ticket.id}", data={"body": "hi"}).status_code == 404


def test_a_customer_signed_in_elsewhere_never_sees_a_ticket_under_another_portal(
    client, factory, acme, globex, kei, page_text
):
    own = factory.ticket(acme, kei, subject="My own trouble")
    login(client, kei)
    response = client.get(f"/c/globex/tickets/{own.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/c/globex/login")


def test_a_ticket_id_that_does_not_exist_answers_404(client, kei):
    login(client, kei)
    assert client.get("/c/acme/tickets/999999").status_code == 404
    assert client.get(f"/c/acme/tickets/{2**70}").status_code == 404


def test_a_page_number_far_past_the_end_shows_an_empty_page_not_an_error(client, kei, page_text):
    login(client, kei)
    response = client.get("/c/acme/tickets?page=99999999999999999999")
    assert response.status_code == 200
    assert "No tickets on this page" in page_text(response)


def test_a_customer_marks_their_ticket_solved(client, factory, acme, kei, db_session, page_text):
    ticket = factory.ticket(acme, kei, subject="Printer jam")
    login(client, kei)
    page = client.get(f"/c/acme/tickets/{ticket.id}")
    assert f'action="/c/acme/tickets/{ticket.id}/solve"' in page.get_data(as_text=True)
    done = client.post(f"/c/acme/tickets/{ticket.id}/solve")
    assert done.status_code == 302 and done.location.endswith(f"/c/acme/tickets/{ticket.id}")
    after = page_text(client.get(f"/c/acme/tickets/{ticket.id}"))
    assert "Glad it is solved!" in after and "Mark as solved" not in after
    db_session.expire_all()
    assert db_session.get(Ticket, ticket.id).status == "solved"


def test_marking_a_solved_ticket_solved_again_says_so_and_changes_nothing(
    client, factory, acme, kei, db_session, page_text
):
    ticket = factory.ticket(acme, kei)
    login(client, kei)
    client.post(f"/c/acme/tickets/{ticket.id}/solve")
    events = count(db_session, TicketEvent)
    again = client.post(f"/c/acme/tickets/{ticket.id}/solve")
    assert again.status_code == 302
    assert "This ticket is already solved." in page_text(client.get(again.location))
    assert count(db_session, TicketEvent) == events


def test_nobody_marks_someone_elses_ticket_solved(client, factory, acme, globex, kei, db_session):
    theirs = factory.ticket(acme, factory.customer(acme))
    foreign = factory.ticket(globex)
    login(client, kei)
    assert client.post(f"/c/acme/tickets/{theirs.id}/solve").status_code == 404
    assert client.post(f"/c/acme/tickets/{foreign.id}/solve").status_code == 404
    assert client.post(f"/c/globex/tickets/{foreign.id}/solve").status_code == 302  # sign in
    db_session.expire_all()
    assert db_session.get(Ticket, theirs.id).status == "new"
    assert db_session.get(Ticket, foreign.id).status == "new"


def test_the_agent_reads_that_the_customer_solved_it(client, factory, acme, kei, ana, page_text):
    ticket = factory.ticket(acme, kei)
    login(client, kei)
    client.post(f"/c/acme/tickets/{ticket.id}/solve")
    client.post("/c/acme/logout")
    login(client, ana)
    assert "Kei marked the ticket as solved." in page_text(
        client.get(f"/agent/tickets/{ticket.id}")
    )
