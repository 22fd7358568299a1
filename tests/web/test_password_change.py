"""Changing one's password on the settings page: portal customers and staff alike."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.models import AuditEvent, User
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

NEW = {"current": "pw", "password": "a better one", "confirm": "a better one"}


def password_of(session, user: User, password: str) -> bool:
    session.expire_all()
    return session.get(User, user.id).check_password(password)


def test_a_customer_changes_the_password_and_stays_signed_in_here_only(
    app, client, acme, kei, db_session, page_text
):
    elsewhere = app.test_client()
    login(client, kei)
    login(elsewhere, kei)
    settings = client.get("/c/acme/settings")
    assert "Change password" in page_text(settings)
    assert 'action="/c/acme/settings/password"' in settings.get_data(as_text=True)
    done = client.post("/c/acme/settings/password", data=NEW)
    assert done.status_code == 302 and done.location.endswith("/c/acme/settings")
    assert "Every other session is signed out." in page_text(client.get("/c/acme/settings"))
    assert client.get("/c/acme/tickets").status_code == 200
    assert elsewhere.get("/c/acme/tickets").status_code == 302
    assert password_of(db_session, kei, "a better one")
    [event] = db_session.scalars(select(AuditEvent).where(AuditEvent.kind == "password_set"))
    assert event.actor_id == kei.id and event.data == {"realm": "portal", "via": "settings"}


def test_a_wrong_current_password_changes_nothing(client, acme, kei, db_session, page_text):
    login(client, kei)
    refused = client.post("/c/acme/settings/password", data={**NEW, "current": "guess"})
    assert refused.status_code == 422
    assert "That is not your current password." in page_text(refused)
    assert password_of(db_session, kei, "pw")
    assert client.get("/c/acme/tickets").status_code == 200  # still signed in


def test_the_new_password_must_be_typed_twice_alike(client, acme, kei, db_session, page_text):
    login(client, kei)
    refused = client.post("/c/acme/settings/password", data={**NEW, "confirm": "a better on"})
    assert refused.status_code == 422
    assert "The two passwords are not the same." in page_text(refused)
    assert password_of(db_session, kei, "pw")


def test_signed_out_visitors_are_sent_to_sign_in(client, acme):
    response = client.post("/c/acme/settings/password", data=NEW)
    assert response.status_code == 302 and "/c/acme/login" in response.location


def test_an_agent_changes_the_password_in_the_staff_settings(client, ana, db_session):
    login(client, ana)
    done = client.post("/settings/password", data=NEW)
    assert done.status_code == 302 and done.location.endswith("/settings")
    assert client.get("/agent/").status_code == 200
    assert password_of(db_session, ana, "a better one")


def test_a_customer_has_no_staff_password_page(client, acme, kei):
    login(client, kei)
    assert client.post("/settings/password", data=NEW).status_code == 404
