"""PATCH /users/{id}: an admin deactivates a person, who is then signed out everywhere at once
(sessions, API tokens, sockets), cannot sign in, and whose open tickets move to someone else;
their history keeps their name. Reactivating lets them back in."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.extensions import socketio
from helpdesk.models import AuditEvent, Message, Ticket, UserSession
from tests.api.helpers import assert_error
from tests.conftest import login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def admin(factory):
    return factory.admin(name="Olga Operator")


@pytest.fixture
def as_admin(bearer, admin):
    """The admin's token, taken once (a second factor code works once per 30 seconds)."""
    return bearer(admin)


def deactivate(client, headers, user, active=False):
    return client.patch(f"/api/v1/users/{user.id}", json={"active": active}, headers=headers)


def test_a_deactivated_agents_token_stops_working_at_once(client, bearer, as_admin, acme):
    token = bearer(acme.agent)
    assert client.get("/api/v1/tickets", headers=token).status_code == 200

    answer = deactivate(client, as_admin, acme.agent)

    assert answer.status_code == 200
    body = answer.get_json()
    assert body["active"] is False and body["tokens_revoked"] == 1
    assert client.get("/api/v1/tickets", headers=token).status_code == 401
    refused = client.post("/api/v1/auth/token", json={"email": acme.agent.email, "password": "pw"})
    assert refused.status_code == 401


def test_a_deactivated_person_is_signed_out_of_every_browser_and_socket(
    app, client, bearer, as_admin, acme, db_session
):
    browser = app.test_client()
    login(browser, acme.customer)
    sock = socketio.test_client(app, flask_test_client=browser)
    assert sock.is_connected()

    answer = deactivate(client, as_admin, acme.customer)

    assert answer.get_json()["sessions_ended"] == 1 and answer.get_json()["sockets_closed"] == 1
    assert not sock.is_connected()
    assert browser.get("/c/acme/tickets").status_code == 302  # back to the sign-in page
    db_session.expire_all()
    live = db_session.scalars(
        select(UserSession).where(
            UserSession.user_id == acme.customer.id, UserSession.ended_at.is_(None)
        )
    ).all()
    assert live == []


def test_a_deactivated_agents_open_tickets_go_to_a_colleague_and_keep_their_history(
    client, bearer, as_admin, acme, factory, db_session
):
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    anywhere = factory.site("anywhere", shifts={d: ["00:00-24:00"] for d in days})
    ana = factory.agent([acme.client], name="Ana Leaving", site=anywhere, presence="online")
    bo = factory.agent([acme.client], name="Bo Staying", site=anywhere, presence="online")
    ticket = factory.ticket(acme.client, acme.customer)
    ticket.assignee = ana
    db_session.add(
        Message(
            ticket=ticket,
            author=ana,
            kind="reply",
            channel="portal",
            body="On it",
            created_at=factory.now,
        )
    )
    db_session.commit()

    answer = deactivate(client, as_admin, ana)

    assert answer.get_json()["handed_off"] == [ticket.id]
    db_session.expire_all()
    moved = db_session.get(Ticket, ticket.id)
    assert moved.assignee_id == bo.id
    thread = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(bo)).get_json()
    assert [m["author"]["name"] for m in thread["messages"] if m["author"]] == ["Ana Leaving"]


def test_reactivating_lets_the_person_sign_in_again(client, bearer, as_admin, acme):
    deactivate(client, as_admin, acme.supervisor)
    answer = deactivate(client, as_admin, acme.supervisor, active=True)
    assert answer.status_code == 200 and answer.get_json()["active"] is True
    assert bearer(acme.supervisor)  # a new token: signing in works again


def test_every_change_is_an_audit_event_with_before_and_after(
    client, bearer, admin, as_admin, acme, db_session
):
    deactivate(client, as_admin, acme.agent)
    deactivate(client, as_admin, acme.agent)  # the same value again: nothing new
    deactivate(client, as_admin, acme.agent, active=True)
    events = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.kind.in_(("user_deactivated", "user_reactivated")))
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.kind, e.actor_id, e.data["before"], e.data["after"]) for e in events] == [
        ("user_deactivated", admin.id, {"active": True}, {"active": False}),
        ("user_reactivated", admin.id, {"active": False}, {"active": True}),
    ]


def test_an_admin_cannot_deactivate_themselves(client, admin, as_admin, factory):
    assert_error(deactivate(client, as_admin, admin), 409, "own_account")
    other = factory.admin(email="second@provider.test")
    assert deactivate(client, as_admin, other).get_json()["active"] is False


@pytest.mark.parametrize("who", ["agent", "supervisor", "customer"])
def test_only_admins_may_deactivate_anyone(client, bearer, acme, who):
    target = acme.customer if who != "customer" else acme.agent
    answer = deactivate(client, bearer(getattr(acme, who)), target)
    assert_error(answer, 403, "forbidden")
    assert client.get("/api/v1/tickets", headers=bearer(target)).status_code == 200


@pytest.mark.parametrize(
    "body", [{}, {"active": "no"}, {"active": 0}, {"active": False, "role": "admin"}, []]
)
def test_a_bad_body_is_refused_and_changes_nothing(client, bearer, as_admin, acme, body):
    answer = client.patch(f"/api/v1/users/{acme.agent.id}", json=body, headers=as_admin)
    assert answer.status_code in (400, 422)
    assert client.get("/api/v1/tickets", headers=bearer(acme.agent)).status_code == 200


@pytest.mark.parametrize("raw", ["0", "-1", "99999999", "abc", "2147483648"])
def test_an_unknown_user_is_404(client, as_admin, raw):
    answer = client.patch(f"/api/v1/users/{raw}", json={"active": False}, headers=as_admin)
    assert_error(answer, 404)
