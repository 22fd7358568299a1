"""Each viewer reads times in their own zone and language."""

from __future__ import annotations

import re
from datetime import timedelta

from helpdesk.services.tickets import add_message
from tests.conftest import login

STAMP = "2026-03-09T15:05:00+00:00"


def shown_time(page: str) -> str:
    """The visible text of the <time> element for the message written at STAMP."""
    return re.search(rf'<time datetime="{re.escape(STAMP)}"[^>]*>([^<]+)</time>', page).group(1)


def test_an_agent_in_berlin_and_a_customer_in_tokyo_see_one_message_at_their_own_times(
    app, client, acme, db_session, factory, now
):
    kei = factory.customer(acme, locale="ja", timezone="Asia/Tokyo")
    ana = factory.agent([acme], name="Ana", locale="de", timezone="Europe/Berlin")
    ticket = factory.ticket(acme, kei)
    later = now + timedelta(minutes=5)
    add_message(db_session, ticket=ticket, author=kei, body="もしもし", now=later)

    login(client, kei)
    customer_page = client.get(f"/c/acme/tickets/{ticket.id}").get_data(as_text=True)
    with app.test_client() as other:
        login(other, ana)
        agent_page = other.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)

    assert shown_time(customer_page) == "2026/03/10 0:05"  # Tokyo, next morning
    assert shown_time(agent_page) == "09.03.26, 16:05"  # Berlin, winter time
    assert "Asia/Tokyo" in customer_page and "Europe/Berlin" in agent_page
