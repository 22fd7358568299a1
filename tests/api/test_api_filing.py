"""Filing tickets through the API: by a client's intake token or by a customer's token."""

import pytest
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import Ticket, TicketEvent, User
from helpdesk.notify import publish
from tests.api.helpers import assert_error

NEW = {"subject": "VPN down", "body": "Cannot connect since 9:00."}


def test_an_intake_token_files_a_ticket_for_a_new_customer(client, acme, db_session):
    response = client.post(
        "/api/v1/tickets",
        json={**NEW, "requester": {"email": "Kei@Example.JP", "name": "Kei"}},
        headers=acme.intake,
    )
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["reference"] == "ACME-1"
    assert ticket["client"] == "acme"
    assert ticket["channel"] == "api"
    assert ticket["status"] == "new"
    assert ticket["priority"] == "normal"
    assert ticket["locale"] == "en"
    assert ticket["requester"]["email"] == "kei@example.jp"
    assert ticket["requester"]["name"] == "Kei"
    assert response.headers["Location"] == f"/api/v1/tickets/{ticket['id']}"
    customer = db_session.scalar(select(User).where(User.email == "kei@example.jp"))
    assert customer.role == "customer"
    assert customer.realm == acme.client.id and customer.client_id == acme.client.id
    assert customer.password_hash is None
    events = db_session.scalars(select(TicketEvent.kind)).all()
    assert events == ["created", "routed"]


def test_an_intake_token_reuses_the_customer_with_that_email(client, acme, factory):
    known = factory.customer(acme.client, email="kei@example.jp", name="Kei Known")
    response = client.post(
        "/api/v1/tickets",
        json={**NEW, "requester": {"email": "KEI@example.jp", "name": "Someone Else"}},
        headers=acme.intake,
    )
    assert response.status_code == 201
    assert response.get_json()["requester"] == {
        "id": known.id,
        "email": "kei@example.jp",
        "name": "Kei Known",
    }


def test_a_customer_of_another_client_with_the_same_email_is_not_reused(
    client, acme, globex, factory
):
    other = factory.customer(globex.client, email="kei@example.jp")
    response = client.post(
        "/api/v1/tickets",
        json={**NEW, "requester": {"email": "kei@example.jp"}},
        headers=acme.intake,
    )
    assert response.status_code == 201
    requester = response.get_json()["requester"]
    assert requester["id"] != other.id
    assert requester["name"] == "kei"


def test_a_new_customer_without_a_name_is_named_after_the_email(client, acme):
    response = client.post(
        "/api/v1/tickets",
        json={**NEW, "requester": {"email": "ana.silva@example.com", "name": "  "}},
        headers=acme.intake,
    )
    assert response.get_json()["requester"]["name"] == "ana.silva"


def test_the_locale_defaults_to_the_clients_and_accepts_bcp47(client, factory):
    factory.client("tokyo", default_locale="ja")
    intake = {"Authorization": "Bearer tokyo-intake-token"}
    plain = client.post(
        "/api/v1/tickets", json={**NEW, "requester": {"email": "a@example.com"}}, headers=intake
    )
    assert plain.get_json()["locale"] == "ja"
    tagged = client.post(
        "/api/v1/tickets",
        json={**NEW, "locale": "pt-BR", "requester": {"email": "b@example.com"}},
        headers=intake,
    )
    assert tagged.status_code == 201
    assert tagged.get_json()["locale"] == "pt_BR"
    assert tagged.get_json()["reference"] == "TOKYO-2"


def test_an_unknown_locale_is_422_and_creates_no_customer(client, acme, rows):
    before = rows()
    response = client.post(
        "/api/v1/tickets",
        json={**NEW, "locale": "xx-Nowhere", "requester": {"email": "new@example.com"}},
        headers=acme.intake,
    )
    error = assert_error(response, 422, "validation_error")
    assert "locale" in error["fields"]
    assert rows() == before


def test_an_intake_request_without_a_requester_is_422(client, acme):
    error = assert_error(
        client.post("/api/v1/tickets", json=NEW, headers=acme.intake), 422, "validation_error"
    )
    assert "requester" in error["fields"]


@pytest.mark.parametrize(
    "email", ["not-an-email", "kei@", "Kei <kei@example.jp>", "a@b", "x" * 250 + "@example.com"]
)
def test_an_invalid_requester_email_is_422(client, acme, rows, email):
    before = rows()
    response = client.post(
        "/api/v1/tickets", json={**NEW, "requester": {"email": email}}, headers=acme.intake
    )
    error = assert_error(response, 422, "validation_error")
    assert "requester.email" in error["fields"]
    assert rows() == before


def test_a_disabled_customer_cannot_be_filed_for(client, acme, factory, rows):
    factory.customer(acme.client, email="gone@example.com", active=False)
    before = rows()
    response = client.post(
        "/api/v1/tickets",
        json={**NEW, "requester": {"email": "gone@example.com"}},
        headers=acme.intake,
    )
    assert_error(response, 403, "forbidden")
    assert rows() == before


def test_a_customer_token_files_a_ticket_as_the_customer(client, acme, bearer):
    response = client.post(
        "/api/v1/tickets",
        json={**NEW, "priority": "high", "category": "billing"},
        headers=bearer(acme.customer),
    )
    assert response.status_code == 201
    ticket = response.get_json()
    assert ticket["requester"]["id"] == acme.customer.id
    assert ticket["client"] == "acme"
    assert ticket["priority"] == "high"
    assert ticket["category"] == "billing"
    assert ticket["channel"] == "api"


def test_a_customers_own_locale_is_the_default_for_their_tickets(client, acme, bearer, db_session):
    acme.customer.locale = "ja"
    db_session.commit()
    response = client.post("/api/v1/tickets", json=NEW, headers=bearer(acme.customer))
    assert response.get_json()["locale"] == "ja"


def test_a_customer_may_not_name_another_requester(client, acme, bearer, rows):
    headers = bearer(acme.customer)
    before = rows()
    response = client.post(
        "/api/v1/tickets",
        json={**NEW, "requester": {"email": "victim@example.com"}},
        headers=headers,
    )
    error = assert_error(response, 422, "validation_error")
    assert "requester" in error["fields"]
    assert rows() == before


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_staff_and_supervisors_do_not_file_tickets_through_the_api(client, acme, bearer, role):
    response = client.post("/api/v1/tickets", json=NEW, headers=bearer(getattr(acme, role)))
    assert_error(response, 403, "forbidden")


def test_filing_tells_connected_agents_after_the_commit(client, acme, monkeypatch):
    heard = []

    def spy(ticket, why, ticket_data=None):
        # Another connection sees the ticket: it is committed before anyone hears of it.
        with db.engine.connect() as conn:
            stored = conn.scalar(select(Ticket.id).where(Ticket.id == ticket.id))
        heard.append((stored == ticket.id, why))

    monkeypatch.setattr(publish, "ticket_changed", spy)
    client.post(
        "/api/v1/tickets",
        json={**NEW, "requester": {"email": "a@example.com"}},
        headers=acme.intake,
    )
    assert heard == [(True, "created")]
