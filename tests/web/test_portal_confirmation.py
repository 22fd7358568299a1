"""A portal registration proves its e-mail address before it sees or files anything.

The pre-hijack of issue #16: someone registers an address they do not own; when the owner
later writes by API or e-mail, the registrant must not read the owner's tickets.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from helpdesk.models import AuditEvent, OutboundMail, Ticket, User
from helpdesk.notify import outbound
from tests.api.helpers import assert_error, intake_headers
from tests.conftest import login


def register(client, email="kim@customer.test", name="Kim", password="registrant pw", **kw):
    return client.post(
        "/c/acme/register", data={"name": name, "email": email, "password": password}, **kw
    )


def confirmation_link(session, user: User) -> str:
    """The path of the newest confirmation link mailed to `user`."""
    session.expire_all()
    mail = session.scalars(
        select(OutboundMail)
        .where(OutboundMail.user_id == user.id, OutboundMail.kind == "confirm")
        .order_by(OutboundMail.id.desc())
    ).first()
    body = outbound.render(session, mail).get_content()
    [link] = re.findall(r"https?://\S+", body)
    return urlsplit(link).path


def registered(session, email="kim@customer.test") -> User:
    session.expire_all()
    return session.scalar(select(User).where(User.email == email))


def sign_in(client, email="kim@customer.test", password="registrant pw"):
    return client.post("/c/acme/login", data={"email": email, "password": password})


def file_by_api(client, acme, email="kim@customer.test", name="Kim Owner"):
    response = client.post(
        "/api/v1/tickets",
        json={
            "subject": "Payroll export",
            "body": "Salaries attached",
            "requester": {"email": email, "name": name},
        },
        headers=intake_headers(acme),
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def test_registering_signs_nobody_in_and_mails_a_confirmation_link(client, acme, db_session):
    response = register(client)
    assert response.status_code == 302 and response.location.endswith("/c/acme/confirm")
    assert client.get("/c/acme/tickets").status_code == 302
    assert client.get("/c/acme/tickets/new").status_code == 302
    user = registered(db_session)
    assert user.email_confirmed_at is None
    assert confirmation_link(db_session, user).startswith("/c/acme/confirm/")


def test_the_check_your_inbox_page_offers_a_new_link_for_the_address(
    client, acme, db_session, page_text
):
    register(client)
    page = client.get("/c/acme/confirm")
    assert page.status_code == 200
    assert "Check your inbox" in page_text(page)
    assert 'value="kim@customer.test"' in page.get_data(as_text=True)


def test_the_confirmation_mail_is_in_the_customers_language(client, acme, db_session):
    register(client, headers={"Accept-Language": "de"})
    user = registered(db_session)
    [mail] = db_session.scalars(select(OutboundMail).where(OutboundMail.kind == "confirm"))
    message = outbound.render(db_session, mail)
    assert message["Content-Language"] == "de"
    assert user.locale == "de"


def test_an_unconfirmed_account_signing_in_is_told_to_confirm_and_offered_a_new_link(
    client, acme, db_session, page_text
):
    register(client)
    response = sign_in(client)
    assert response.status_code == 403
    assert "not confirmed yet" in page_text(response)
    assert 'href="/c/acme/confirm"' in response.get_data(as_text=True)
    assert client.get("/c/acme/tickets").status_code == 302


def test_an_unconfirmed_account_gets_no_api_token(client, acme, db_session):
    register(client)
    response = client.post(
        "/api/v1/auth/token",
        json={"email": "kim@customer.test", "password": "registrant pw", "client": "acme"},
    )
    assert_error(response, 403, "email_unconfirmed")


def test_the_link_and_the_registration_password_confirm_and_sign_in(
    client, acme, db_session, page_text
):
    register(client)
    path = confirmation_link(db_session, registered(db_session))
    page = client.get(path)
    assert page.status_code == 200 and "kim@customer.test" in page_text(page)
    done = client.post(path, data={"password": "registrant pw"})
    assert done.status_code == 302 and done.location.endswith("/c/acme/tickets/new")
    assert client.get("/c/acme/tickets").status_code == 200
    assert registered(db_session).email_confirmed_at is not None
    kinds = db_session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)).all()
    assert kinds == ["registered", "email_confirmed", "login"]


def test_the_link_alone_does_not_confirm_without_the_registration_password(
    client, acme, db_session, page_text
):
    register(client)
    path = confirmation_link(db_session, registered(db_session))
    response = client.post(path, data={"password": "a guess"})
    assert response.status_code == 422
    assert "not the password chosen at registration" in page_text(response)
    assert registered(db_session).email_confirmed_at is None
    assert client.get("/c/acme/tickets").status_code == 302


def test_a_confirmation_link_works_once(client, acme, db_session):
    register(client)
    path = confirmation_link(db_session, registered(db_session))
    client.post(path, data={"password": "registrant pw"})
    client.post("/c/acme/logout")
    assert client.get(path).status_code == 404
    assert client.post(path, data={"password": "registrant pw"}).status_code == 404


def test_a_confirmation_link_expires(client, app, acme, db_session):
    register(client)
    user = registered(db_session)
    hours = app.config["CONFIRM_LINK_HOURS"]
    mail = db_session.scalar(select(OutboundMail).where(OutboundMail.kind == "confirm"))
    mail.created_at = datetime.now(UTC) - timedelta(hours=hours, minutes=1)
    db_session.commit()
    assert client.get(confirmation_link(db_session, user)).status_code == 404


@pytest.mark.parametrize("portal", ["globex"])
def test_a_confirmation_link_answers_404_on_another_clients_portal(
    client, acme, globex, db_session, portal
):
    register(client)
    path = confirmation_link(db_session, registered(db_session))
    assert client.get(path.replace("/c/acme/", f"/c/{portal}/")).status_code == 404


def test_a_forged_or_password_link_token_does_not_confirm(client, acme, db_session):
    register(client)
    path = confirmation_link(db_session, registered(db_session))
    assert client.get(path[:-3] + "abc").status_code == 404
    assert client.get("/c/acme/confirm/" + "x" * 500).status_code == 404


def test_a_new_link_is_mailed_on_request_at_most_once_per_gap(client, acme, db_session):
    register(client)
    asked = client.post("/c/acme/confirm", data={"email": "kim@customer.test"})
    assert asked.status_code == 302
    mails = db_session.scalars(select(OutboundMail).where(OutboundMail.kind == "confirm")).all()
    assert len(mails) == 1  # the registration's own mail is less than the gap old
    mails[0].created_at = datetime.now(UTC) - timedelta(minutes=5)
    db_session.commit()
    client.post("/c/acme/confirm", data={"email": "kim@customer.test"})
    assert (
        len(db_session.scalars(select(OutboundMail).where(OutboundMail.kind == "confirm")).all())
        == 2
    )


def test_asking_a_new_link_reads_the_same_for_any_address(client, acme, kei, page_text):
    unknown = client.post("/c/acme/confirm", data={"email": "nobody@example.test"})
    unknown_page = page_text(client.get("/c/acme/confirm"))
    confirmed = client.post("/c/acme/confirm", data={"email": kei.email})
    confirmed_page = page_text(client.get("/c/acme/confirm"))
    assert unknown.status_code == confirmed.status_code == 302
    assert "new link is on its way" in unknown_page
    assert unknown_page == confirmed_page.replace(kei.email, "nobody@example.test")


def test_the_owner_declines_a_registration_they_did_not_make(client, acme, db_session, page_text):
    register(client, name="Attacker's pick")
    path = confirmation_link(db_session, registered(db_session))
    response = client.post(path + "/decline")
    assert response.status_code == 302
    user = registered(db_session)
    assert user.password_hash is None and user.name == "kim"
    assert sign_in(client).status_code == 200  # "Wrong e-mail or password."
    assert client.get(path).status_code == 404


def test_intake_for_the_address_voids_an_unconfirmed_registration_and_the_registrant_sees_nothing(
    client, acme, db_session, page_text
):
    register(client, name="Attacker's pick")
    path = confirmation_link(db_session, registered(db_session))
    ticket = file_by_api(client, acme)

    user = registered(db_session)
    assert db_session.get(Ticket, ticket["id"]).requester_id == user.id
    assert user.name == "Kim Owner"  # the owner's acknowledgements greet the owner
    assert user.password_hash is None
    refused = sign_in(client)
    assert "Wrong e-mail or password." in page_text(refused)
    assert client.get("/c/acme/tickets").status_code == 302
    assert client.get(path).status_code == 404  # the registrant's link died with it
    token = client.post(
        "/api/v1/auth/token",
        json={"email": "kim@customer.test", "password": "registrant pw", "client": "acme"},
    )
    assert_error(token, 401, "invalid_credentials")
    voided = db_session.scalar(select(AuditEvent).where(AuditEvent.kind == "registration_voided"))
    assert voided.actor_id == user.id and voided.data == {"via": "intake"}


def test_the_address_owner_proves_it_by_a_password_link_and_then_sees_the_ticket(
    client, acme, db_session, page_text
):
    register(client, name="Attacker's pick")
    ticket = file_by_api(client, acme)
    client.post("/c/acme/password", data={"email": "kim@customer.test"})
    db_session.expire_all()
    user = registered(db_session)
    mail = db_session.scalar(select(OutboundMail).where(OutboundMail.kind == "password"))
    [link] = re.findall(r"https?://\S+", outbound.render(db_session, mail).get_content())
    path = urlsplit(link).path
    client.post(path, data={"password": "owner's pw 1", "confirm": "owner's pw 1"})
    assert registered(db_session).email_confirmed_at is not None
    page = client.get("/c/acme/tickets")
    assert page.status_code == 200 and "Payroll export" in page_text(page)
    assert user.id == db_session.get(Ticket, ticket["id"]).requester_id


def test_a_confirmed_registration_keeps_its_password_and_sees_tickets_filed_later(
    client, acme, db_session, page_text
):
    register(client)
    path = confirmation_link(db_session, registered(db_session))
    client.post(path, data={"password": "registrant pw"})
    file_by_api(client, acme)
    page = client.get("/c/acme/tickets")
    assert page.status_code == 200 and "Payroll export" in page_text(page)
    assert registered(db_session).name == "Kim"


def test_a_signed_in_session_of_an_unconfirmed_account_counts_as_signed_out(
    client, acme, kei, db_session
):
    login(client, kei)
    kei.email_confirmed_at = None
    db_session.commit()
    assert client.get("/c/acme/tickets").status_code == 302
