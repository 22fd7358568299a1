"""Password links through the pages: ask on a portal or at staff sign-in, follow the mailed link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from helpdesk import password_tokens as passwords
from helpdesk.models import AuditEvent, OutboundMail, User
from helpdesk.notify import outbound
from tests.conftest import login

SAME_ANSWER = "If an account with this e-mail exists here, a link to set its password"


pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def filed_by_email(factory, acme):
    """A customer created by the mail gateway: an account without a password."""
    customer = factory.customer(acme, email="kim@customer.test", name="Kim")
    customer.password_hash = None
    factory.session.commit()
    return customer


def mailed_link(session, user: User) -> str:
    """The link in the password mail queued for `user`, as the path a browser opens."""
    session.expire_all()
    [mail] = session.scalars(
        select(OutboundMail).where(OutboundMail.user_id == user.id, OutboundMail.kind == "password")
    )
    body = outbound.render(session, mail).get_content()
    [link] = re.findall(r"https?://\S+", body)
    return urlsplit(link).path


def test_a_customer_filed_by_email_sets_a_password_by_link_and_is_signed_in(
    client, acme, filed_by_email, db_session, page_text
):
    login_page = client.get("/c/acme/login")
    assert 'href="/c/acme/password"' in login_page.get_data(as_text=True)
    asked = client.post("/c/acme/password", data={"email": " Kim@Customer.test "})
    assert asked.status_code == 302 and asked.location.endswith("/c/acme/login")
    assert SAME_ANSWER in page_text(client.get("/c/acme/login"))

    path = mailed_link(db_session, filed_by_email)
    assert path.startswith("/c/acme/password/")
    form = client.get(path)
    assert form.status_code == 200 and "kim@customer.test" in page_text(form)
    done = client.post(path, data={"password": "correct horse", "confirm": "correct horse"})
    assert done.status_code == 302 and done.location.endswith("/c/acme/tickets")
    assert client.get("/c/acme/tickets").status_code == 200  # signed in
    db_session.expire_all()
    assert db_session.get(User, filed_by_email.id).check_password("correct horse")
    kinds = db_session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)).all()
    assert kinds == ["password_reset_requested", "password_set", "login"]


def test_asking_for_an_unknown_address_answers_the_same_and_mails_nothing(
    client, acme, filed_by_email, db_session, page_text
):
    asked = client.post("/c/acme/password", data={"email": "nobody@customer.test"})
    assert asked.status_code == 302 and asked.location.endswith("/c/acme/login")
    assert SAME_ANSWER in page_text(client.get("/c/acme/login"))
    assert db_session.scalars(select(OutboundMail)).all() == []
    [event] = db_session.scalars(select(AuditEvent)).all()
    assert (event.kind, event.actor_id, event.data["email"]) == (
        "password_reset_requested",
        None,
        "nobody@customer.test",
    )


def test_a_used_link_no_longer_works(client, acme, filed_by_email, db_session, page_text):
    client.post("/c/acme/password", data={"email": filed_by_email.email})
    path = mailed_link(db_session, filed_by_email)
    client.post(path, data={"password": "correct horse", "confirm": "correct horse"})
    again = client.get(path)
    assert again.status_code == 404
    assert "This link no longer works" in page_text(again)
    assert 'href="/c/acme/password"' in again.get_data(as_text=True)
    assert (
        client.post(path, data={"password": "other pass", "confirm": "other pass"}).status_code
        == 404
    )


def test_an_expired_link_no_longer_works(client, app, acme, filed_by_email):
    minutes = app.config["PASSWORD_LINK_MINUTES"]
    asked_at = datetime.now(UTC) - timedelta(minutes=minutes, seconds=5)
    token = passwords.token_for(filed_by_email, asked_at=asked_at)
    assert client.get(f"/c/acme/password/{token}").status_code == 404


@pytest.mark.parametrize("token", ["nonsense", "a" * 5000, "WzEsMiwiMyJd.Zm9yZ2Vk"])
def test_a_forged_link_answers_404(client, acme, token):
    assert client.get(f"/c/acme/password/{token}").status_code == 404


def test_a_link_works_only_on_the_portal_that_sent_it(
    client, factory, acme, globex, filed_by_email, db_session
):
    token = passwords.token_for(filed_by_email, asked_at=datetime.now(UTC))
    assert client.get(f"/c/globex/password/{token}").status_code == 404
    assert client.get(f"/password/{token}").status_code == 404  # the staff page
    assert client.get(f"/c/acme/password/{token}").status_code == 200
    agent_token = passwords.token_for(factory.agent([acme]), asked_at=datetime.now(UTC))
    assert client.get(f"/c/acme/password/{agent_token}").status_code == 404


def test_the_new_password_must_be_long_enough_and_typed_twice_alike(
    client, acme, filed_by_email, db_session, page_text
):
    token = passwords.token_for(filed_by_email, asked_at=datetime.now(UTC))
    path = f"/c/acme/password/{token}"
    short = client.post(path, data={"password": "short", "confirm": "short"})
    assert short.status_code == 422 and "Use at least 8" in page_text(short)
    differ = client.post(path, data={"password": "long enough", "confirm": "long enougH"})
    assert differ.status_code == 422
    assert "The two passwords are not the same." in page_text(differ)
    db_session.expire_all()
    assert db_session.get(User, filed_by_email.id).password_hash is None


def test_an_invalid_address_is_a_form_error(client, acme, page_text):
    response = client.post("/c/acme/password", data={"email": "kim@"})
    assert response.status_code == 422
    assert "Enter a valid e-mail address." in page_text(response)


def test_registering_an_address_that_has_an_account_points_to_the_password_link(
    client, acme, filed_by_email, page_text
):
    response = client.post(
        "/c/acme/register",
        data={"name": "Kim", "email": filed_by_email.email, "password": "long enough"},
    )
    assert response.status_code == 422
    assert "ask for a password link if you never had a password" in page_text(response)


def test_an_agent_resets_a_forgotten_password_and_lands_on_the_queue(
    client, ana, db_session, page_text
):
    assert 'href="/password"' in client.get("/login").get_data(as_text=True)
    asked = client.post("/password", data={"email": ana.email})
    assert asked.status_code == 302 and asked.location.endswith("/login")
    path = mailed_link(db_session, ana)
    assert path.startswith("/password/")
    done = client.post(path, data={"password": "new staff pass", "confirm": "new staff pass"})
    assert done.status_code == 302 and done.location.endswith("/agent/")
    assert client.get("/agent/").status_code == 200


def test_a_customer_address_gets_no_staff_link(client, acme, filed_by_email, db_session):
    client.post("/password", data={"email": filed_by_email.email})
    assert db_session.scalars(select(OutboundMail)).all() == []


def test_a_new_password_signs_out_every_session_signed_in_with_the_old_one(
    app, client, acme, kei, db_session
):
    login(client, kei)
    assert client.get("/c/acme/tickets").status_code == 200
    elsewhere = app.test_client()
    token = passwords.token_for(kei, asked_at=datetime.now(UTC))
    done = elsewhere.post(
        f"/c/acme/password/{token}", data={"password": "brand new pw", "confirm": "brand new pw"}
    )
    assert done.status_code == 302
    assert elsewhere.get("/c/acme/tickets").status_code == 200  # the one that set it
    assert client.get("/c/acme/tickets").status_code == 302  # the old session: signed out


@pytest.mark.parametrize(
    "session_id", ["{id}", "{id}.", "{id}.0000000000000000", "x.{mark}", "{id}.{mark}x"]
)
def test_a_session_without_the_current_password_mark_signs_nobody_in(client, acme, kei, session_id):
    login(client, kei)  # a genuine session; then only its user id is changed
    with client.session_transaction() as session:
        session["_user_id"] = session_id.format(id=kei.id, mark=kei.password_mark())
    assert client.get("/c/acme/tickets").status_code == 302


def test_a_session_with_the_current_password_mark_signs_in(client, acme, kei):
    login(client, kei)
    with client.session_transaction() as session:
        assert session["_user_id"] == f"{kei.id}.{kei.password_mark()}"
    assert client.get("/c/acme/tickets").status_code == 200
