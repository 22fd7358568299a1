"""`POST /auth/token` for staff with a second factor: the code too, or a distinct 401."""

from __future__ import annotations

from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import select

from helpdesk.extensions import limiter
from helpdesk.models import AuditEvent
from helpdesk.services import second_factor
from tests.api.helpers import assert_error
from tests.conftest import TOTP_SECRET, second_factor_code

TOKEN = "/api/v1/auth/token"


def ask(http, user, **extra):
    return http.post(TOKEN, json={"email": user.email, "password": "pw", **extra})


@pytest.fixture
def admin(factory):
    """An admin with a second factor (TOTP_SECRET)."""
    return factory.admin()


def test_an_admin_without_a_code_gets_401_second_factor_required(client, admin):
    error = assert_error(ask(client, admin), 401, "second_factor_required")

    assert "code" in error["message"]


def test_an_admin_with_a_current_code_gets_a_token(client, admin):
    response = ask(client, admin, code=second_factor_code(admin))

    assert response.status_code == 200 and response.get_json()["token"].startswith("hdu_")


def test_a_wrong_code_is_401_invalid_second_factor_and_recorded(client, admin, db_session):
    assert_error(ask(client, admin, code="000000"), 401, "invalid_second_factor")

    kinds = db_session.scalars(select(AuditEvent.kind)).all()
    assert kinds == ["second_factor_failed"]


def test_a_code_works_once(client, admin):
    code = pyotp.TOTP(TOTP_SECRET).now()
    assert ask(client, admin, code=code).status_code == 200

    assert_error(ask(client, admin, code=code), 401, "invalid_second_factor")


def test_a_recovery_code_gets_a_token_once(client, factory, db_session):
    agent = factory.agent()
    codes = second_factor.confirm_enrolment(
        db_session,
        agent,
        secret=TOTP_SECRET,
        code=pyotp.TOTP(TOTP_SECRET).now(),
        now=datetime.now(UTC),
    )

    assert ask(client, agent, code=codes[0]).status_code == 200
    assert_error(ask(client, agent, code=codes[0]), 401, "invalid_second_factor")


def test_a_wrong_password_stays_invalid_credentials_whatever_the_code(client, admin):
    response = client.post(
        TOKEN, json={"email": admin.email, "password": "nope", "code": second_factor_code(admin)}
    )

    assert_error(response, 401, "invalid_credentials")


def test_an_admin_who_has_not_set_one_up_is_told_to(client, factory):
    admin = factory.admin(second_factor=False)

    error = assert_error(ask(client, admin, code="123456"), 401, "second_factor_required")

    assert "/settings/security" in error["message"]


def test_staff_without_a_factor_need_no_code_under_the_default_rule(client, factory):
    assert ask(client, factory.agent()).status_code == 200


def test_under_the_staff_rule_agents_need_one_and_customers_never(client, factory, db_session):
    acme = factory.client("acme")
    second_factor.set_policy(db_session, "staff", actor=factory.admin(), now=datetime.now(UTC))

    assert_error(ask(client, factory.agent()), 401, "second_factor_required")
    assert ask(client, factory.customer(acme), client="acme").status_code == 200


def test_the_openapi_document_names_the_code_and_both_errors(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/auth/token"]["post"]

    assert "second_factor_required" in operation["description"]
    assert "invalid_second_factor" in operation["description"]
    assert "code" in spec["components"]["schemas"]["TokenRequest"]["properties"]


def test_wrong_codes_count_against_the_sign_in_limits(app, client, admin, monkeypatch):
    limiter.reset()
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "2/minute")
    try:
        for _ in range(2):
            assert_error(ask(client, admin, code="000000"), 401, "invalid_second_factor")
        assert_error(ask(client, admin, code="000000"), 429, "rate_limited")
    finally:
        limiter.reset()
