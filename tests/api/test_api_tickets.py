"""One ticket through the API: reading its thread, changing it, and adding messages."""

import pytest
from sqlalchemy import select

from helpdesk.models import Message, TicketEvent
from helpdesk.services.tickets import add_message
from tests.api.helpers import assert_error


@pytest.fixture
def ticket(factory, acme):
    """An acme ticket of acme's customer."""
    return factory.ticket(acme.client, acme.customer)


@pytest.fixture
def thread(ticket, acme, db_session, now):
    """A reply by the customer, an internal note and a public reply by the agent."""
    add_message(db_session, ticket=ticket, author=acme.customer, body="Any news?", now=now)
    add_message(
        db_session, ticket=ticket, author=acme.agent, body="Looks like DNS.", now=now, internal=True
    )
    add_message(db_session, ticket=ticket, author=acme.agent, body="On it.", now=now)
    return ticket


def _bodies(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [m["body"] for m in response.get_json()["messages"]]


def test_the_requester_reads_the_ticket_with_its_public_thread(client, acme, thread, bearer):
    response = client.get(f"/api/v1/tickets/{thread.id}", headers=bearer(acme.customer))
    body = response.get_json()
    assert body["id"] == thread.id and body["reference"] == "ACME-1"
    assert _bodies(response) == ["Any news?", "On it."]
    assert body["messages"][0]["author"] == {
        "id": acme.customer.id,
        "name": acme.customer.name,
        "role": "customer",
    }


def test_supervisors_do_not_see_internal_notes_either(client, acme, thread, bearer):
    response = client.get(f"/api/v1/tickets/{thread.id}", headers=bearer(acme.supervisor))
    assert _bodies(response) == ["Any news?", "On it."]


def test_agents_and_admins_see_internal_notes_in_order(client, acme, thread, factory, bearer):
    for user in (acme.agent, factory.admin()):
        response = client.get(f"/api/v1/tickets/{thread.id}", headers=bearer(user))
        assert _bodies(response) == ["Any news?", "Looks like DNS.", "On it."]
        assert [m["internal"] for m in response.get_json()["messages"]] == [False, True, False]


def test_another_customer_of_the_same_client_gets_404(client, acme, ticket, factory, bearer):
    stranger = factory.customer(acme.client)
    assert_error(
        client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(stranger)), 404, "not_found"
    )


@pytest.mark.parametrize(
    "raw",
    [
        "0",
        "-1",
        "00",
        "007",
        str(2**31),
        str(2**63),
        "99999999999999999999",
        "abc",
        "1.5",
        "1e3",
        " 1",
    ],
)
def test_absurd_ticket_ids_are_404_on_every_method(client, acme, ticket, bearer, raw):
    headers = bearer(acme.agent)
    assert_error(client.get(f"/api/v1/tickets/{raw}", headers=headers), 404, "not_found")
    assert_error(
        client.patch(f"/api/v1/tickets/{raw}", json={"status": "open"}, headers=headers),
        404,
        "not_found",
    )
    assert_error(
        client.post(f"/api/v1/tickets/{raw}/messages", json={"body": "x"}, headers=headers),
        404,
        "not_found",
    )


def test_the_largest_possible_id_is_simply_not_found(client, acme, bearer):
    response = client.get(f"/api/v1/tickets/{2**31 - 1}", headers=bearer(acme.agent))
    assert_error(response, 404, "not_found")


def test_an_agent_changes_status_priority_and_assignee(
    client, acme, ticket, factory, bearer, db_session
):
    colleague = factory.agent([acme.client])
    response = client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"status": "pending", "priority": "urgent", "assignee_id": colleague.id},
        headers=bearer(acme.agent),
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "pending" and body["priority"] == "urgent"
    assert body["assignee"]["id"] == colleague.id
    kinds = set(db_session.scalars(select(TicketEvent.kind)))
    assert {"status_changed", "priority_changed", "assigned"} <= kinds


def test_absent_fields_stay_and_null_unassigns(client, acme, ticket, bearer, db_session):
    ticket.assignee = acme.agent
    ticket.priority = "high"
    db_session.commit()
    response = client.patch(
        f"/api/v1/tickets/{ticket.id}", json={"assignee_id": None}, headers=bearer(acme.agent)
    )
    body = response.get_json()
    assert body["assignee"] is None
    assert body["priority"] == "high" and body["status"] == "new"


def test_an_admin_may_change_a_ticket(client, acme, ticket, factory, bearer):
    response = client.patch(
        f"/api/v1/tickets/{ticket.id}", json={"priority": "low"}, headers=bearer(factory.admin())
    )
    assert response.status_code == 200 and response.get_json()["priority"] == "low"


