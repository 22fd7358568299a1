"""The console's People page (/admin/people): an admin finds anyone by role, client, state or
name, sees their last sign-in, deactivates or reactivates them and resets a lost second factor;
every other role gets 404."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.extensions import socketio
from helpdesk.models import AuditEvent, User
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
