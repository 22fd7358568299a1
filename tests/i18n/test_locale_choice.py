"""Which language a page speaks: the user's setting, the switcher, Accept-Language, the client."""

from __future__ import annotations

import re

import pytest
from flask_babel import force_locale, gettext

from helpdesk.i18n import LOCALE_COOKIE, supported_language
from tests.conftest import login

LANGUAGES = ["en", "es", "fr", "de", "pt_BR", "ja", "ar"]


def html_lang(response) -> str:
    page = response.get_data(as_text=True)
    return re.search(r'<html lang="([^"]+)" dir="([^"]+)"', page).group(1)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("de_AT", "de"),
        ("de", "de"),
        ("pt", "pt_BR"),
        ("pt_PT", "pt_BR"),
        ("pt_BR", "pt_BR"),
        ("fr_CA", "fr"),
        ("zh", None),
        ("", None),
        (None, None),
    ],
)
def test_a_locale_falls_back_to_its_base_or_its_one_relative(code, expected):
    assert supported_language(code, LANGUAGES) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-AT", "de"),
        ("de-AT,en;q=0.5", "de"),
        ("pt-BR", "pt-BR"),
        ("pt", "pt-BR"),
        ("pt-PT", "pt-BR"),
        ("zh-CN, ja;q=0.4", "ja"),
        ("zh-CN", "en"),
    ],
)
def test_accept_language_picks_the_closest_offered_language(client, acme, header, expected):
    response = client.get("/c/acme/", headers={"Accept-Language": header})
    assert response.status_code == 200
    assert html_lang(response) == expected


def test_without_any_hint_the_portal_speaks_the_clients_default(client, factory):
    factory.client("lyon", default_locale="fr")
    assert html_lang(client.get("/c/lyon/")) == "fr"


def test_the_switcher_cookie_beats_accept_language(client, acme):
    client.set_cookie(LOCALE_COOKIE, "es")
    assert html_lang(client.get("/c/acme/", headers={"Accept-Language": "ja"})) == "es"


def test_an_unknown_cookie_value_is_ignored(client, acme):
    client.set_cookie(LOCALE_COOKIE, 'xx"><script>')
    assert html_lang(client.get("/c/acme/", headers={"Accept-Language": "de"})) == "de"


def test_the_users_own_setting_beats_cookie_and_browser(client, acme, factory):
    kei = factory.customer(acme, locale="ja")
    login(client, kei)
    client.set_cookie(LOCALE_COOKIE, "es")
    response = client.get("/c/acme/tickets", headers={"Accept-Language": "de"})
    assert html_lang(response) == "ja"


def test_the_portal_in_japanese_via_accept_language_formats_dates_with_babel(
    client, acme, kei, factory
):
    factory.ticket(acme, kei, subject="プリンター")
    login(client, kei)
    client.set_cookie(LOCALE_COOKIE, "", expires=0)
    kei.locale = None
    response = client.get("/c/acme/tickets", headers={"Accept-Language": "ja,en;q=0.3"})
    page = response.get_data(as_text=True)
    assert html_lang(response) == "ja"
    assert 'dir="ltr"' in page
    # 2026-03-09 15:00 UTC in the client's New York zone, as Babel writes it in Japanese.
    assert "2026/03/09 11:00" in page
    with force_locale("ja"):
        my_tickets = gettext("My tickets")
    assert my_tickets != "My tickets", "the Japanese catalog translates the navigation"
    assert my_tickets in page


def test_the_arabic_page_runs_right_to_left(client, acme):
    page = client.get("/c/acme/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    with force_locale("ar"):
        new_ticket = gettext("New ticket")
    assert new_ticket != "New ticket" and new_ticket in page


def test_every_page_offers_each_language_named_in_itself(client, acme):
    page = client.get("/login").get_data(as_text=True)
    for code, name in [("de", "Deutsch"), ("ja", "日本語"), ("ar", "العربية"), ("en", "English")]:
        assert f'value="{code}" lang="{code}"' in page
        assert name in page
    assert 'lang="pt-BR"' in page
