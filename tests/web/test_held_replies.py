"""The agent's ticket page shows an e-mail reply held for review apart from the thread, clearly
marked, with Accept and Discard; customers never see it, on the page or live; nobody but an
agent serving the client can decide on it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.extensions import socketio
from helpdesk.models import Message, Ticket
from helpdesk.services import held_replies
from tests.conftest import login

SPOOF = "Please send the refund to IBAN XX00 ATTACKER."


@pytest.fixture
def held(factory, acme, kei, ana):
    """Kei's ticket, answered by Ana, with an unproven e-mail reply in Kei's name."""
    ticket = factory.ticket(acme, kei, channel="email", subject="Printer")
    message = held_replies.hold(
        factory.session, ticket=ticket, author=kei, body=SPOOF, now=factory.now
    )
    factory.session.commit()
    return message


def accept_url(message) -> str:
    return f"/agent/tickets/{message.ticket_id}/held/{message.id}/accept"


def discard_url(message) -> str:
    return f"/agent/tickets/{message.ticket_id}/held/{message.id}/discard"


def test_the_agent_sees_the_held_reply_marked_apart_from_the_thread(client, ana, held, page_text):
    login(client, ana)
    response = client.get(f"/agent/tickets/{held.ticket_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    text = page_text(response)
    assert "Held: the sender could not be proven" in text
    assert "Accept as the customer's reply" in text and "Discard" in text
    assert html.count(SPOOF) == 1  # in the held card only, not in the thread
    thread = html.split('class="thread"', 1)[1].split('id="latest"', 1)[0]
    assert SPOOF not in thread
    assert f'action="{accept_url(held)}"' in html and f'action="{discard_url(held)}"' in html


def test_accepting_puts_it_in_the_thread_for_the_customer_too(
    client, app, ana, kei, held, db_session
):
    ticket_id = held.ticket_id
    portal = app.test_client()
    login(portal, kei)
    assert SPOOF not in portal.get(f"/c/acme/tickets/{ticket_id}").get_data(as_text=True)
    login(client, ana)
    response = client.post(accept_url(held))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/agent/tickets/{ticket_id}#latest")
    db_session.expire_all()
    [message] = db_session.scalars(select(Message).where(Message.ticket_id == ticket_id))
    assert (message.body, message.held, message.internal) == (SPOOF, False, False)
    page = client.get(f"/agent/tickets/{ticket_id}").get_data(as_text=True)
    assert "Held: the sender could not be proven" not in page and SPOOF in page
    assert SPOOF in portal.get(f"/c/acme/tickets/{ticket_id}").get_data(as_text=True)


def test_discarding_keeps_it_out_of_every_page(client, app, ana, kei, held, db_session):
    login(client, ana)
    response = client.post(discard_url(held))
    assert response.status_code == 302
    page = client.get(f"/agent/tickets/{held.ticket_id}").get_data(as_text=True)
    assert SPOOF not in page
    db_session.expire_all()
    assert db_session.get(Message, held.id).hold_reason == "discarded"
    assert db_session.get(Ticket, held.ticket_id).status == "new"


@pytest.mark.parametrize("who", ["requester", "agent of another client", "supervisor"])
@pytest.mark.parametrize("url", [accept_url, discard_url], ids=["accept", "discard"])
def test_nobody_but_an_agent_serving_the_client_decides(
    client, factory, globex, kei, sam, held, db_session, who, url
):
    user = {"requester": kei, "supervisor": sam}.get(who) or factory.agent([globex])
    login(client, user)
    assert client.post(url(held)).status_code == 404
    db_session.expire_all()
    assert held_replies.waiting(db_session, db_session.get(Ticket, held.ticket_id)) == [held]


def test_a_held_reply_of_another_ticket_is_404_under_this_one(
    client, factory, acme, kei, ana, held
):
    other = factory.ticket(acme, kei, subject="Another")
    login(client, ana)
    assert client.post(f"/agent/tickets/{other.id}/held/{held.id}/accept").status_code == 404
    assert client.post(f"/agent/tickets/{other.id}/held/{held.id}/discard").status_code == 404


def test_the_customers_live_thread_never_replays_a_held_reply(app, kei, held):
    http = app.test_client()
    login(http, kei)
    sock = socketio.test_client(app, flask_test_client=http)
    try:
        ack = sock.emit("join_ticket", {"ticket_id": held.ticket_id}, callback=True)
    finally:
        sock.disconnect()
    assert ack["ok"] is True
    assert [m["body"] for m in ack["messages"]] == []
