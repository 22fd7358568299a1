"""The console's People page (/admin/people): an admin finds anyone by role, client, state or
name, sees their last sign-in, deactivates or reactivates them and resets a lost second factor;
every other role gets 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import func, select

from helpdesk import password_tokens
from helpdesk.extensions import socketio
from helpdesk.models import AuditEvent, OutboundMail, User
from helpdesk.notify import outbound
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def olga(factory):
    return factory.admin(name="Olga Operator", email="olga@provider.test")


@pytest.fixture
def console(app, olga):
    http = app.test_client()
    login(http, olga)
    return http


def test_the_console_lists_everyone_with_role_client_and_last_sign_in(
    app, console, kei, ana, sam, globex, factory, page_text
):
    factory.customer(globex, name="Gil", email="gil@globex.test")
    login(app.test_client(), kei)
    text = page_text(console.get("/admin/people"))
    for who in ("Olga Operator", "Ana", "Sam", "Kei", "Gil", "gil@globex.test"):
        assert who in text
    assert "Acme Corp" in text and "Globex" in text
    assert "never" in text  # Gil has never signed in; Kei has, just now
    assert console.get("/admin/").headers["Location"].endswith("/admin/people")


def test_filters_narrow_the_list_and_clear_states_when_nothing_matches(
    console, kei, ana, globex, factory, page_text
):
    factory.customer(globex, name="Gil", email="gil@globex.test")
    text = page_text(console.get("/admin/people?role=customer&client=acme"))
    assert "Kei" in text and "Gil" not in text and "Ana" not in text
    assert "Kei" in page_text(console.get("/admin/people?q=KEI@"))
    assert "Nobody matches" in page_text(console.get("/admin/people?q=nobody-like-this"))
    # Junk in the query string is ignored, not an error.
    assert console.get("/admin/people?role=x&state=y&client=z&page=abc").status_code == 200


@pytest.mark.parametrize("who", ["kei", "ana", "sam"])
def test_every_other_role_gets_404(app, request, who):
    http = app.test_client()
    login(http, request.getfixturevalue(who))
    assert http.get("/admin/people").status_code == 404
    assert http.get("/admin/").status_code == 404
    target = request.getfixturevalue("kei")
    assert http.post(f"/admin/people/{target.id}/active", data={"active": "0"}).status_code == 404


def test_deactivating_from_the_console_signs_the_person_out_and_is_audited(
    app, console, kei, olga, db_session, page_text
):
    browser = app.test_client()
    login(browser, kei)
    sock = socketio.test_client(app, flask_test_client=browser)
    assert sock.is_connected()

    answer = console.post(
        f"/admin/people/{kei.id}/active",
        data={"active": "0", "next": "/admin/people?role=customer"},
        follow_redirects=True,
    )

    assert "Kei is deactivated" in page_text(answer)
    assert answer.request.path == "/admin/people"
    assert not sock.is_connected()
    assert browser.get("/c/acme/tickets").status_code == 302
    db_session.expire_all()
    assert db_session.get(User, kei.id).active is False
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.kind == "user_deactivated"))
    assert event.actor_id == olga.id and event.data["user_id"] == kei.id

    console.post(f"/admin/people/{kei.id}/active", data={"active": "1"})
    login(app.test_client(), kei)  # signs in again


def test_an_admin_cannot_deactivate_themselves_from_the_console(console, olga, page_text):
    answer = console.post(
        f"/admin/people/{olga.id}/active", data={"active": "0"}, follow_redirects=True
    )
    assert "cannot deactivate your own account" in page_text(answer)


def test_a_lost_second_factor_is_reset_from_the_console(console, factory, db_session, page_text):
    other = factory.admin(name="Lost Phone", email="lost@provider.test")
    answer = console.post(f"/admin/people/{other.id}/second-factor/reset", follow_redirects=True)
    assert "sets up a second factor again" in page_text(answer)
    db_session.expire_all()
    assert db_session.get(User, other.id).totp_secret is None


def test_bad_actions_are_refused(console, kei):
    assert console.post(f"/admin/people/{kei.id}/active", data={"active": "no"}).status_code == 400
    assert console.post("/admin/people/999999/active", data={"active": "0"}).status_code == 404
    unsafe = console.post(
        f"/admin/people/{kei.id}/active", data={"active": "0", "next": "https://evil.test/"}
    )
    assert unsafe.headers["Location"].endswith("/admin/people")


def invitation(session, user: User) -> tuple[str, str]:
    """The subject and the link's path of the invitation mailed to `user`."""
    session.expire_all()
    [mail] = session.scalars(
        select(OutboundMail).where(OutboundMail.user_id == user.id, OutboundMail.kind == "invite")
    )
    message = outbound.render(session, mail)
    [link] = re.findall(r"https?://\S+", message.get_content())
    return message["Subject"], urlsplit(link).path


