"""Live chat from the portal: the entry points, starting a chat when an agent can take it now,
the offline form (with when to expect a reply) when nobody can, and the chat view."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time
from flask_babel import force_locale, gettext
from sqlalchemy import func, select

from helpdesk.models import Message, Ticket, TicketRead
from helpdesk.portal.forms import CHAT_SUBJECT_MAX, chat_subject
from helpdesk.services.tickets import add_message
from tests.conftest import login

ALL_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def anywhere(factory):
    """A site always on shift: the chat pages ask routing at the real clock's time."""
    return factory.site("anywhere", name="Anywhere", shifts={d: ["00:00-24:00"] for d in ALL_DAYS})


@pytest.fixture
def ana_online(factory, acme, anywhere):
    """An agent of acme, on shift and online: a chat can start."""
    return factory.agent([acme], name="Ana", site=anywhere, presence="online")


def tickets(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Ticket))


class _LiveThread(HTMLParser):
    def __init__(self):
        super().__init__()
        self.attrs: dict | None = None

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        if self.attrs is None and "data-live-thread" in found:
            self.attrs = {k.removeprefix("data-"): v for k, v in found.items()}


def live_settings(html: str) -> dict:
    """The data-* attributes of the page's live thread, unescaped."""
    parser = _LiveThread()
    parser.feed(html)
    assert parser.attrs is not None, "the page has no live thread"
    return parser.attrs


# -- entry points ----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/c/acme/", "/c/acme/tickets"])
def test_the_portal_home_and_the_ticket_list_offer_a_chat(client, kei, path):
    login(client, kei)
    html = client.get(path).get_data(as_text=True)
    assert re.search(r'href="/c/acme/chat"[^>]*data-chat-entry', html)


def test_anonymous_visitors_sign_in_before_chatting(client, acme):
    response = client.get("/c/acme/chat")
    assert response.status_code == 302
    assert response.headers["Location"] == "/c/acme/login?next=/c/acme/chat"


def test_a_customer_of_another_client_counts_as_signed_out_on_this_chat(
    client, factory, globex, acme
):
    login(client, factory.customer(globex))
    response = client.get("/c/acme/chat")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/c/acme/login")


# -- starting a chat -------------------------------------------------------------------------------


def test_with_an_agent_available_the_chat_page_offers_the_start_form(
    client, kei, ana_online, page_text
):
    login(client, kei)
    response = client.get("/c/acme/chat")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<textarea[^>]*name="body"', html)
    assert 'name="subject"' not in html
    assert "An agent is available now." in page_text(response)


def test_starting_a_chat_files_a_chat_ticket_and_opens_the_chat(
    client, kei, ana_online, db_session, page_text
):
    login(client, kei)
    response = client.post(
        "/c/acme/chat", data={"body": "  Printer on fire\nThere is smoke everywhere."}
    )
    ticket = db_session.scalar(select(Ticket))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/c/acme/tickets/{ticket.id}"
    assert (ticket.channel, ticket.subject, ticket.requester_id, ticket.locale) == (
        "chat",
        "Printer on fire",
        kei.id,
        "en",
    )
    assert ticket.body == "Printer on fire\nThere is smoke everywhere."
    assert ticket.assignee_id == ana_online.id
    page = client.get(response.headers["Location"])
    assert "data-chat-log" in page.get_data(as_text=True)
    assert "You are chatting with Ana." in page_text(page)


def test_a_chat_is_held_in_the_customers_language(client, factory, acme, anywhere, db_session):
    factory.agent([acme], site=anywhere, presence="online", languages=("en", "ja"))
    customer = factory.customer(acme, locale="ja")
    login(client, customer)
    client.post("/c/acme/chat", data={"body": "プリンターが動きません"})
    assert db_session.scalar(select(Ticket.locale)) == "ja"


def test_an_empty_first_message_is_refused_and_nothing_is_stored(
    client, kei, ana_online, db_session
):
    login(client, kei)
    response = client.post("/c/acme/chat", data={"body": "   "})
    assert response.status_code == 422
    assert 'class="field-errors"' in response.get_data(as_text=True)
    assert tickets(db_session) == 0


def test_a_too_long_first_message_is_refused(client, kei, ana_online, db_session):
    login(client, kei)
    response = client.post("/c/acme/chat", data={"body": "x" * 20_001})
    assert response.status_code == 422
    assert tickets(db_session) == 0


def test_the_subject_is_the_first_line_cut_at_a_word():
    assert chat_subject("\n\n  Hello there  \nsecond line") == "Hello there"
    long_line = "word " * 40
    subject = chat_subject(long_line)
    assert len(subject) <= CHAT_SUBJECT_MAX and subject.endswith("word…")
    assert chat_subject("x" * 200) == "x" * (CHAT_SUBJECT_MAX - 1) + "…"


# -- nobody available ------------------------------------------------------------------------------


