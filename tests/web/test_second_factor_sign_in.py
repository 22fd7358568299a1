"""Signing in with a second factor: the password alone is not enough for staff who have one,
a code or a recovery code finishes it, a remembered device skips it, the site's rule makes staff
set one up first, and customers never meet it."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pyotp
import pytest
from sqlalchemy import select

from helpdesk.extensions import limiter
from helpdesk.models import AuditEvent, User
from helpdesk.password_tokens import token_for
from helpdesk.services import second_factor
from helpdesk.web.pending_sign_in import DEVICE_COOKIE, PENDING_KEY
from tests.conftest import TOTP_SECRET, login, second_factor_code

STEP = "/login/second-factor"
ENROL = "/login/second-factor/enrol"


def sign_in(http, user, password="pw"):
    """The first step only: e-mail and password on the staff form."""
    return http.post("/login", data={"email": user.email, "password": password})


def send_code(http, user, code, **extra):
    return http.post(STEP, data={"email": user.email, "code": code, **extra})


def signed_in(http) -> bool:
    return http.get("/settings").status_code == 200


def kinds(session) -> list[str]:
    session.expire_all()
    return list(session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)))


@pytest.fixture
def admin(factory):
    """An admin with a second factor (TOTP_SECRET), as the site's rule requires."""
    return factory.admin(email="root@provider.test")


@pytest.fixture
def everyone_needs_one(db_session, factory, now):
    """The rule: every staff member must have a second factor."""
    second_factor.set_policy(db_session, "staff", actor=factory.admin(), now=now)


def test_the_password_alone_does_not_sign_in_an_admin_with_a_second_factor(
    client, admin, page_text
):
    first = sign_in(client, admin)

    assert first.status_code == 302 and first.location.endswith(STEP)
    assert not signed_in(client)
    page = client.get(STEP)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html
    assert "autofocus" in html
    assert "Enter your code" in page_text(page)


def test_a_code_from_the_app_then_signs_them_in_where_they_were_going(client, admin, db_session):
    first = client.post(
        "/login?next=/supervisor/tickets", data={"email": admin.email, "password": "pw"}
    )
    assert first.location.endswith(STEP)

    done = send_code(client, admin, second_factor_code(admin))

    assert done.status_code == 302 and done.location.endswith("/supervisor/tickets")
    assert signed_in(client)
    assert kinds(db_session)[-1] == "login"
    with client.session_transaction() as session:
        assert PENDING_KEY not in session


def test_a_wrong_code_is_refused_and_recorded_and_five_send_back_to_the_password(
    client, admin, db_session, page_text
):
    sign_in(client, admin)

    wrong = send_code(client, admin, "000000")

    assert wrong.status_code == 422
    assert "That code is not right" in page_text(wrong)
    assert not signed_in(client)
    assert kinds(db_session)[-1] == "second_factor_failed"
    for _ in range(3):
        send_code(client, admin, "000000")
    last = send_code(client, admin, "000000")
    assert last.status_code == 302 and last.location.endswith("/login")
    # The right code is too late now: the password must be given again.
    assert send_code(client, admin, second_factor_code(admin)).location.endswith("/login")
    assert not signed_in(client)


def test_a_recovery_code_signs_in_once_and_says_how_many_are_left(
    client, factory, db_session, page_text
):
    agent = factory.agent()
    codes = second_factor.confirm_enrolment(
        db_session,
        agent,
        secret=TOTP_SECRET,
        code=pyotp.TOTP(TOTP_SECRET).now(),
        now=datetime.now(UTC),
    )
    sign_in(client, agent)
    assert "Recovery code" in page_text(client.get(STEP + "?recovery=1"))

    done = send_code(client, agent, codes[0])

    assert done.status_code == 302
    assert "9 are left" in page_text(client.get("/settings"))
    client.post("/logout")
    sign_in(client, agent)
    assert send_code(client, agent, codes[0]).status_code == 422
    assert "recovery_code_used" in kinds(db_session)


def test_a_remembered_device_skips_the_code_until_the_factor_is_reset(
    app, client, admin, db_session, now
):
    sign_in(client, admin)
    done = send_code(client, admin, second_factor_code(admin), remember="y")
    cookie = next(c for c in done.headers.getlist("Set-Cookie") if c.startswith(DEVICE_COOKIE))
    assert "HttpOnly" in cookie and "Max-Age=2592000" in cookie  # 30 days by default
    client.post("/logout")

    again = sign_in(client, admin)

    assert again.status_code == 302 and not again.location.endswith(STEP)
    assert signed_in(client)
    # Another browser is asked as before.
    assert sign_in(app.test_client(), admin).location.endswith(STEP)
    # A reset (then a new secret) forgets the device.
    client.post("/logout")
    second_factor.reset(db_session, admin, actor=None, now=now, via="cli")
    admin.totp_secret, admin.totp_enabled_at = pyotp.random_base32(), now
    db_session.commit()
    assert sign_in(client, admin).location.endswith(STEP)


