"""Tenant isolation: nobody of client B learns anything about client A's tickets."""

import pytest

from tests.api.helpers import assert_error


@pytest.fixture
def acme_ticket(factory, acme):
    """A ticket of client A."""
    return factory.ticket(acme.client, acme.customer)


@pytest.mark.parametrize("role", ["customer", "supervisor", "agent"])
def test_people_of_another_client_get_404_for_a_ticket_of_client_a(
    client, acme_ticket, globex, bearer, rows, role
):
    headers = bearer(getattr(globex, role))
    url = f"/api/v1/tickets/{acme_ticket.id}"
    before = rows()
    assert_error(client.get(url, headers=headers), 404, "not_found")
    assert_error(client.patch(url, json={"status": "solved"}, headers=headers), 404, "not_found")
    assert_error(
        client.post(f"{url}/messages", json={"body": "hello"}, headers=headers), 404, "not_found"
    )
    assert rows() == before


@pytest.mark.parametrize("role", ["customer", "supervisor", "agent"])
def test_their_404_reads_exactly_like_a_missing_ticket(client, acme_ticket, globex, bearer, role):
    headers = bearer(getattr(globex, role))
    hidden = client.get(f"/api/v1/tickets/{acme_ticket.id}", headers=headers)
    missing = client.get(f"/api/v1/tickets/{acme_ticket.id + 1000}", headers=headers)
    assert hidden.get_json() == missing.get_json()


@pytest.mark.parametrize("role", ["customer", "supervisor", "agent"])
def test_lists_never_include_another_clients_tickets(
    client, acme, acme_ticket, globex, factory, bearer, role
):
    own = factory.ticket(globex.client, globex.customer)
    headers = bearer(getattr(globex, role))
    for query in ("", "?status=new", "?per_page=200"):
        body = client.get(f"/api/v1/tickets{query}", headers=headers).get_json()
        assert [t["id"] for t in body["items"]] == [own.id]
        assert body["total"] == 1


def test_an_agent_who_stops_serving_a_client_loses_its_tickets(
    client, acme, acme_ticket, bearer, db_session
):
    headers = bearer(acme.agent)
    assert client.get(f"/api/v1/tickets/{acme_ticket.id}", headers=headers).status_code == 200
    acme.agent.served_clients = []
    db_session.commit()
    assert_error(client.get(f"/api/v1/tickets/{acme_ticket.id}", headers=headers), 404)
    assert client.get("/api/v1/tickets", headers=headers).get_json()["total"] == 0


def test_an_intake_token_files_only_for_its_own_client(client, acme, globex, factory):
    acme_kei = factory.customer(acme.client, email="kei@example.jp")
    response = client.post(
        "/api/v1/tickets",
        json={"subject": "s", "body": "b", "requester": {"email": "kei@example.jp"}},
        headers=globex.intake,
    )
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["client"] == "globex" and ticket["reference"] == "GLOBEX-1"
    assert ticket["requester"]["id"] != acme_kei.id


def test_a_new_customer_of_one_client_is_invisible_to_another(client, acme, globex, bearer):
    filed = client.post(
        "/api/v1/tickets",
        json={"subject": "s", "body": "b", "requester": {"email": "kei@example.jp"}},
        headers=acme.intake,
    ).get_json()
    for user in (globex.customer, globex.supervisor, globex.agent):
        response = client.get(f"/api/v1/tickets/{filed['id']}", headers=bearer(user))
        assert_error(response, 404, "not_found")