def test_without_an_agent_online_the_offline_form_takes_a_ticket_instead(
    client, kei, factory, acme, anywhere, page_text
):
    factory.agent([acme], site=anywhere, presence="offline")
    login(client, kei)
    response = client.get("/c/acme/chat")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<form method="post" action="/c/acme/tickets/new"', html)
    assert 'name="subject"' in html and 'name="body"' in html
    text = page_text(response)
    assert "Nobody can chat with you right now." in text
    assert "No agent can answer in your language right now." in text


def test_the_offline_form_says_when_the_next_shift_can_answer_in_the_customers_zone(
    client, factory, acme, page_text
):
    # A shift that starts two hours from the real clock, every day: nobody is on shift now.
    start = (datetime.now(UTC) + timedelta(hours=2)).replace(second=0, microsecond=0)
    end = start + timedelta(hours=1)
    interval = f"{start:%H:%M}-{end:%H:%M}"
    later = factory.site("later", shifts={d: [interval] for d in ALL_DAYS})
    factory.agent([acme], site=later, presence="online")
    kei = factory.customer(acme, timezone="Asia/Tokyo")
    login(client, kei)
    text = page_text(client.get("/c/acme/chat"))
    local = format_time(start.astimezone(ZoneInfo("Asia/Tokyo")), "short", locale="en")
    assert "An agent can answer from" in text
    assert " ".join(local.split()) in text  # page_text turns narrow spaces into spaces


def test_no_agent_speaking_the_customers_language_is_said_plainly(
    client, factory, acme, anywhere, page_text
):
    factory.agent([acme], site=anywhere, presence="online", languages=("en",))
    login(client, factory.customer(acme, locale="ja"))
    # The customer's language is also the page's: the sentence comes in Japanese.
    with force_locale("ja"):
        expected = gettext(
            "No agent can answer in your language right now. Leave us a message below and we "
            "reply as soon as we can."
        )
    assert expected in page_text(client.get("/c/acme/chat"))


def test_a_chat_started_as_agents_became_busy_keeps_what_was_typed(
    client, kei, factory, acme, anywhere, db_session, page_text
):
    factory.agent([acme], site=anywhere, presence="away")
    login(client, kei)
    response = client.post("/c/acme/chat", data={"body": "VPN is down\nSince this morning."})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'name="subject"[^>]*value="VPN is down"', html)
    assert "Since this morning." in html
    assert "What you wrote is in the form below." in page_text(response)
    assert tickets(db_session) == 0


# -- the chat view ---------------------------------------------------------------------------------


def test_a_chat_ticket_opens_as_a_chat_with_its_live_settings(
    client, kei, ana_online, factory, acme, db_session, now
):
    ticket = factory.ticket(acme, kei, channel="chat", subject="Printer")
    reply = add_message(db_session, ticket=ticket, author=ana_online, body="Hi!", now=now)
    db_session.add(TicketRead(ticket_id=ticket.id, user_id=ana_online.id, message_id=reply.id))
    db_session.commit()
    login(client, kei)
    html = client.get(f"/c/acme/tickets/{ticket.id}").get_data(as_text=True)
    settings = live_settings(html)
    assert settings["ticket-id"] == str(ticket.id)
    assert settings["viewer-id"] == str(kei.id)
    assert settings["chat"] == "true"
    assert settings["staff"] == "false"
    assert settings["seen-up-to"] == str(reply.id)
    labels = json.loads(settings["labels"])
    assert labels["typing"] == "{name} is typing…"
    assert f'data-message-id="{reply.id}"' in html
    assert "socket.io.min.js" in html and "js/ticket_page.js" in html
    assert re.search(r"data-live-status[^>]*hidden", html)


def test_a_chat_line_sent_as_a_form_is_stored_as_a_chat_line(
    client, kei, factory, acme, db_session
):
    ticket = factory.ticket(acme, kei, channel="chat")
    login(client, kei)
    response = client.post(f"/c/acme/tickets/{ticket.id}", data={"body": "Still there?"})
    assert response.status_code == 302
    message = db_session.scalar(select(Message))
    assert (message.body, message.channel, message.kind) == ("Still there?", "chat", "chat")


def test_other_tickets_keep_the_thread_page_and_update_live(client, kei, factory, acme):
    ticket = factory.ticket(acme, kei)
    login(client, kei)
    html = client.get(f"/c/acme/tickets/{ticket.id}").get_data(as_text=True)
    assert "data-chat-log" not in html
    assert live_settings(html)["chat"] == "false"
    assert "data-live-composer" in html


def test_another_customers_chat_is_404(client, factory, acme, globex, kei):
    ticket = factory.ticket(acme, kei, channel="chat")
    login(client, factory.customer(acme))
    assert client.get(f"/c/acme/tickets/{ticket.id}").status_code == 404
    client.post("/c/acme/logout")
    outsider = factory.customer(globex)
    login(client, outsider)
    assert client.get(f"/c/globex/tickets/{ticket.id}").status_code == 404


def test_pages_without_a_live_part_load_no_socket(client, acme):
    html = client.get("/c/acme/").get_data(as_text=True)
    assert "socket.io.min.js" not in html