def test_without_the_tick_the_device_is_not_remembered(client, admin):
    sign_in(client, admin)
    done = send_code(client, admin, second_factor_code(admin))

    assert not any(c.startswith(DEVICE_COOKIE) for c in done.headers.getlist("Set-Cookie"))


def test_the_pending_sign_in_expires(client, admin):
    sign_in(client, admin)
    with client.session_transaction() as session:
        session[PENDING_KEY] = {**session[PENDING_KEY], "until": time.time() - 1}

    late = send_code(client, admin, second_factor_code(admin))

    assert late.status_code == 302 and late.location.endswith("/login")
    assert not signed_in(client)


def test_a_pending_sign_in_ends_when_the_password_changes_meanwhile(client, admin, db_session):
    sign_in(client, admin)
    admin.set_password("changed elsewhere")
    db_session.commit()

    assert send_code(client, admin, second_factor_code(admin)).location.endswith("/login")
    assert not signed_in(client)


def test_the_code_page_without_a_pending_sign_in_sends_to_the_password(client):
    assert client.get(STEP).location.endswith("/login")
    assert client.get(ENROL).location.endswith("/login")


def test_a_password_link_sign_in_still_asks_the_code(client, admin, cheap_password_hashing):
    token = token_for(admin, asked_at=datetime.now(UTC))

    done = client.post(
        f"/password/{token}", data={"password": "pw-12345678", "confirm": "pw-12345678"}
    )

    assert done.status_code == 302 and done.location.endswith(STEP)
    assert not signed_in(client)
    assert send_code(client, admin, second_factor_code(admin)).status_code == 302
    assert signed_in(client)


def test_agents_sign_in_with_the_password_alone_under_the_default_rule(client, factory):
    agent = factory.agent()

    assert not sign_in(client, agent).location.endswith(ENROL)
    assert signed_in(client)


def test_an_admin_without_a_factor_sets_one_up_before_getting_in(
    client, factory, db_session, page_text
):
    admin = factory.admin(second_factor=False)

    first = sign_in(client, admin)

    assert first.location.endswith(ENROL)
    assert not signed_in(client)
    page = client.get(ENROL)
    html = page.get_data(as_text=True)
    assert '<svg viewBox="0 0' in html and 'class="qr-code"' in html
    key = re.search(r"data-totp-key>([A-Z2-7 ]+)<", html).group(1).replace(" ", "")
    assert page_text(client.get(ENROL)).count(" ".join([key[:4], key[4:8]])) == 1  # same key
    assert client.post(ENROL, data={"email": admin.email, "code": "000000"}).status_code == 422

    done = client.post(ENROL, data={"email": admin.email, "code": pyotp.TOTP(key).now()})

    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert "shown only this once" in page_text(done)
    assert signed_in(client)
    db_session.expire_all()
    assert db_session.get(User, admin.id).totp_secret == key
    assert kinds(db_session)[-2:] == ["second_factor_enrolled", "login"]


def test_the_staff_rule_makes_every_staff_member_set_one_up(client, factory, everyone_needs_one):
    agent = factory.agent()

    assert sign_in(client, agent).location.endswith(ENROL)
    assert not signed_in(client)


def test_customers_never_meet_the_second_factor(client, factory, everyone_needs_one):
    acme = factory.client("acme")
    kei = factory.customer(acme)

    done = client.post("/c/acme/login", data={"email": kei.email, "password": "pw"})

    assert done.status_code == 302 and "second-factor" not in done.location
    assert client.get("/c/acme/tickets").status_code == 200


def test_the_test_login_helper_goes_through_the_code_step(client, admin):
    login(client, admin)

    assert signed_in(client)


@pytest.fixture
def code_limits(app, monkeypatch):
    """Failed sign-ins limited to 3 a minute per account and address, for one test."""
    limiter.reset()
    monkeypatch.setitem(app.config, "RATELIMIT_LOGIN_ACCOUNT", "3/minute")
    yield
    limiter.reset()


def test_wrong_codes_count_against_the_sign_in_limits(client, admin, code_limits):
    sign_in(client, admin)
    for _ in range(3):
        assert send_code(client, admin, "000000").status_code == 422

    assert send_code(client, admin, "000000").status_code == 429
