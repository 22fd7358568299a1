"""Staff sign-in, role guards, CSRF, cookies, the layout and the error page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from helpdesk.models import Message
from tests.conftest import login


def test_the_staff_sign_in_page_has_the_form(client, acme):
    response = client.get("/login")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'name="email"' in html
    assert 'name="password"' in html


def test_an_agent_signs_in_and_lands_on_the_queue(client, ana):
    assert login(client, ana).headers["Location"] == "/agent/"
    assert client.get("/agent/").status_code == 200


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.test/",
        "//evil.test/",
        "/\\evil.test/",
        "/\\/evil.test",
        "/\t/evil.test",
        "/\n/evil.test",
    ],
)
def test_the_staff_sign_in_never_redirects_off_the_site(client, ana, target):
    response = client.post(
        "/login", query_string={"next": target}, data={"email": ana.email, "password": "pw"}
    )
    assert response.headers["Location"] == "/agent/"


def test_the_staff_sign_in_returns_to_a_local_page(client, ana):
    response = client.post(
        "/login",
        query_string={"next": "/agent/coverage"},
        data={"email": ana.email, "password": "pw"},
    )
    assert response.headers["Location"] == "/agent/coverage"


def test_a_supervisor_signs_in_and_lands_on_the_ticket_overview(client, sam):
    assert login(client, sam).headers["Location"] == "/supervisor/"


def test_staff_sign_in_failure_reads_the_same_for_an_unknown_email_and_a_wrong_password(
    client, ana, page_text
):
    wrong_password = client.post("/login", data={"email": ana.email, "password": "nope"})
    unknown_email = client.post("/login", data={"email": "x@example.test", "password": "nope"})
    assert wrong_password.status_code == unknown_email.status_code
    assert "Wrong e-mail or password." in page_text(wrong_password)
    assert page_text(wrong_password) == page_text(unknown_email)


def test_a_customer_cannot_sign_in_as_staff(client, kei, page_text):
    response = client.post("/login", data={"email": kei.email, "password": "pw"})
    assert "Wrong e-mail or password." in page_text(response)


@pytest.mark.parametrize(
    "path", ["/agent/", "/agent/tickets/1", "/supervisor/", "/supervisor/tickets/1"]
)
def test_anonymous_users_are_sent_to_the_staff_sign_in(client, acme, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_a_customer_cannot_open_the_agent_queue(client, kei):
    login(client, kei)
    assert client.get("/agent/").status_code == 404
    assert client.get("/supervisor/").status_code == 404


def test_an_agent_cannot_open_the_supervisor_pages(client, ana):
    login(client, ana)
    assert client.get("/supervisor/").status_code == 404


def test_a_supervisor_cannot_open_the_agent_pages(client, factory, acme, sam):
    ticket = factory.ticket(acme)
    login(client, sam)
    assert client.get("/agent/").status_code == 404
    assert client.get(f"/agent/tickets/{ticket.id}").status_code == 404


def test_staff_sign_out_is_a_post_form_with_a_csrf_token(client, ana):
    login(client, ana)
    html = client.get("/agent/").get_data(as_text=True)
    form = re.search(r'<form[^>]*action="/logout"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'method="post"' in form.group(0)
    assert 'name="csrf_token"' in form.group(1)
    client.post("/logout")
    assert client.get("/agent/").status_code == 302


def test_the_layout_is_accessible_and_has_no_inline_script(client, acme):
    html = client.get("/c/acme/").get_data(as_text=True)
    assert re.search(r'<html lang="en" dir="ltr">', html)
    assert 'class="skip-link" href="#main"' in html
    assert '<main id="main"' in html
    assert "<header" in html and "<nav" in html
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attrs and not body.strip() for attrs, body in scripts)
    assert not re.search(r"\son[a-z]+=", html)  # no inline event handlers either


def test_the_error_page_uses_the_layout_with_a_way_home(client, page_text):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "404" in page_text(response)
    assert 'href="/"' in response.get_data(as_text=True)


def test_a_portal_error_page_leads_back_to_the_portal(client, kei, page_text):
    login(client, kei)
    response = client.get("/c/acme/tickets/999999")
    assert response.status_code == 404
    assert 'href="/c/acme/"' in response.get_data(as_text=True)
    assert "Acme Corp" in page_text(response)


@pytest.fixture
def csrf_enabled(app, monkeypatch):
    """The app with CSRF protection on, as in production (TestConfig turns it off)."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    return app


def csrf_token_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_csrf_is_enforced_on_portal_forms_when_enabled(
    client, csrf_enabled, factory, acme, kei, db_session
):
    ticket = factory.ticket(acme, kei)
    page = client.get("/c/acme/login").get_data(as_text=True)
    response = client.post(
        "/c/acme/login",
        data={"email": kei.email, "password": "pw", "csrf_token": csrf_token_of(page)},
    )
    assert response.status_code == 302
    forged = client.post(f"/c/acme/tickets/{ticket.id}", data={"body": "forged"})
    assert forged.status_code == 400
    assert db_session.scalar(select(func.count(Message.id))) == 0
    page = client.get(f"/c/acme/tickets/{ticket.id}").get_data(as_text=True)
    genuine = client.post(
        f"/c/acme/tickets/{ticket.id}", data={"body": "real", "csrf_token": csrf_token_of(page)}
    )
    assert genuine.status_code == 302


def test_csrf_is_enforced_on_staff_sign_in_when_enabled(client, csrf_enabled, ana):
    response = client.post("/login", data={"email": ana.email, "password": "pw"})
    assert response.status_code == 400


def test_the_session_cookie_is_http_only_and_same_site_lax(client, kei):
    response = login(client, kei)
    cookie = next(
        value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
