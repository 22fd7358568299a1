"""Sockets live on what opened them: a browser's session record or an API token. Ending it
disconnects them at once, and a socket whose disconnect was missed is refused at its next event."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import g, has_app_context
from sqlalchemy import func, select, update

from helpdesk.extensions import socketio
from helpdesk.models import ApiToken, Message, SocketConnection, UserSession
from helpdesk.services import sessions
from helpdesk.services.auth import token_digest
from tests.conftest import api_token, login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

NEW = {"current": "pw", "password": "a better one", "confirm": "a better one"}


@pytest.fixture
def desk(factory):
    """acme with Kei's ticket and Ana serving acme."""
    acme = factory.client("acme")
    kei = factory.customer(acme, name="Kei")
    ana = factory.agent([acme], name="Ana")
    return {"acme": acme, "kei": kei, "ana": ana, "ticket": factory.ticket(acme, kei)}


@pytest.fixture
def sockets(app):
    """sockets(http=None, token=None) -> a Socket.IO test client on that browser or token."""
    opened = []

    def open_socket(http=None, *, token=None):
        if has_app_context():
            g.pop("_login_user", None)  # see tests/conftest.py: the app context is shared
        auth = {"token": token["Authorization"].split()[1]} if token else None
        sock = socketio.test_client(app, flask_test_client=http, auth=auth)
        opened.append(sock)
        return sock

    yield open_socket
    for sock in opened:
        if sock.is_connected():
            sock.disconnect()


def browser(app, user):
    http = app.test_client()
    login(http, user)
    return http


def say(sock, ticket, msg_id):
    payload = {"ticket_id": ticket.id, "body": f"line {msg_id}", "client_msg_id": msg_id}
    return sock.emit("send_message", payload, callback=True)


def recorded(session, user) -> int:
    return session.scalar(
        select(func.count())
        .select_from(SocketConnection)
        .where(SocketConnection.user_id == user.id)
    )


def test_sockets_are_recorded_at_connect_and_forgotten_at_disconnect(
    app, desk, sockets, db_session
):
    kei = desk["kei"]
    by_cookie = sockets(browser(app, kei))
    by_token = sockets(token=api_token(app.test_client(), kei))
    rows = db_session.scalars(select(SocketConnection).where(SocketConnection.user_id == kei.id))
    assert sorted((r.session_id is None, r.token_id is None) for r in rows) == [
        (False, True),
        (True, False),
    ]
    by_cookie.disconnect()
    by_token.disconnect()
    assert recorded(db_session, kei) == 0


def test_a_live_socket_is_disconnected_when_its_browser_signs_out(app, desk, sockets, db_session):
    http = browser(app, desk["kei"])
    sock = sockets(http)
    assert sock.is_connected()
    http.post("/c/acme/logout")
    assert not sock.is_connected()
    assert recorded(db_session, desk["kei"]) == 0


def test_a_copied_cookie_cannot_open_a_socket_after_sign_out(app, desk, sockets):
    http = browser(app, desk["ana"])
    stolen = app.test_client()
    stolen.set_cookie("session", http.get_cookie("session").value)
    assert sockets(stolen).is_connected()  # while the session lives, the copy works too

    http.post("/logout")
    assert not sockets(stolen).is_connected()


def test_a_password_change_disconnects_every_socket_but_this_browsers(
    app, desk, sockets, db_session
):
    kei = desk["kei"]
    here, elsewhere = browser(app, kei), browser(app, kei)
    mine, theirs = sockets(here), sockets(elsewhere)
    programs = sockets(token=api_token(app.test_client(), kei))

    assert here.post("/c/acme/settings/password", data=NEW).status_code == 302
    assert mine.is_connected()
    assert not theirs.is_connected() and not programs.is_connected()
    assert say(mine, desk["ticket"], "still-here")["ok"]


def test_a_revoked_tokens_socket_is_disconnected_and_no_other(app, desk, sockets, db_session):
    ana = desk["ana"]
    first = api_token(app.test_client(), ana)
    second = api_token(app.test_client(), ana)
    on_first, on_second = sockets(token=first), sockets(token=second)
    digest = token_digest(first["Authorization"].split()[1])
    token_id = db_session.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest))

    http = browser(app, ana)
    assert http.post(f"/settings/tokens/{token_id}/revoke").status_code == 302
    assert not on_first.is_connected()
    assert on_second.is_connected() and say(on_second, desk["ticket"], "a")["ok"]
    assert http.get("/api/v1/tickets", headers=first).status_code == 401
    assert http.get("/api/v1/tickets", headers=second).status_code == 200


def test_signing_the_user_out_everywhere_disconnects_all_their_sockets(
    app, desk, sockets, db_session
):
    kei = desk["kei"]
    socks = [sockets(browser(app, kei)), sockets(token=api_token(app.test_client(), kei))]
    other = sockets(browser(app, desk["ana"]))
    sessions.end_all(db_session, kei, reason="deactivated", now=datetime.now(UTC), actor=None)
    assert [s.is_connected() for s in socks] == [False, False]
    assert other.is_connected()


def test_a_socket_whose_session_ended_without_a_disconnect_is_refused_at_its_next_event(
    app, desk, sockets, db_session
):
    kei, ticket = desk["kei"], desk["ticket"]
    sock = sockets(browser(app, kei))
    assert say(sock, ticket, "before")["ok"]
    # Ended elsewhere, and the disconnect never came (another process died, say).
    db_session.execute(
        update(UserSession)
        .where(UserSession.user_id == kei.id)
        .values(ended_at=datetime.now(UTC), end_reason="signed_out")
    )
    db_session.commit()
    ack = say(sock, ticket, "after")
    assert ack["error"]["code"] == "unauthorized"
    assert not sock.is_connected()
    assert db_session.scalars(select(Message.client_msg_id)).all() == ["before"]


@pytest.mark.parametrize(
    "event,payload",
    [
        ("join_ticket", "ticket"),
        ("read", "ticket"),
        ("leave_ticket", "ticket"),
        ("activity", {}),
        ("set_status", {"status": "away"}),
    ],
)
def test_a_socket_whose_token_ended_is_refused_whatever_it_asks(
    app, desk, sockets, db_session, event, payload
):
    ana, ticket = desk["ana"], desk["ticket"]
    sock = sockets(token=api_token(app.test_client(), ana))
    db_session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == ana.id)
        .values(expires_at=datetime.now(UTC) - timedelta(seconds=1))
    )
    db_session.commit()
    data = {"ticket_id": ticket.id, "message_id": 1} if payload == "ticket" else payload
    ack = sock.emit(event, data, callback=True)
    assert ack["error"]["code"] == "unauthorized"
    assert not sock.is_connected()
