"""Every signed-in user sets their language and time zone; the switcher remembers a choice."""

from __future__ import annotations

import pytest

from helpdesk.i18n import LOCALE_COOKIE
from tests.conftest import login


def test_a_customer_saves_language_and_zone_in_their_portal(client, acme, kei, db_session):
    login(client, kei)
    page = client.get("/c/acme/settings")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert '<optgroup label="Europe">' in text
    assert 'value="Asia/Tokyo"' in text
    assert '<option lang="de" value="de">Deutsch</option>' in text

    response = client.post("/c/acme/settings", data={"locale": "de", "timezone": "Asia/Tokyo"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/c/acme/settings"
    db_session.refresh(kei)
    assert (kei.locale, kei.timezone) == ("de", "Asia/Tokyo")
    after = client.get("/c/acme/settings").get_data(as_text=True)
    assert '<html lang="de"' in after
    assert "Asia/Tokyo" in after


def test_staff_have_their_settings_at_slash_settings(client, ana, db_session):
    login(client, ana)
    assert client.get("/settings").status_code == 200
    response = client.post("/settings", data={"locale": "pt_BR", "timezone": "America/Sao_Paulo"})
    assert response.status_code == 302
    db_session.refresh(ana)
    assert (ana.locale, ana.timezone) == ("pt_BR", "America/Sao_Paulo")


@pytest.mark.parametrize(
    "data",
    [
        {"locale": "de", "timezone": "Mars/Olympus_Mons"},
        {"locale": "de", "timezone": ""},
        {"locale": "xx", "timezone": "UTC"},
        {"locale": "de", "timezone": "Europe/Berlin" * 10},
    ],
)
def test_an_unknown_zone_or_language_is_a_form_error_and_stores_nothing(
    client, acme, kei, db_session, data
):
    login(client, kei)
    response = client.post("/c/acme/settings", data=data)
    assert response.status_code == 422
    assert "field-errors" in response.get_data(as_text=True)
    db_session.refresh(kei)
    assert (kei.locale, kei.timezone) == (None, None)


def test_a_bad_zone_is_named_once_in_our_words(client, acme, kei):
    login(client, kei)
    response = client.post("/c/acme/settings", data={"locale": "en", "timezone": "Bad/Zone"})
    page = response.get_data(as_text=True)
    assert page.count("Choose a time zone from the list.") == 1
    assert "Not a valid choice" not in page


def test_signed_out_visitors_are_sent_to_sign_in(client, acme):
    assert client.get("/settings").headers["Location"].startswith("/login")
    assert client.get("/c/acme/settings").headers["Location"].startswith("/c/acme/login")


def test_a_customer_of_another_client_has_no_settings_in_this_portal(client, acme, factory):
    other = factory.client("globex")
    stranger = factory.customer(other)
    login(client, stranger)
    response = client.get("/c/acme/settings")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/c/acme/login")


def test_customers_have_no_staff_settings_page(client, kei):
    login(client, kei)
    assert client.get("/settings").status_code == 404


def test_the_switcher_sets_the_cookie_and_goes_back(client, acme):
    response = client.post("/language", data={"locale": "ja", "next": "/c/acme/?x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/c/acme/?x=1"
    cookie = client.get_cookie(LOCALE_COOKIE)
    assert cookie.value == "ja"
    assert '<html lang="ja"' in client.get("/c/acme/").get_data(as_text=True)


def test_the_switcher_saves_the_choice_of_a_signed_in_user(client, acme, kei, db_session):
    login(client, kei)
    client.post("/language", data={"locale": "ar", "next": "/c/acme/tickets"})
    db_session.refresh(kei)
    assert kei.locale == "ar"


@pytest.mark.parametrize(
    "target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "javascript:x", ""]
)
def test_the_switcher_never_redirects_off_site(client, target):
    response = client.post("/language", data={"locale": "fr", "next": target})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//")
    assert "evil" not in location and "%5C" not in location


def test_the_switcher_refuses_a_language_not_offered(client):
    response = client.post("/language", data={"locale": "xx", "next": "/login"})
    assert response.status_code == 302
    assert client.get_cookie(LOCALE_COOKIE) is None


@pytest.fixture
def csrf_on(app):
    """CSRF protection as in production (the test config turns it off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


def test_the_switcher_and_the_settings_form_need_the_csrf_token(
    client, acme, kei, db_session, csrf_on
):
    refused = client.post("/language", data={"locale": "ja", "next": "/c/acme/"})
    assert refused.status_code == 400
    assert client.get_cookie(LOCALE_COOKIE) is None

    login_page = client.get("/c/acme/login").get_data(as_text=True)
    token = login_page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/c/acme/login", data={"email": kei.email, "password": "pw", "csrf_token": token})
    refused = client.post("/c/acme/settings", data={"locale": "de", "timezone": "Asia/Tokyo"})
    assert refused.status_code in (400, 422)
    db_session.refresh(kei)
    assert kei.locale is None

    page = client.get("/c/acme/").get_data(as_text=True)
    footer_token = page.split('<form class="language-switch"')[1].split('value="')[1].split('"')[0]
    switched = client.post(
        "/language", data={"locale": "ja", "next": "/c/acme/", "csrf_token": footer_token}
    )
    assert switched.status_code == 302
    db_session.refresh(kei)
    assert kei.locale == "ja"
