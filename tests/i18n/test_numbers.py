"""Numbers inside messages are written the viewer's way: 20,000 / 20.000 / 20 000."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from flask_babel import gettext as _

from helpdesk.i18n import Number
from tests.api.helpers import intake_headers


@pytest.mark.parametrize(
    ("locale", "shown"), [("en", "12,345"), ("de", "12.345"), ("pt_BR", "12.345"), ("ja", "12,345")]
)
def test_a_number_prints_in_the_locale_of_the_moment(app, locale, shown):
    number = Number(12345)
    with app.test_request_context(), force_locale(locale):
        assert str(number) == shown
        assert _("Must be at most %(limit)s characters.", limit=number).count(shown) == 1


def test_a_lazy_message_made_once_shows_its_number_per_viewer(app):
    from helpdesk.services.tickets import BODY_MAX, _clean_text

    errors: dict = {}
    _clean_text("x" * (BODY_MAX + 1), field="body", limit=BODY_MAX, errors=errors)
    with app.test_request_context():
        with force_locale("de"):
            assert "20.000" in str(errors["body"])
        with force_locale("fr"):
            assert "20\u202f000" in str(errors["body"])


def test_the_api_refuses_a_long_body_with_the_limit_in_the_callers_language(client, factory):
    acme = factory.client("acme")
    response = client.post(
        "/api/v1/tickets",
        json={"subject": "s", "body": "x" * 20_001, "requester": {"email": "k@x.test"}},
        headers={**intake_headers(acme), "Accept-Language": "de"},
    )
    assert response.status_code == 422
    assert "20.000" in response.get_json()["error"]["fields"]["body"]
