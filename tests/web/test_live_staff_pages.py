"""The staff pages' live parts over HTTP: the queue's rows fragment, chats in the queue and on
the ticket page, and the scripts and settings the live modules read."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from helpdesk.models import Message, TicketRead
from helpdesk.services.tickets import add_message
from tests.conftest import login

ROWS = {"X-Fragment": "rows"}


def row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr data-ticket-id="(\d+)"', html)]


def regions(html: str) -> list[str]:
    return re.findall(r'data-live-region="([a-z]+)"', html)


# -- the queue's fragment --------------------------------------------------------------------------


def test_the_queue_answers_only_its_changing_parts_for_x_fragment_rows(client, factory, acme, ana):
    ticket = factory.ticket(acme, subject="Printer")
    login(client, ana)
    response = client.get("/agent/?view=all", headers=ROWS)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and '<form class="filters' not in html
    assert regions(html) == ["summary", "tabs", "results"]
    assert row_ids(html) == [ticket.id]
    assert "X-Fragment" in response.headers["Vary"]
    assert "no-store" in response.headers["Cache-Control"]


def test_the_full_queue_page_marks_the_same_parts(client, factory, acme, ana):
    factory.ticket(acme)
    login(client, ana)
    response = client.get("/agent/?view=all")
    html = response.get_data(as_text=True)
    assert "<html" in html
    assert regions(html) == ["summary", "tabs", "results"]
    assert "data-live-queue" in html and "js/queue.js" in html
    assert """data-clients='["acme"]'""" in html  # events of other clients are not its concern
    assert "X-Fragment" in response.headers["Vary"]


def test_an_unknown_fragment_name_gets_the_whole_page(client, ana):
    login(client, ana)
    html = client.get("/agent/", headers={"X-Fragment": "everything"}).get_data(as_text=True)
    assert "<html" in html


def test_the_fragment_keeps_the_view_and_filters(client, factory, acme, ana, now):
    waiting = factory.ticket(acme, subject="Nobody has it")
    mine = factory.ticket(acme, subject="Mine")
    from helpdesk.services.tickets import update_ticket

    update_ticket(factory.session, ticket=mine, actor=ana, now=now, assignee_id=ana.id)
    login(client, ana)
    assert row_ids(client.get("/agent/?view=waiting", headers=ROWS).get_data(as_text=True)) == [
        waiting.id
    ]
    assert row_ids(client.get("/agent/?view=mine", headers=ROWS).get_data(as_text=True)) == [
        mine.id
    ]
    searched = client.get("/agent/?view=all&q=Nobody", headers=ROWS).get_data(as_text=True)
    assert row_ids(searched) == [waiting.id]


def test_the_fragment_never_shows_another_clients_tickets(client, factory, acme, globex, ana):
    factory.ticket(globex, subject="Globex secret")
    login(client, ana)
    html = client.get("/agent/?view=all", headers=ROWS).get_data(as_text=True)
    assert row_ids(html) == []
    assert "Globex secret" not in html


def test_the_fragment_is_for_agents_only(client, factory, acme, kei, sam):
    assert client.get("/agent/", headers=ROWS).status_code == 302  # to sign-in
    for outsider in (kei, sam):
        login(client, outsider)
        assert client.get("/agent/", headers=ROWS).status_code == 404
        client.post("/logout")


# -- chats in the queue and on the ticket page -----------------------------------------------------


def test_the_agents_own_chats_stand_out_in_the_queue(client, factory, acme, ana, kei, now):
    from helpdesk.services.tickets import update_ticket

    chat = factory.ticket(acme, kei, channel="chat", subject="Chat")
    other = factory.ticket(acme, kei, subject="Mail")
    for t in (chat, other):
        update_ticket(factory.session, ticket=t, actor=ana, now=now, assignee_id=ana.id)
    login(client, ana)
    html = client.get("/agent/?view=mine").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-ticket-id="(\d+)" class="([^"]*)"', html))
    assert "row-chat-mine" in rows[str(chat.id)]
    assert "row-chat" not in rows[str(other.id)]


def test_a_waiting_chat_is_accepted_from_the_ticket_page(
    client, factory, acme, ana, kei, db_session, page_text
):
    chat = factory.ticket(acme, kei, channel="chat")
    assert chat.assignee_id is None
    login(client, ana)
    page = client.get(f"/agent/tickets/{chat.id}")
    assert "Accept chat" in page_text(page)
    assert "Accept" in page_text(client.get("/agent/?view=waiting"))
    response = client.post(f"/agent/tickets/{chat.id}", data={"action": "take", "assignee": ""})
    assert response.status_code == 302
    db_session.refresh(chat)
    assert chat.assignee_id == ana.id


def test_an_agents_form_reply_to_a_chat_is_a_chat_line(client, factory, acme, ana, kei, db_session):
    chat = factory.ticket(acme, kei, channel="chat")
    login(client, ana)
    response = client.post(
        f"/agent/tickets/{chat.id}", data={"action": "reply", "body": "Hello, I am Ana."}
    )
    assert response.status_code == 302
    message = db_session.scalar(select(Message))
    assert (message.channel, message.kind, message.internal) == ("chat", "chat", False)


def test_the_ticket_page_carries_its_live_settings(
    client, factory, acme, ana, kei, db_session, now
):
    ticket = factory.ticket(acme, kei)
    line = add_message(db_session, ticket=ticket, author=kei, body="More details", now=now)
    db_session.add(TicketRead(ticket_id=ticket.id, user_id=kei.id, message_id=line.id))
    db_session.commit()
    login(client, ana)
    html = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    thread = re.search(r"<div class=\"thread\" data-live-thread[^>]*>", html).group(0)
    assert f'data-ticket-id="{ticket.id}"' in thread
    assert 'data-staff="true"' in thread
    assert f'data-seen-up-to="{line.id}"' in thread  # what the customer has read
    assert f'data-requester-id="{kei.id}"' in thread
    assert "data-live-composer" in html and "js/ticket_page.js" in html


@pytest.mark.parametrize("path", ["/agent/", "/agent/coverage"])
def test_every_agent_page_is_live_with_toasts_for_the_viewer(client, ana, path):
    login(client, ana)
    html = client.get(path).get_data(as_text=True)
    assert "socket.io/socket.io.min.js" in html and "js/staff.js" in html
    region = re.search(r"<div class=\"toasts\"[^>]*>", html).group(0)
    assert 'role="status"' in region and 'aria-live="polite"' in region
    assert f'data-viewer-id="{ana.id}"' in region
    assert 'data-ticket-url="/agent/tickets/"' in region
    assert f'data-presence-switch="{ana.id}"' in html


def test_presence_dots_name_their_agent_for_live_updates(client, factory, acme, ana, now):
    from helpdesk.services.tickets import update_ticket

    ticket = factory.ticket(acme)
    update_ticket(factory.session, ticket=ticket, actor=ana, now=now, assignee_id=ana.id)
    login(client, ana)
    html = client.get("/agent/?view=all").get_data(as_text=True)
    assert f'data-presence-of="{ana.id}"' in html
