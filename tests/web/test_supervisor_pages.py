"""The supervisor overview (own client, counts, admin client picker) and read-only ticket view."""

from __future__ import annotations

import re

from helpdesk.services.tickets import add_message, update_ticket
from tests.conftest import login


def refs(response) -> list[str]:
    """The ticket references listed on the page, in order."""
    return re.findall(r'<span class="ref">([A-Z0-9-]+)</span>', response.get_data(as_text=True))


def count_of(response, status: str) -> int:
    """The number on a status tile."""
    html = response.get_data(as_text=True)
    tile = re.search(
        rf'class="stat-tile stat-{status}[^"]*".*?<span class="stat-value"[^>]*>(\d+)</span>',
        html,
        re.S,
    )
    return int(tile.group(1))


def test_a_supervisor_sees_the_tickets_of_their_client_with_status_counts(
    client, factory, acme, globex, sam, ana, db_session, now
):
    factory.ticket(acme)
    solved = factory.ticket(acme)
    update_ticket(db_session, ticket=solved, actor=ana, now=now, status="solved")
    factory.ticket(globex)
    login(client, sam)
    response = client.get("/supervisor/tickets")
    assert response.status_code == 200
    assert sorted(refs(response)) == ["ACME-1", "ACME-2"]
    assert (count_of(response, "new"), count_of(response, "solved")) == (1, 1)
    assert count_of(response, "open") == 0


def test_a_supervisor_cannot_pick_another_client(client, factory, acme, globex, sam):
    factory.ticket(acme)
    factory.ticket(globex)
    login(client, sam)
    response = client.get("/supervisor/tickets?client=globex")
    assert response.status_code == 200
    assert "not understood" in response.get_data(as_text=True)
    assert refs(response) == ["ACME-1"]


def test_the_supervisor_list_filters_by_status(client, factory, acme, sam, ana, db_session, now):
    factory.ticket(acme)
    solved = factory.ticket(acme)
    update_ticket(db_session, ticket=solved, actor=ana, now=now, status="solved")
    login(client, sam)
    assert refs(client.get("/supervisor/tickets?status=solved")) == ["ACME-2"]


def test_an_admin_picks_a_client_and_sees_its_counts(client, factory, acme, globex):
    admin = factory.admin()
    factory.ticket(acme)
    factory.ticket(globex)
    factory.ticket(globex)
    login(client, admin)
    everything = client.get("/supervisor/tickets")
    assert sorted(refs(everything)) == ["ACME-1", "GLOBEX-1", "GLOBEX-2"]
    picked = client.get("/supervisor/tickets?client=globex")
    assert sorted(refs(picked)) == ["GLOBEX-1", "GLOBEX-2"]
    assert count_of(picked, "new") == 2


def test_an_unknown_client_in_the_picker_is_ignored_with_a_form_error(client, factory, acme):
    admin = factory.admin()
    factory.ticket(acme)
    login(client, admin)
    response = client.get("/supervisor/tickets?client=nope")
    assert response.status_code == 200
    assert "not understood" in response.get_data(as_text=True)
    assert refs(response) == ["ACME-1"]


def test_the_supervisor_ticket_page_shows_the_public_thread_and_history_only(
    client, factory, acme, kei, ana, sam, db_session, now, page_text
):
    ticket = factory.ticket(acme, kei)
    add_message(db_session, ticket=ticket, author=ana, body="Public answer", now=now)
    add_message(db_session, ticket=ticket, author=ana, body="Secret note", now=now, internal=True)
    login(client, sam)
    response = client.get(f"/supervisor/tickets/{ticket.id}")
    assert response.status_code == 200
    text = page_text(response)
    assert "Public answer" in text
    assert "Kei filed the ticket through the portal." in text
    assert "Secret note" not in text
    assert "internal note" not in text
    assert 'name="body"' not in response.get_data(as_text=True)


def test_a_supervisor_of_another_client_gets_404_for_a_ticket(client, factory, acme, globex):
    ticket = factory.ticket(acme)
    outsider = factory.supervisor(globex)
    login(client, outsider)
    assert client.get(f"/supervisor/tickets/{ticket.id}").status_code == 404


def test_the_supervisor_list_says_so_when_there_are_no_tickets(client, sam, page_text):
    login(client, sam)
    assert "No tickets yet" in page_text(client.get("/supervisor/tickets"))
