"""The agent queue (scope, order, filters, pages) and the ticket workspace."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from helpdesk.extensions import db
from helpdesk.models import Message, Ticket, TicketEvent
from helpdesk.services.tickets import add_message, update_ticket
from tests.conftest import login


def queue_refs(response) -> list[str]:
    """The ticket references of the queue rows, in order."""
    return re.findall(r'<span class="ref">([A-Z0-9-]+)</span>', response.get_data(as_text=True))


def test_the_queue_lists_only_tickets_of_clients_the_agent_serves(
    client, factory, acme, globex, ana
):
    factory.ticket(acme, subject="Acme trouble")
    factory.ticket(globex, subject="Globex trouble")
    login(client, ana)
    response = client.get("/agent/?view=all")
    assert queue_refs(response) == ["ACME-1"]
    assert "Globex trouble" not in response.get_data(as_text=True)


def test_the_queue_puts_the_most_urgent_first_then_the_oldest(client, factory, acme, ana):
    factory.now -= timedelta(hours=3)
    factory.ticket(acme, priority="low")  # ACME-1, oldest
    factory.ticket(acme, priority="normal")  # ACME-2
    factory.now += timedelta(hours=1)
    factory.ticket(acme, priority="urgent")  # ACME-3
    factory.ticket(acme, priority="normal")  # ACME-4, newer than ACME-2
    factory.ticket(acme, priority="high")  # ACME-5
    login(client, ana)
    assert queue_refs(client.get("/agent/?view=all")) == [
        "ACME-3",
        "ACME-5",
        "ACME-2",
        "ACME-4",
        "ACME-1",
    ]


def test_queue_rows_carry_the_ticket_id_and_a_due_time_slot(client, factory, acme, ana):
    ticket = factory.ticket(acme)
    login(client, ana)
    html = client.get("/agent/?view=all").get_data(as_text=True)
    assert f'data-ticket-id="{ticket.id}"' in html
    assert "data-due-slot" in html


def test_the_queue_shows_open_work_by_default_and_any_status_on_request(
    client, factory, acme, ana, db_session, now
):
    factory.ticket(acme, subject="Still open")
    done = factory.ticket(acme, subject="All done")
    update_ticket(db_session, ticket=done, actor=ana, now=now, status="solved")
    login(client, ana)
    assert queue_refs(client.get("/agent/?view=all")) == ["ACME-1"]
    assert queue_refs(client.get("/agent/?view=all&status=solved")) == ["ACME-2"]
    assert sorted(queue_refs(client.get("/agent/?view=all&status=all"))) == ["ACME-1", "ACME-2"]


def test_the_queue_filters_by_priority_client_and_text(client, factory, acme, globex, ana):
    ana.served_clients = [acme, globex]
    db.session.commit()
    factory.ticket(acme, subject="VPN drops", priority="high")
    factory.ticket(acme, subject="Printer jam 100%_off")
    factory.ticket(globex, subject="VPN slow")
    login(client, ana)
    assert queue_refs(client.get("/agent/?view=all&priority=high")) == ["ACME-1"]
    assert queue_refs(client.get("/agent/?view=all&client=globex")) == ["GLOBEX-1"]
    assert sorted(queue_refs(client.get("/agent/?view=all&q=vpn"))) == ["ACME-1", "GLOBEX-1"]
    assert queue_refs(client.get("/agent/?view=all&q=%25_")) == [
        "ACME-2"
    ]  # wildcards taken literally
    assert queue_refs(client.get("/agent/?view=all&q=globex-1")) == ["GLOBEX-1"]


def test_the_queue_filters_by_assignee(client, factory, acme, ana, db_session, now):
    mine = factory.ticket(acme)
    factory.ticket(acme)
    update_ticket(db_session, ticket=mine, actor=ana, now=now, assignee_id=ana.id)
    login(client, ana)
    assert queue_refs(client.get("/agent/?view=all&assignee=me")) == ["ACME-1"]
    assert queue_refs(client.get("/agent/?view=all&assignee=unassigned")) == ["ACME-2"]


@pytest.mark.parametrize(
    "query",
    [
        "status=bogus",
        "priority=asap",
        "client=globex",  # a client the agent does not serve
        "assignee=someone",
        "page=abc",
        "page=-3",
        "q=" + "x" * 300,
    ],
)
def test_bad_filter_values_are_ignored_with_a_form_error(client, factory, acme, globex, ana, query):
    factory.ticket(acme)
    factory.ticket(globex)
    login(client, ana)
    response = client.get(f"/agent/?view=all&view=all&{query}")
    assert response.status_code == 200
    assert "not understood" in response.get_data(as_text=True)
    assert queue_refs(response) == ["ACME-1"]


def test_the_queue_shows_fifty_tickets_a_page(client, factory, acme, ana):
    for _ in range(51):
        factory.ticket(acme)
    login(client, ana)
    first = client.get("/agent/?view=all")
    assert len(queue_refs(first)) == 50
    assert 'href="/agent/?page=2&amp;view=all"' in first.get_data(as_text=True)
    assert queue_refs(client.get("/agent/?view=all&page=2")) == ["ACME-51"]
    assert queue_refs(client.get("/agent/?view=all&page=9")) == [
        "ACME-51"
    ]  # past the end: the last page


def test_the_queue_runs_the_same_number_of_queries_for_many_rows(client, factory, acme, ana):
    def queries_for_queue() -> int:
        statements = []

        def count(*_args):
            statements.append(1)

        db.session.expire_all()  # the request shares this session: make it load everything anew
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/agent/?view=all").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    login(client, ana)
    factory.ticket(acme)
    client.get("/agent/")  # the first page of a visit also records the agent's activity
    few = queries_for_queue()
    for _ in range(10):
        factory.ticket(acme, requester=factory.customer(acme))
    assert queries_for_queue() == few


def test_the_queue_says_so_when_it_is_empty(client, ana, page_text):
    login(client, ana)
    assert "The queue is clear" in page_text(client.get("/agent/?view=all"))


def test_the_ticket_page_shows_the_whole_thread_with_internal_notes_apart(
    client, factory, acme, kei, ana, db_session, now, page_text
):
    ticket = factory.ticket(acme, kei, body="It smells of toner.", category="billing")
    add_message(db_session, ticket=ticket, author=ana, body="Public answer", now=now)
    add_message(db_session, ticket=ticket, author=ana, body="Secret note", now=now, internal=True)
    login(client, ana)
    response = client.get(f"/agent/tickets/{ticket.id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    text = page_text(response)
    for expected in ("It smells of toner.", "Public answer", "Secret note", "Kei", "billing"):
        assert expected in text
    assert re.search(r'class="msg[^"]*msg-internal[^"]*"', html)
    assert "Kei filed the ticket through the portal." in text
    assert "Ana added an internal note." in text


def test_an_agent_not_serving_the_client_gets_404_for_its_ticket(
    client, factory, globex, ana, db_session
):
    ticket = factory.ticket(globex)
    login(client, ana)
    assert client.get(f"/agent/tickets/{ticket.id}").status_code == 404
    response = client.post(f"/agent/tickets/{ticket.id}", data={"body": "hello"})
    assert response.status_code == 404
    response = client.post(f"/agent/tickets/{ticket.id}", data={"action": "take"})
    assert response.status_code == 404
    assert db_session.scalar(select(func.count(Message.id))) == 0
    assert db_session.get(Ticket, ticket.id).assignee_id is None


def test_an_agent_replies_and_the_ticket_opens(client, factory, acme, ana, db_session):
    ticket = factory.ticket(acme)
    login(client, ana)
    response = client.post(
        f"/agent/tickets/{ticket.id}", data={"action": "reply", "body": "On it."}
    )
    assert response.status_code == 302
    message = db_session.scalar(select(Message))
    assert (message.body, message.internal, message.author_id) == ("On it.", False, ana.id)
    db_session.refresh(ticket)
    assert ticket.status == "open"


def test_an_agent_adds_an_internal_note_that_leaves_the_status_alone(
    client, factory, acme, ana, db_session
):
    ticket = factory.ticket(acme)
    login(client, ana)
    response = client.post(
        f"/agent/tickets/{ticket.id}", data={"body": "Looks like the AP.", "internal": "y"}
    )
    assert response.status_code == 302
    assert db_session.scalar(select(Message.internal)) is True
    db_session.refresh(ticket)
    assert ticket.status == "new"


def test_an_empty_reply_is_a_form_error(client, factory, acme, ana, db_session):
    ticket = factory.ticket(acme)
    login(client, ana)
    response = client.post(f"/agent/tickets/{ticket.id}", data={"action": "reply", "body": ""})
    assert response.status_code == 422
    assert 'class="field-errors"' in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(Message.id))) == 0


def test_an_agent_changes_status_and_priority(client, factory, acme, ana, db_session):
    ticket = factory.ticket(acme)
    login(client, ana)
    response = client.post(
        f"/agent/tickets/{ticket.id}",
        data={"action": "update", "status": "pending", "priority": "urgent"},
    )
    assert response.status_code == 302
    db_session.refresh(ticket)
    assert (ticket.status, ticket.priority) == ("pending", "urgent")
    kinds = db_session.scalars(select(TicketEvent.kind).order_by(TicketEvent.id)).all()
    assert kinds == ["created", "routed", "status_changed", "priority_changed"]


def test_an_unknown_status_is_a_form_error_and_changes_nothing(
    client, factory, acme, ana, db_session
):
    ticket = factory.ticket(acme)
    login(client, ana)
    response = client.post(
        f"/agent/tickets/{ticket.id}", data={"status": "deleted", "priority": "normal"}
    )
    assert response.status_code == 422
    db_session.refresh(ticket)
    assert ticket.status == "new"


def test_reopening_a_closed_ticket_is_a_form_error(
    client, factory, acme, ana, db_session, now, page_text
):
    ticket = factory.ticket(acme)
    update_ticket(db_session, ticket=ticket, actor=ana, now=now, status="closed")
    login(client, ana)
    response = client.post(
        f"/agent/tickets/{ticket.id}",
        data={"action": "update", "status": "open", "priority": "normal"},
    )
    assert response.status_code == 409
    assert "cannot be reopened" in page_text(response)
    db_session.refresh(ticket)
    assert ticket.status == "closed"


def test_an_agent_takes_a_ticket(client, factory, acme, ana, db_session, page_text):
    ticket = factory.ticket(acme)
    login(client, ana)
    assert "Take it" in page_text(client.get(f"/agent/tickets/{ticket.id}"))
    response = client.post(f"/agent/tickets/{ticket.id}", data={"action": "take"})
    assert response.status_code == 302
    db_session.refresh(ticket)
    assert ticket.assignee_id == ana.id
    page = client.get(f"/agent/tickets/{ticket.id}")
    assert "Ana took the ticket." in page_text(page)
    assert "Take it" not in page_text(page)


def test_the_event_log_names_the_agent_a_ticket_was_assigned_to(
    client, factory, acme, ana, db_session, now, page_text
):
    bo = factory.agent([acme], name="Bo")
    ticket = factory.ticket(acme)
    update_ticket(db_session, ticket=ticket, actor=ana, now=now, assignee_id=bo.id)
    update_ticket(db_session, ticket=ticket, actor=ana, now=now, status="pending")
    login(client, ana)
    text = page_text(client.get(f"/agent/tickets/{ticket.id}"))
    assert "Ana assigned the ticket to Bo." in text
    assert "Ana changed the status from New to Pending." in text


def test_a_post_without_a_known_action_is_a_bad_request(client, factory, acme, ana):
    ticket = factory.ticket(acme)
    login(client, ana)
    assert client.post(f"/agent/tickets/{ticket.id}", data={"nothing": "x"}).status_code == 400
