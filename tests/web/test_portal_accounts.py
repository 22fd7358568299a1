"""Portal home, customer registration, sign-in and sign-out, per client."""

from __future__ import annotations

from sqlalchemy import select

from helpdesk.models import User
from tests.conftest import login


def test_the_portal_home_shows_the_client_name_and_the_ways_in(client, acme, page_text):
    response = client.get("/c/acme/")
    assert response.status_code == 200
    text = page_text(response)
    assert "Acme Corp" in text
    html = response.get_data(as_text=True)
    for href in ("/c/acme/login", "/c/acme/register", "/c/acme/tickets/new"):
        assert f'href="{href}"' in html


def test_an_unknown_client_slug_answers_404(client, acme):
    assert client.get("/c/nope/").status_code == 404
    assert client.get("/c/nope/login").status_code == 404


def test_a_visitor_registers_a_customer_account_of_that_client_to_be_confirmed(
    client, acme, db_session
):
    response = client.post(
        "/c/acme/register",
        data={"name": "Kei Tanaka", "email": "  Kei@Example.TEST ", "password": "long enough"},
    )
    assert response.status_code == 302
    user = db_session.scalar(select(User).where(User.email == "kei@example.test"))
    assert (user.role, user.realm, user.client_id, user.name) == (
        "customer",
        acme.id,
        acme.id,
        "Kei Tanaka",
    )
    assert user.email_confirmed_at is None  # tests/web/test_portal_confirmation.py goes on
    assert client.get("/c/acme/tickets").status_code == 302


def test_registration_with_a_short_password_is_refused_and_stores_nothing(
    client, acme, db_session, page_text
):
    response = client.post(
        "/c/acme/register", data={"name": "Kei", "email": "kei@example.test", "password": "short"}
    )
    assert response.status_code == 422
    assert "Use at least 8" in page_text(response)
    assert db_session.scalar(select(User).where(User.email == "kei@example.test")) is None


def test_registration_with_an_invalid_email_is_a_form_error(client, acme, db_session, page_text):
    response = client.post(
        "/c/acme/register", data={"name": "Kei", "email": "kei@", "password": "long enough"}
    )
    assert response.status_code == 422
    assert "Enter a valid e-mail address." in page_text(response)
    assert db_session.scalars(select(User)).all() == []


def test_registration_without_a_name_is_a_form_error(client, acme, db_session):
    response = client.post(
        "/c/acme/register", data={"name": "  ", "email": "kei@example.test", "password": "long1234"}
    )
    assert response.status_code == 422
    assert db_session.scalars(select(User)).all() == []


def test_registering_an_email_already_used_with_this_client_is_a_form_error(
    client, acme, kei, db_session, page_text
):
    response = client.post(
        "/c/acme/register",
        data={"name": "Other", "email": "KEI@example.test", "password": "long enough"},
    )
    assert response.status_code == 422
    assert "already exists here" in page_text(response)
    assert len(db_session.scalars(select(User).where(User.email == kei.email)).all()) == 1


def test_an_email_used_with_another_client_registers_freely_here(
    client, acme, globex, kei, db_session
):
    response = client.post(
        "/c/globex/register",
        data={"name": "Kei at Globex", "email": kei.email, "password": "long enough"},
    )
    assert response.status_code == 302
    realms = {u.realm for u in db_session.scalars(select(User).where(User.email == kei.email))}
    assert realms == {acme.id, globex.id}


def test_a_customer_signs_in_and_out_of_the_portal(client, kei):
    response = login(client, kei)
    assert response.headers["Location"] == "/c/acme/tickets"
    assert client.get("/c/acme/tickets").status_code == 200
    response = client.post("/c/acme/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/c/acme/"
    assert client.get("/c/acme/tickets").status_code == 302


def test_portal_sign_in_failure_reads_the_same_for_an_unknown_email_and_a_wrong_password(
    client, kei, page_text
):
    wrong_password = client.post("/c/acme/login", data={"email": kei.email, "password": "nope"})
    unknown_email = client.post(
        "/c/acme/login", data={"email": "nobody@example.test", "password": "nope"}
    )
    assert wrong_password.status_code == unknown_email.status_code == 200
    assert "Wrong e-mail or password." in page_text(wrong_password)
    assert page_text(wrong_password) == page_text(unknown_email)


def test_a_customer_cannot_sign_in_on_another_clients_portal(client, kei, globex, page_text):
    response = client.post("/c/globex/login", data={"email": kei.email, "password": "pw"})
    assert response.status_code == 200
    assert "Wrong e-mail or password." in page_text(response)
    assert client.get("/c/globex/tickets").status_code == 302


def test_staff_cannot_sign_in_on_a_portal(client, acme, ana, page_text):
    response = client.post("/c/acme/login", data={"email": ana.email, "password": "pw"})
    assert "Wrong e-mail or password." in page_text(response)


def test_a_customer_of_one_client_counts_as_signed_out_on_another_clients_portal(
    client, kei, globex, page_text
):
    login(client, kei)
    response = client.get("/c/globex/")
    assert "Kei" not in page_text(response)
    assert 'href="/c/globex/login"' in response.get_data(as_text=True)
    response = client.get("/c/globex/tickets")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/c/globex/login")


def test_the_sign_in_redirect_only_follows_local_paths(client, kei):
    response = client.post(
        "/c/acme/login?next=https://evil.test/", data={"email": kei.email, "password": "pw"}
    )
    assert response.headers["Location"] == "/c/acme/tickets"


def test_sign_in_returns_to_the_page_that_asked_for_it(client, kei):
    response = client.get("/c/acme/tickets/new")
    assert response.headers["Location"] == "/c/acme/login?next=/c/acme/tickets/new"
    response = client.post(
        response.headers["Location"], data={"email": kei.email, "password": "pw"}
    )
    assert response.headers["Location"] == "/c/acme/tickets/new"
