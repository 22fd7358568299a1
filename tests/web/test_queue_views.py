"""The agent queue's views (my tickets, waiting for me, all) and taking a waiting ticket."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, select

from helpdesk.agent import queues
from helpdesk.extensions import db
from helpdesk.models import Ticket, TicketEvent
from helpdesk.services import totals
from helpdesk.services.tickets import update_ticket
from tests.conftest import login


def queue_refs(response) -> list[str]:
    """The ticket references of the queue rows, in order."""
    return re.findall(r'<span class="ref">([A-Z0-9-]+)</span>', response.get_data(as_text=True))


@pytest.fixture
def ola(factory, acme):
    """An agent of acme who speaks English, has the billing skill and no shift (nothing routes)."""
    return factory.agent([acme], name="Ola", languages=("en",), skills=("billing",))


@pytest.fixture
def desk(factory, acme, globex, ola, db_session, now):
    """Tickets of every kind around Ola, by role."""
    bo = factory.agent([acme], name="Bo", languages=("en",))
    t = {
        "mine": factory.ticket(acme, subject="Mine"),
        "waiting": factory.ticket(acme, subject="Billing question", category="billing"),
        "same_language": factory.ticket(acme, subject="British English", locale="en-GB"),
        "japanese": factory.ticket(acme, subject="Japanese", locale="ja"),
        "no_skill": factory.ticket(acme, subject="Broken laptop", category="hardware"),
        "pending": factory.ticket(acme, subject="Waiting on the customer"),
        "bos": factory.ticket(acme, subject="Bo's"),
        "other_client": factory.ticket(globex, subject="Globex matter"),
    }
    update_ticket(db_session, ticket=t["mine"], actor=ola, now=now, assignee_id=ola.id)
    update_ticket(db_session, ticket=t["pending"], actor=ola, now=now, status="pending")
    update_ticket(db_session, ticket=t["bos"], actor=bo, now=now, assignee_id=bo.id)
    return {name: ticket.reference for name, ticket in t.items()}


def test_my_tickets_are_the_open_tickets_assigned_to_me(client, desk, ola):
    login(client, ola)
    assert queue_refs(client.get("/agent/?view=mine")) == [desk["mine"]]


def test_waiting_for_me_lists_unassigned_tickets_in_my_languages_and_skills(client, desk, ola):
    login(client, ola)
    refs = queue_refs(client.get("/agent/?view=waiting"))
    assert sorted(refs) == sorted([desk["waiting"], desk["same_language"]])


def test_a_ticket_in_a_language_i_do_not_speak_is_not_waiting_for_me(client, desk, ola):
    login(client, ola)
    html = client.get("/agent/?view=waiting").get_data(as_text=True)
    assert desk["japanese"] not in html
    assert desk["no_skill"] not in html  # nor one that needs a skill I lack
    assert desk["pending"] not in html  # nor one waiting on its customer


def test_all_lists_every_ticket_of_my_clients(client, desk, ola):
    login(client, ola)
    refs = queue_refs(client.get("/agent/?view=all"))
    expected = {name: ref for name, ref in desk.items() if name != "other_client"}
    assert sorted(refs) == sorted(expected.values())


def test_another_clients_ticket_never_appears_in_any_view(client, desk, ola):
    login(client, ola)
    for view in ("mine", "waiting", "all"):
        html = client.get(f"/agent/?view={view}&status=all").get_data(as_text=True)
        assert "Globex matter" not in html and desk["other_client"] not in html


def test_a_same_language_locale_counts_both_ways(client, factory, acme, db_session):
    brazilian = factory.agent([acme], name="Rui", languages=("pt_BR",))
    portuguese = factory.ticket(acme, subject="Europe", locale="pt-PT")
    plain = factory.ticket(acme, subject="Plain", locale="pt")
    factory.ticket(acme, subject="Not Portuguese", locale="pl")
    login(client, brazilian)
    refs = queue_refs(client.get("/agent/?view=waiting"))
    assert sorted(refs) == sorted([portuguese.reference, plain.reference])


def test_the_default_view_is_my_tickets_when_i_have_some(client, desk, ola):
    login(client, ola)
    response = client.get("/agent/")
    assert queue_refs(response) == [desk["mine"]]
    assert re.search(r'href="/agent/\?view=mine" aria-current="page"', response.text)


def test_the_default_view_is_waiting_for_me_when_i_have_none(client, factory, acme, ola):
    ticket = factory.ticket(acme)
    login(client, ola)
    response = client.get("/agent/")
    assert queue_refs(response) == [ticket.reference]
    assert re.search(r'href="/agent/\?view=waiting" aria-current="page"', response.text)


def test_the_tabs_are_links_that_show_how_much_open_work_each_holds(client, desk, ola):
    login(client, ola)
    html = client.get("/agent/?view=all").get_data(as_text=True)
    tabs = re.search(r'<nav class="tabs"[^>]*>(.*?)</nav>', html, re.S).group(1)
    assert re.findall(r'href="/agent/\?view=(\w+)"', tabs) == ["mine", "waiting", "all"]
    assert re.search(r'view=all" aria-current="page"', tabs)
    counts = re.findall(r'<span class="tab-count">(\d+)', tabs)
    assert counts == ["1", "2"]


def test_filters_and_pages_keep_the_view(client, factory, acme, ola):
    for _ in range(51):
        factory.ticket(acme)
    login(client, ola)
    html = client.get("/agent/?view=waiting&sort=oldest").get_data(as_text=True)
    assert '<input type="hidden" name="view" value="waiting">' in html
    assert 'href="/agent/?page=2&amp;view=waiting&amp;sort=oldest"' in html
    filters = re.search(r'<form class="filters.*?</form>', html, re.S).group(0)
    assert 'name="status"' not in filters  # waiting tickets are new or open by definition


def test_an_unknown_view_is_reported_and_the_default_shown(client, factory, acme, ola, page_text):
    ticket = factory.ticket(acme)
    login(client, ola)
    response = client.get("/agent/?view=everything")
    assert response.status_code == 200
    assert "not understood" in page_text(response)
    assert queue_refs(response) == [ticket.reference]


def test_the_waiting_view_runs_the_same_number_of_queries_for_many_rows(client, factory, acme, ola):
    def queries() -> int:
        statements = []

        def count(*_args):
            statements.append(1)

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/agent/?view=waiting").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    login(client, ola)
    factory.ticket(acme, category="billing")
    client.get("/agent/")  # the first page of a visit also records the agent's activity
    few = queries()
    for n in range(10):
        factory.ticket(
            acme,
            requester=factory.customer(acme),
            locale=("en", "en-US")[n % 2],
            category="billing",
        )
    assert queries() == few


def _statements_of(client, url: str) -> int:
    seen = []

    def count(*_args):
        seen.append(1)

    db.session.expire_all()
    event.listen(db.engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    return len(seen)


@pytest.mark.parametrize("view", ["all", "mine"])
def test_the_statements_of_a_queue_page_do_not_grow_with_its_rows(
    client, factory, acme, ola, db_session, now, view
):
    def add(n: int) -> None:
        for i in range(n):
            ticket = factory.ticket(acme, requester=factory.customer(acme), channel="chat")
            agent = ola if i % 2 else factory.agent([acme], name=f"Agent {i}", languages=("en",))
            update_ticket(db_session, ticket=ticket, actor=agent, now=now, assignee_id=agent.id)

    login(client, ola)
    add(10)
    client.get("/agent/")  # the first page of a visit also records the agent's activity
    few = _statements_of(client, f"/agent/?view={view}")
    add(40)
    html = client.get(f"/agent/?view={view}").get_data(as_text=True)
    assert html.count("data-ticket-id") == (50 if view == "all" else 25)
    assert _statements_of(client, f"/agent/?view={view}") == few


def test_past_the_counting_cap_the_queue_says_how_many_at_least(
    client, factory, acme, ola, monkeypatch, page_text
):
    monkeypatch.setattr(totals, "COUNT_CAP", 2)
    monkeypatch.setattr(queues, "COUNT_CAP", 2)
    for _ in range(3):
        factory.ticket(acme)
    login(client, ola)
    response = client.get("/agent/?view=all")
    assert "2+ tickets match" in page_text(response)
    assert len(queue_refs(response)) == 3


# -- taking a waiting ticket -----------------------------------------------------------------------


def test_waiting_rows_have_a_take_button_posting_with_a_csrf_token(client, factory, acme, ola):
    ticket = factory.ticket(acme)
    login(client, ola)
    html = client.get("/agent/?view=waiting").get_data(as_text=True)
    form = re.search(
        rf'<form method="post" action="/agent/tickets/{ticket.id}/take".*?</form>', html, re.S
    )
    assert form and 'name="csrf_token"' in form.group(0)
    assert 'name="next" value="/agent/?view=waiting"' in form.group(0)


def test_taking_a_waiting_ticket_assigns_it_to_me(client, factory, acme, ola, db_session):
    ticket = factory.ticket(acme)
    login(client, ola)
    response = client.post(
        f"/agent/tickets/{ticket.id}/take", data={"next": "/agent/?view=waiting"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/agent/tickets/{ticket.id}"
    db_session.refresh(ticket)
    assert ticket.assignee_id == ola.id
    why = db_session.scalar(
        select(TicketEvent.data)
        .where(TicketEvent.kind == "assigned")
        .order_by(TicketEvent.id.desc())
    )
    assert why["why"] == "taken"
    assert queue_refs(client.get("/agent/?view=mine")) == [ticket.reference]


def test_a_second_take_of_the_same_ticket_says_who_took_it(
    client, app, factory, acme, ola, db_session, page_text
):
    ticket = factory.ticket(acme)
    bo = factory.agent([acme], name="Bo")
    login(client, ola)
    assert client.post(f"/agent/tickets/{ticket.id}/take").status_code == 302
    other = app.test_client()
    login(other, bo)
    response = other.post(f"/agent/tickets/{ticket.id}/take", data={"next": "/agent/?view=waiting"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/agent/?view=waiting"
    assert "Ola already took this ticket." in page_text(other.get(response.headers["Location"]))
    assert db_session.get(Ticket, ticket.id).assignee_id == ola.id


def test_take_goes_back_only_to_a_page_of_this_site(client, factory, acme, ola):
    ticket = factory.ticket(acme)
    bo = factory.agent([acme], name="Bo")
    update_ticket(factory.session, ticket=ticket, actor=bo, now=factory.now, assignee_id=bo.id)
    login(client, ola)
    response = client.post(
        f"/agent/tickets/{ticket.id}/take", data={"next": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/agent/?view=waiting"


def test_an_agent_not_serving_the_client_cannot_take_its_ticket(client, factory, globex, ola):
    ticket = factory.ticket(globex)
    login(client, ola)
    assert client.post(f"/agent/tickets/{ticket.id}/take").status_code == 404
    assert factory.session.get(Ticket, ticket.id).assignee_id is None


def test_taking_needs_a_csrf_token_when_protection_is_on(
    client, app, monkeypatch, factory, acme, ola
):
    ticket = factory.ticket(acme)
    login(client, ola)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post(f"/agent/tickets/{ticket.id}/take").status_code == 400
    assert factory.session.get(Ticket, ticket.id).assignee_id is None


def test_the_ticket_page_refuses_to_take_a_ticket_someone_took_meanwhile(
    client, factory, acme, ola, db_session, page_text
):
    ticket = factory.ticket(acme)
    bo = factory.agent([acme], name="Bo")
    login(client, ola)
    page = client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True)
    assert '<input type="hidden" name="assignee" value="">' in page
    update_ticket(db_session, ticket=ticket, actor=bo, now=factory.now, assignee_id=bo.id)
    response = client.post(f"/agent/tickets/{ticket.id}", data={"action": "take", "assignee": ""})
    assert response.status_code == 409
    assert "Bo already took this ticket." in page_text(response)
    db_session.refresh(ticket)
    assert ticket.assignee_id == bo.id


def test_the_ticket_page_takes_a_ticket_from_the_colleague_it_showed(
    client, factory, acme, ola, db_session, page_text
):
    ticket = factory.ticket(acme)
    bo = factory.agent([acme], name="Bo")
    update_ticket(db_session, ticket=ticket, actor=bo, now=factory.now, assignee_id=bo.id)
    login(client, ola)
    assert "Take it from Bo" in page_text(client.get(f"/agent/tickets/{ticket.id}"))
    response = client.post(
        f"/agent/tickets/{ticket.id}", data={"action": "take", "assignee": str(bo.id)}
    )
    assert response.status_code == 302
    db_session.refresh(ticket)
    assert ticket.assignee_id == ola.id


def test_names_in_the_queue_are_isolated_so_a_right_to_left_name_cannot_reorder_the_row(
    client, factory, acme, ola, db_session
):
    fatima = factory.customer(acme, name="فاطمة السيد")
    factory.ticket(acme, subject="VPN", requester=fatima)
    login(client, ola)
    html = client.get("/agent/?view=all").get_data(as_text=True)
    assert "<bdi>فاطمة السيد</bdi>" in html
    assert f"<bdi>{ola.name}</bdi>" in html  # the account menu too
