"""Idempotency-Key on POST /tickets: one ticket per key and caller, even under concurrency."""

import threading

import pytest
from sqlalchemy import func, select

from helpdesk.models import IdempotencyKey, Ticket, User
from helpdesk.services import intake
from tests.api.helpers import assert_error

NEW = {"subject": "VPN down", "body": "Cannot connect.", "requester": {"email": "kei@example.jp"}}


def _count(db_session, model) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(model))


def test_a_repeat_with_the_same_key_returns_the_first_ticket_with_200(client, acme, db_session):
    headers = {**acme.intake, "Idempotency-Key": "order-42"}
    first = client.post("/api/v1/tickets", json=NEW, headers=headers)
    again = client.post("/api/v1/tickets", json=NEW, headers=headers)
    assert first.status_code == 201
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]
    assert again.headers["Location"] == first.headers["Location"]
    assert _count(db_session, Ticket) == 1
    row = db_session.scalar(select(IdempotencyKey))
    assert row.principal == f"client:{acme.client.id}"
    assert row.key == "order-42"
    assert row.ticket_id == first.get_json()["id"]
    assert len(row.request_hash) == 64


def test_defaults_spelled_out_count_as_the_same_request(client, acme):
    headers = {**acme.intake, "Idempotency-Key": "k"}
    first = client.post("/api/v1/tickets", json=NEW, headers=headers)
    again = client.post("/api/v1/tickets", json={**NEW, "priority": "normal"}, headers=headers)
    assert again.status_code == 200
    assert again.get_json()["id"] == first.get_json()["id"]


def test_the_same_key_with_a_different_body_is_409(client, acme, db_session):
    headers = {**acme.intake, "Idempotency-Key": "order-42"}
    client.post("/api/v1/tickets", json=NEW, headers=headers)
    other = client.post("/api/v1/tickets", json={**NEW, "subject": "Other"}, headers=headers)
    assert_error(other, 409, "idempotency_key_reused")
    assert _count(db_session, Ticket) == 1


def test_keys_belong_to_one_caller(client, acme, globex, bearer, db_session):
    key = {"Idempotency-Key": "same"}
    a = client.post("/api/v1/tickets", json=NEW, headers={**acme.intake, **key})
    b = client.post("/api/v1/tickets", json=NEW, headers={**globex.intake, **key})
    mine = {k: v for k, v in NEW.items() if k != "requester"}
    c = client.post("/api/v1/tickets", json=mine, headers={**bearer(acme.customer), **key})
    assert [r.status_code for r in (a, b, c)] == [201, 201, 201]
    assert len({r.get_json()["id"] for r in (a, b, c)}) == 3
    assert b.get_json()["client"] == "globex"
    principals = set(db_session.scalars(select(IdempotencyKey.principal)))
    assert principals == {
        f"client:{acme.client.id}",
        f"client:{globex.client.id}",
        f"user:{acme.customer.id}",
    }


def test_without_a_key_each_request_files_a_ticket(client, acme, db_session):
    client.post("/api/v1/tickets", json=NEW, headers=acme.intake)
    client.post("/api/v1/tickets", json=NEW, headers=acme.intake)
    assert _count(db_session, Ticket) == 2
    assert _count(db_session, User) == 4  # the tenant's three people and one new customer


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "caf\u00e9", "tab\tkey"])
def test_an_invalid_idempotency_key_is_422_and_stores_nothing(client, acme, rows, key):
    before = rows()
    response = client.post(
        "/api/v1/tickets",
        json=NEW,
        headers={**acme.intake, "Idempotency-Key": key.encode("utf-8").decode("latin-1")},
    )
    error = assert_error(response, 422, "validation_error")
    assert "Idempotency-Key" in error["fields"]
    assert rows() == before


def _post_together(app, bodies_and_headers) -> list:
    """Send the requests from one thread each, as close together as possible."""
    start = threading.Barrier(len(bodies_and_headers))
    results: list = [None] * len(bodies_and_headers)

    def send(i, body, headers):
        http = app.test_client()
        start.wait(timeout=10)
        try:
            response = http.post("/api/v1/tickets", json=body, headers=headers)
            results[i] = (response.status_code, response.get_json())
        except Exception as exc:  # reported by the assertions below, not lost in a thread
            results[i] = (None, repr(exc))

    threads = [
        threading.Thread(target=send, args=(i, body, headers))
        for i, (body, headers) in enumerate(bodies_and_headers)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def race(monkeypatch):
    """Hold the first two key lookups until both have missed, so both go on to file."""
    both_missed = threading.Barrier(2)
    lock = threading.Lock()
    waiting = {"n": 0}
    lookup = intake.find_idempotency_key

    def racing_lookup(session, principal_key, key):
        row = lookup(session, principal_key, key)
        with lock:
            waiting["n"] += 1
            hold = waiting["n"] <= 2
        if hold and row is None:
            both_missed.wait(timeout=10)
        return row

    monkeypatch.setattr(intake, "find_idempotency_key", racing_lookup)


def test_two_racing_intakes_with_one_key_create_one_ticket_and_one_customer(
    app, acme, db_session, race
):
    headers = {**acme.intake, "Idempotency-Key": "race-1"}
    results = _post_together(app, [(NEW, headers), (NEW, headers)])
    statuses = sorted(status for status, _ in results)
    assert statuses == [200, 201], results
    assert results[0][1]["id"] == results[1][1]["id"]
    assert _count(db_session, Ticket) == 1
    assert _count(db_session, IdempotencyKey) == 1
    customers = db_session.scalars(select(User).where(User.email == "kei@example.jp")).all()
    assert len(customers) == 1


def test_two_racing_customer_requests_with_one_key_create_one_ticket(
    app, acme, bearer, db_session, race
):
    headers = {**bearer(acme.customer), "Idempotency-Key": "race-2"}
    body = {"subject": "Printer", "body": "Jammed."}
    results = _post_together(app, [(body, headers), (body, headers)])
    assert sorted(status for status, _ in results) == [200, 201], results
    assert results[0][1]["id"] == results[1][1]["id"]
    assert _count(db_session, Ticket) == 1


def test_a_racing_request_with_another_body_gets_409(app, acme, db_session, race):
    headers = {**acme.intake, "Idempotency-Key": "race-3"}
    results = _post_together(app, [(NEW, headers), ({**NEW, "subject": "Else"}, headers)])
    assert sorted(status for status, _ in results) == [201, 409], results
    assert _count(db_session, Ticket) == 1


def test_many_concurrent_repeats_create_exactly_one_ticket(app, acme, db_session):
    headers = {**acme.intake, "Idempotency-Key": "storm"}
    results = _post_together(app, [(NEW, headers)] * 6)
    statuses = sorted(status for status, _ in results)
    assert statuses == [200] * 5 + [201], results
    assert len({body["id"] for _, body in results}) == 1
    assert _count(db_session, Ticket) == 1


def test_racing_intakes_without_a_key_for_one_new_customer_file_two_tickets(app, acme, db_session):
    # Both create the same new customer; the loser retries with the winner's customer.
    results = _post_together(app, [(NEW, acme.intake)] * 2)
    assert [status for status, _ in results] == [201, 201], results
    assert _count(db_session, Ticket) == 2
    customers = db_session.scalars(select(User).where(User.email == "kei@example.jp")).all()
    assert len(customers) == 1
    assert {body["requester"]["id"] for _, body in results} == {customers[0].id}