@pytest.mark.parametrize("role", ["customer", "supervisor"])
def test_people_who_see_a_ticket_but_do_not_work_it_get_403_on_patch(
    client, acme, ticket, bearer, rows, role
):
    headers = bearer(getattr(acme, role))
    before = rows()
    response = client.patch(
        f"/api/v1/tickets/{ticket.id}", json={"status": "solved"}, headers=headers
    )
    assert_error(response, 403, "forbidden")
    assert rows() == before


@pytest.mark.parametrize(
    "change, field",
    [
        ({"status": "done"}, "status"),
        ({"status": None}, "status"),
        ({"priority": "URGENT"}, "priority"),
        ({"assignee_id": "2"}, "assignee_id"),
        ({"assignee_id": True}, "assignee_id"),
        ({"assignee_id": 0}, "assignee_id"),
        ({"assignee_id": 2**31}, "assignee_id"),
        ({"assignee_id": 2**63}, "assignee_id"),
        ({"assignee": 1}, "assignee"),
    ],
)
def test_bad_changes_are_422_and_change_nothing(
    client, acme, ticket, bearer, rows, db_session, change, field
):
    headers = bearer(acme.agent)
    before = rows()
    response = client.patch(
        f"/api/v1/tickets/{ticket.id}", json={"priority": "urgent", **change}, headers=headers
    )
    error = assert_error(response, 422, "validation_error")
    assert field in error["fields"]
    assert rows() == before
    db_session.refresh(ticket)
    assert (ticket.status, ticket.priority, ticket.assignee_id) == ("new", "normal", None)


def test_an_empty_change_is_422(client, acme, ticket, bearer):
    response = client.patch(f"/api/v1/tickets/{ticket.id}", json={}, headers=bearer(acme.agent))
    assert_error(response, 422, "validation_error")


def test_assigning_an_agent_who_does_not_serve_the_client_is_422(
    client, acme, globex, ticket, bearer
):
    response = client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"assignee_id": globex.agent.id},
        headers=bearer(acme.agent),
    )
    error = assert_error(response, 422, "validation_error")
    assert "assignee_id" in error["fields"]


def test_the_requester_replies_and_gets_201(client, acme, ticket, bearer):
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        json={"body": "Still broken."},
        headers=bearer(acme.customer),
    )
    assert response.status_code == 201
    message = response.get_json()
    assert message["body"] == "Still broken."
    assert message["internal"] is False and message["channel"] == "api"
    assert message["author"]["id"] == acme.customer.id


def test_an_agent_adds_an_internal_note_the_customer_never_sees(client, acme, ticket, bearer):
    note = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        json={"body": "Escalate to network team.", "internal": True},
        headers=bearer(acme.agent),
    )
    assert note.status_code == 201 and note.get_json()["internal"] is True
    seen = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(acme.customer))
    assert _bodies(seen) == []


def test_a_customer_may_not_write_internal_notes(client, acme, ticket, bearer, rows):
    headers = bearer(acme.customer)
    before = rows()
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        json={"body": "psst", "internal": True},
        headers=headers,
    )
    assert_error(response, 403, "forbidden")
    assert rows() == before


def test_a_supervisor_may_read_but_not_reply(client, acme, ticket, bearer):
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages",
        json={"body": "Hi"},
        headers=bearer(acme.supervisor),
    )
    assert_error(response, 403, "forbidden")


def test_a_repeated_client_msg_id_returns_the_stored_message_with_200(
    client, acme, ticket, bearer, db_session
):
    headers = bearer(acme.customer)
    url = f"/api/v1/tickets/{ticket.id}/messages"
    first = client.post(url, json={"body": "Hello", "client_msg_id": "m-1"}, headers=headers)
    again = client.post(url, json={"body": "Hello", "client_msg_id": "m-1"}, headers=headers)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.get_json()["client_msg_id"] == "m-1"
    assert len(db_session.scalars(select(Message)).all()) == 1


def test_a_closed_ticket_takes_no_messages(client, acme, ticket, bearer, db_session):
    ticket.status = "closed"
    db_session.commit()
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/messages", json={"body": "Hi"}, headers=bearer(acme.customer)
    )
    assert_error(response, 409, "ticket_closed")


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "body"),
        ({"body": "   "}, "body"),
        ({"body": 5}, "body"),
        ({"body": "x" * 20_001}, "body"),
        ({"body": "hi", "internal": "yes"}, "internal"),
        ({"body": "hi", "client_msg_id": ""}, "client_msg_id"),
        ({"body": "hi", "client_msg_id": "x" * 65}, "client_msg_id"),
        ({"body": "hi", "author_id": 1}, "author_id"),
    ],
)
def test_bad_messages_are_422_and_store_nothing(client, acme, ticket, bearer, rows, payload, field):
    headers = bearer(acme.customer)
    before = rows()
    response = client.post(f"/api/v1/tickets/{ticket.id}/messages", json=payload, headers=headers)
    error = assert_error(response, 422, "validation_error")
    assert field in error["fields"]
    assert rows() == before
