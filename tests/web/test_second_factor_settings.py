"""The staff security page: setting up a second factor, recovery codes shown once, new codes,
turning it off, moving it to a new phone, and the admins' rule."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from helpdesk.models import AuditEvent, User
from helpdesk.services import second_factor
from tests.conftest import login, second_factor_code

SECURITY = "/settings/security"
ENROL = "/settings/security/enrol"


def key_on(page) -> str:
    """The text key the enrolment page shows beside the QR code."""
    found = re.search(r"data-totp-key>([A-Z2-7 ]+)<", page.get_data(as_text=True))
    return found.group(1).replace(" ", "")


def codes_on(page) -> list[str]:
    return re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", page.get_data(as_text=True))


@pytest.fixture
def agent(client, factory):
    """A signed-in agent without a second factor."""
    user = factory.agent()
    login(client, user)
    return user


def enrol(client) -> tuple[str, list[str]]:
    """Set up a factor through the pages: the key read off the page, its code sent back."""
    key = key_on(client.get(ENROL))
    done = client.post(ENROL, data={"code": pyotp.TOTP(key).now()})
    assert done.status_code == 200, done.get_data(as_text=True)[:300]
    return key, codes_on(done)


def test_the_staff_settings_link_to_the_security_page_and_the_portal_ones_do_not(
    app, client, agent, factory
):
    assert 'href="/settings/security"' in client.get("/settings").get_data(as_text=True)
    acme = factory.client("acme")
    kei = factory.customer(acme)
    portal = app.test_client()
    login(portal, kei)
    assert "/settings/security" not in portal.get("/c/acme/settings").get_data(as_text=True)


def test_an_agent_sets_up_a_second_factor_and_sees_the_recovery_codes_once(
    client, agent, db_session, page_text
):
    before = client.get(SECURITY)
    assert before.status_code == 200 and "Off: signing in needs only your password" in page_text(
        before
    )
    page = client.get(ENROL)
    html = page.get_data(as_text=True)
    assert 'class="qr-code"' in html and "<script" not in html.split("<main", 1)[1]
    assert 'autocomplete="one-time-code"' in html and 'inputmode="numeric"' in html

    wrong = client.post(ENROL, data={"code": "123456"})
    assert wrong.status_code == 422 and "That code is not right" in page_text(wrong)
    key = key_on(wrong)  # the same key until it is confirmed
    assert key == key_on(page)
    done = client.post(ENROL, data={"code": pyotp.TOTP(key).now()})

    assert done.status_code == 200
    assert len(codes_on(done)) == 10
    assert "shown only this once" in page_text(done)
    after = page_text(client.get(SECURITY))
    assert "On since" in after and "10 unused recovery codes left" in after
    assert codes_on(client.get(SECURITY)) == []
    db_session.expire_all()
    assert db_session.get(User, agent.id).totp_secret == key


def test_the_secret_being_set_up_is_not_in_the_session_cookie(client, agent):
    key = key_on(client.get(ENROL))

    with client.session_transaction() as session:
        assert key not in str(dict(session))


def test_new_recovery_codes_need_the_password_and_replace_the_old_ones(
    client, agent, db_session, page_text
):
    _key, old = enrol(client)

    refused = client.post(
        "/settings/security/recovery-codes", data={"codes-password": "wrong password"}
    )
    assert refused.status_code == 422 and "not your current password" in page_text(refused)
    empty = client.post("/settings/security/recovery-codes", data={})
    assert empty.status_code == 422 and "Enter a code from your app or your password" in page_text(
        empty
    )

    done = client.post("/settings/security/recovery-codes", data={"codes-password": "pw"})

    new = codes_on(done)
    assert len(new) == 10 and not set(new) & set(old)


def test_an_agent_turns_the_factor_off_with_a_code(client, agent, db_session, page_text):
    key, _codes = enrol(client)
    db_session.expire_all()
    wrong = client.post("/settings/security/disable", data={"off-code": "000000"})
    assert wrong.status_code == 422

    done = client.post("/settings/security/disable", data={"off-code": second_factor_code(agent)})

    assert done.status_code == 302 and done.location.endswith(SECURITY)
    db_session.expire_all()
    assert not second_factor.enrolled(db_session.get(User, agent.id))
    assert "second_factor_removed" in db_session.scalars(select(AuditEvent.kind)).all()


def test_moving_to_a_new_phone_replaces_the_secret(client, agent, db_session, page_text):
    old_key, _codes = enrol(client)

    page = client.get(ENROL)
    assert "Move your second factor to a new device" in page_text(page)
    new_key, codes = enrol(client)

    assert new_key != old_key and len(codes) == 10
    db_session.expire_all()
    assert db_session.get(User, agent.id).totp_secret == new_key


def test_an_admin_keeps_the_factor_the_rule_requires(client, factory, db_session, page_text):
    admin = factory.admin()
    login(client, admin)

    page = page_text(client.get(SECURITY))
    assert "so it stays on" in page and "Turn off the second factor" not in page

    refused = client.post("/settings/security/disable", data={"off-password": "pw"})

    assert refused.status_code == 422
    assert "The site requires a second factor for you" in page_text(refused)
    db_session.expire_all()
    assert second_factor.enrolled(db_session.get(User, admin.id))


def test_an_admin_requires_it_of_every_staff_member_and_it_is_recorded(
    app, client, factory, db_session, page_text
):
    admin = factory.admin()
    login(client, admin)
    page = client.get(SECURITY).get_data(as_text=True)
    assert re.search(r'<input checked [^>]*value="admins"', page)  # the default rule

    done = client.post("/settings/security/policy", data={"policy": "staff"})

    assert done.status_code == 302 and done.location.endswith(SECURITY)
    assert second_factor.policy(db_session) == "staff"
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "second_factor_policy")
    ).one()
    assert event.actor_id == admin.id
    assert client.post("/settings/security/policy", data={"policy": "x"}).status_code == 422
    agent_browser = app.test_client()
    agent = factory.agent()
    agent_browser.post("/login", data={"email": agent.email, "password": "pw"})
    assert agent_browser.get("/agent/").status_code == 302  # not in: set it up first


def test_the_rule_is_an_admins_choice_only(client, agent):
    assert client.post("/settings/security/policy", data={"policy": "staff"}).status_code == 404
    assert 'name="policy"' not in client.get(SECURITY).get_data(as_text=True)


def test_customers_have_no_security_page(client, factory):
    acme = factory.client("acme")
    login(client, factory.customer(acme))

    assert client.get(SECURITY).status_code == 404