def test_an_invited_customer_chooses_a_password_from_the_mailed_link(
    app, console, acme, olga, db_session, page_text
):
    answer = console.post(
        "/admin/people/invite",
        data={
            "role": "customer",
            "client": "acme",
            "name": "Ines Invited",
            "email": "Ines@Acme.test",
        },
        follow_redirects=True,
    )

    assert "Ines Invited is invited" in page_text(answer)
    ines = db_session.scalar(select(User).where(User.email == "ines@acme.test"))
    assert ines.role == "customer" and ines.client_id == acme.id and ines.password_hash is None
    provisioned = db_session.scalar(select(AuditEvent).where(AuditEvent.kind == "provision"))
    assert provisioned.actor_id == olga.id
    subject, path = invitation(db_session, ines)
    assert "Acme Corp" in subject and path.startswith("/c/acme/password/")
    browser = app.test_client()
    done = browser.post(path, data={"password": "correct horse", "confirm": "correct horse"})
    assert done.status_code == 302 and browser.get("/c/acme/tickets").status_code == 200


def test_an_invitation_link_outlives_a_password_link_but_not_its_own_limit(app, acme, factory):
    invited = factory.customer(acme, email="late@acme.test")
    asked = datetime.now(UTC) - timedelta(hours=5)  # past PASSWORD_LINK_MINUTES
    token = password_tokens.token_for(invited, asked_at=asked, kind="invite")
    now = datetime.now(UTC)
    found = password_tokens.user_for_token
    assert found(factory.session, token, realm=acme.id, now=now, kind="invite") == invited
    assert found(factory.session, token, realm=acme.id, now=now, kind="password") is None
    hours = app.config["INVITE_LINK_HOURS"]
    later = asked + timedelta(hours=hours, minutes=1)
    assert found(factory.session, token, realm=acme.id, now=later, kind="invite") is None


@pytest.mark.parametrize(
    ("form", "field_message"),
    [
        (
            {"role": "customer", "client": "", "name": "N", "email": "n@acme.test"},
            "Choose the client.",
        ),
        (
            {"role": "customer", "client": "acme", "name": "N", "email": "not an address"},
            "Enter an e-mail address.",
        ),
        (
            {"role": "customer", "client": "acme", "name": "N", "email": "kei@example.test"},
            "This address already has an account.",
        ),
        (
            {"role": "agent", "client": "acme", "name": "N", "email": "n@acme.test"},
            "Choose a role.",
        ),
        (
            {"role": "supervisor", "client": "acme", "name": "", "email": "n@acme.test"},
            "must be non-empty text",
        ),
    ],
)
def test_a_bad_invitation_is_a_form_error_and_makes_no_account(
    console, kei, db_session, page_text, form, field_message
):
    before = db_session.scalar(select(func.count()).select_from(User))
    answer = console.post("/admin/people/invite", data=form)
    assert answer.status_code == 422
    assert field_message in page_text(answer)
    assert db_session.scalar(select(func.count()).select_from(User)) == before
