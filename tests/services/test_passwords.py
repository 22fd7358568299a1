"""Password links: queued once per account and moment, signed, expiring, single-use, per realm."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import generate_password_hash

from helpdesk import password_tokens
from helpdesk.models import STAFF_REALM, OutboundMail
from helpdesk.services import passwords
from tests.conftest import CHEAP_HASH


@pytest.fixture
def acme(factory):
    return factory.client("acme", name="Acme Corp")


@pytest.fixture
def kei(factory, acme):
    """A customer filed by e-mail: no password."""
    customer = factory.customer(acme, email="kei@example.test", name="Kei")
    customer.password_hash = None
    factory.session.commit()
    return customer


def password_mail(session) -> list[OutboundMail]:
    return list(session.scalars(select(OutboundMail).where(OutboundMail.kind == "password")))


def test_asking_queues_one_password_mail_to_the_account_of_that_realm(db_session, acme, kei, now):
    assert passwords.ask_for_link(db_session, realm=acme.id, email="kei@example.test", now=now)
    db_session.commit()
    [mail] = password_mail(db_session)
    assert (mail.user_id, mail.ticket_id, mail.to_addr) == (kei.id, None, "kei@example.test")
    assert (mail.status, mail.next_attempt_at, mail.created_at) == ("queued", now, now)


def test_asking_for_an_address_without_an_account_here_queues_nothing(
    db_session, factory, acme, kei, now
):
    globex = factory.client("globex")
    agent = factory.agent([acme], email="ana@provider.test")
    for realm, email in [
        (acme.id, "nobody@example.test"),
        (globex.id, "kei@example.test"),  # a customer of acme asks on globex's portal
        (STAFF_REALM, "kei@example.test"),
        (acme.id, agent.email),  # staff ask on a portal
    ]:
        assert not passwords.ask_for_link(db_session, realm=realm, email=email, now=now)
    assert password_mail(db_session) == []


def test_a_disabled_account_gets_no_link(db_session, acme, kei, now):
    kei.active = False
    db_session.commit()
    assert not passwords.ask_for_link(db_session, realm=acme.id, email=kei.email, now=now)


def test_asking_again_within_two_minutes_queues_no_second_mail(db_session, acme, kei, now):
    ask = lambda at: passwords.ask_for_link(db_session, realm=acme.id, email=kei.email, now=at)  # noqa: E731
    assert ask(now)
    db_session.commit()
    assert not ask(now + timedelta(minutes=1, seconds=59))
    assert ask(now + timedelta(minutes=2, seconds=1))
    db_session.commit()
    assert len(password_mail(db_session)) == 2


def test_a_token_leads_to_its_user_until_it_expires(app, db_session, acme, kei, now):
    token = password_tokens.token_for(kei, asked_at=now)
    minutes = app.config["PASSWORD_LINK_MINUTES"]
    found = lambda at: password_tokens.user_for_token(db_session, token, realm=acme.id, now=at)  # noqa: E731
    assert found(now) == kei
    assert found(now + timedelta(minutes=minutes)) == kei
    assert found(now + timedelta(minutes=minutes, seconds=1)) is None
    assert found(now - timedelta(seconds=1)) is None  # asked in the future: not ours


def test_a_token_dies_once_the_password_changes(db_session, acme, kei, now):
    token = password_tokens.token_for(kei, asked_at=now)
    kei.password_hash = generate_password_hash("a new password", CHEAP_HASH)
    db_session.commit()
    assert password_tokens.user_for_token(db_session, token, realm=acme.id, now=now) is None


def test_a_token_works_only_in_its_own_realm_and_for_an_active_user(
    db_session, factory, acme, kei, now
):
    globex = factory.client("globex")
    token = password_tokens.token_for(kei, asked_at=now)
    assert password_tokens.user_for_token(db_session, token, realm=globex.id, now=now) is None
    assert password_tokens.user_for_token(db_session, token, realm=STAFF_REALM, now=now) is None
    kei.active = False
    db_session.commit()
    assert password_tokens.user_for_token(db_session, token, realm=acme.id, now=now) is None


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "a.b", "x" * 300, "WzEsMiwiMyJd.forged-signature"],
)
def test_a_forged_or_garbled_token_leads_nowhere(db_session, acme, kei, now, token):
    assert password_tokens.user_for_token(db_session, token, realm=acme.id, now=now) is None


def test_a_signed_token_of_the_wrong_shape_leads_nowhere(db_session, acme, kei, now):
    serializer = password_tokens._serializer("password")
    for payload in ([kei.id], ["1", 2, "x"], {"u": kei.id}, [kei.id, "now", "x"]):
        token = serializer.dumps(payload)
        assert password_tokens.user_for_token(db_session, token, realm=acme.id, now=now) is None


def test_a_token_signed_with_another_secret_leads_nowhere(app, db_session, acme, kei, now):
    token = password_tokens.token_for(kei, asked_at=now)
    app.config["SECRET_KEY"], secret = "another installation's key", app.config["SECRET_KEY"]
    try:
        assert password_tokens.user_for_token(db_session, token, realm=acme.id, now=now) is None
    finally:
        app.config["SECRET_KEY"] = secret


def test_the_link_points_at_the_public_url_of_the_right_page(
    app, db_session, factory, acme, kei, now, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_URL", "https://help.example.com/desk")
    link = password_tokens.link_for(kei, asked_at=now)
    token = password_tokens.token_for(kei, asked_at=now)
    assert link == f"https://help.example.com/desk/c/acme/password/{token}"
    agent = factory.agent([acme])
    assert password_tokens.link_for(agent, asked_at=now).startswith(
        "https://help.example.com/desk/password/"
    )
