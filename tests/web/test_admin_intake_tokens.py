"""The console's intake-token page (/admin/intake-tokens): an admin issues a token for a
client's integration and sees its secret once, sees when each token was last used, and revokes
one; every other role gets 404."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from helpdesk.models import IntakeToken
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

TICKET = {"subject": "Printer", "body": "Jammed", "requester": {"email": "it@acme.test"}}


@pytest.fixture
def console(app, factory):
    http = app.test_client()
    login(http, factory.admin(name="Olga Operator"))
    return http


def issue(console, slug="acme", name="Acme ServiceNow"):
    return console.post(f"/admin/intake-tokens/{slug}/issue", data={"name": name})


def test_an_issued_tokens_secret_is_shown_once_and_then_files_tickets(
    app, console, acme, page_text
):
    page = issue(console)
    assert page.status_code == 200
    secret = re.search(r'value="(hdi_[^"]+)"', page.get_data(as_text=True)).group(1)
    assert "Copy the token for “Acme ServiceNow” now" in page_text(page)

    filed = app.test_client().post(
        "/api/v1/tickets", json=TICKET, headers={"Authorization": f"Bearer {secret}"}
    )
    assert filed.status_code == 201

    listing = console.get("/admin/intake-tokens?client=acme")
    assert secret not in listing.get_data(as_text=True)
    text = page_text(listing)
    assert "Acme ServiceNow" in text and "never" not in text  # last used: just now


def test_revoking_from_the_console_stops_the_token(app, console, acme, db_session, page_text):
    secret = re.search(r'value="(hdi_[^"]+)"', issue(console).get_data(as_text=True)).group(1)
    token_id = db_session.scalar(select(IntakeToken.id))

    answer = console.post(f"/admin/intake-tokens/acme/{token_id}/revoke", follow_redirects=True)

    assert "files nothing from now on" in page_text(answer)
    refused = app.test_client().post(
        "/api/v1/tickets", json=TICKET, headers={"Authorization": f"Bearer {secret}"}
    )
    assert refused.status_code == 401


def test_a_nameless_token_is_refused_with_a_form_error(console, acme, db_session, page_text):
    answer = issue(console, name="   ")
    assert answer.status_code == 422
    assert "Name the integration that uses it." in page_text(answer)
    assert db_session.scalar(select(IntakeToken.id)) is None


def test_another_clients_token_or_an_unknown_client_is_404(console, acme, globex, db_session):
    issue(console, slug="globex", name="Globex tool")
    token_id = db_session.scalar(select(IntakeToken.id))
    assert console.post(f"/admin/intake-tokens/acme/{token_id}/revoke").status_code == 404
    assert console.get("/admin/intake-tokens?client=nobody").status_code == 404
    assert issue(console, slug="nobody").status_code == 404


def test_without_tokens_the_page_says_what_to_do(console, acme, page_text):
    assert "No tokens issued yet" in page_text(console.get("/admin/intake-tokens?client=acme"))


@pytest.mark.parametrize("who", ["kei", "ana", "sam"])
def test_every_other_role_gets_404(app, request, acme, who):
    http = app.test_client()
    login(http, request.getfixturevalue(who))
    assert http.get("/admin/intake-tokens").status_code == 404
    assert http.post("/admin/intake-tokens/acme/issue", data={"name": "x"}).status_code == 404
