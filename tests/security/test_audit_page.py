"""The audit page: admins read every event; a supervisor reads their own client's only, and
another client's log answers 404."""

from __future__ import annotations

import pytest

from helpdesk.services import audit
from tests.conftest import login


@pytest.fixture
def logged(factory, db_session, now):
    """Events about acme, about globex, and a failed sign-in about no client."""
    acme, globex = factory.client("acme", name="Acme"), factory.client("globex", name="Globex")
    sam, gus = factory.supervisor(acme), factory.supervisor(globex)
    audit.record(db_session, "export", actor=sam, now=now, data={"what": "acme-marker.csv"})
    audit.record(db_session, "login", actor=gus, now=now, ip="198.51.100.77")
    audit.record(db_session, "login_failed", now=now, data={"email": "nobody-marker@x.test"})
    db_session.commit()
    return acme, globex, sam, gus


def test_an_admin_sees_every_event(client, factory, logged):
    login(client, factory.admin())
    page = client.get("/supervisor/audit").get_data(as_text=True)
    assert "acme-marker.csv" in page
    assert "198.51.100.77" in page
    assert "nobody-marker@x.test" in page


def test_an_admin_filters_by_client_and_kind(client, factory, logged):
    login(client, factory.admin())
    page = client.get("/supervisor/audit?client=globex").get_data(as_text=True)
    assert "198.51.100.77" in page and "acme-marker.csv" not in page
    page = client.get("/supervisor/audit?kind=login_failed").get_data(as_text=True)
    assert "nobody-marker@x.test" in page and "198.51.100.77" not in page


def test_a_supervisor_sees_only_their_clients_events(client, logged):
    _acme, _globex, sam, _gus = logged
    login(client, sam)
    response = client.get("/supervisor/audit")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "acme-marker.csv" in page
    assert "198.51.100.77" not in page  # globex's
    assert "nobody-marker@x.test" not in page  # about no client: admins only


def test_a_supervisor_asking_for_another_clients_log_gets_404(client, logged):
    _acme, _globex, sam, _gus = logged
    login(client, sam)
    response = client.get("/supervisor/audit?client=globex")
    assert response.status_code == 404
    assert "198.51.100.77" not in response.get_data(as_text=True)


def test_agents_customers_and_visitors_cannot_read_the_log(client, factory, logged):
    acme = logged[0]
    assert client.get("/supervisor/audit").status_code == 302  # to sign-in
    login(client, factory.agent([acme]))
    assert client.get("/supervisor/audit").status_code == 404
    client.post("/logout")
    login(client, factory.customer(acme))
    assert client.get("/supervisor/audit").status_code == 404


def test_the_page_only_reads(client, factory, logged):
    login(client, factory.admin())
    assert client.post("/supervisor/audit").status_code == 405
