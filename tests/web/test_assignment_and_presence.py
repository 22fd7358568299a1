"""The ticket's assignment card (routing in words, reassign), presence, sign-out and activity."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import flask_babel
import pytest
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.services import follow_the_sun
from helpdesk.services.tickets import update_ticket
from tests.conftest import login

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
ALL_DAYS = (*WEEKDAYS, "sat", "sun")


@pytest.fixture
def krakow(factory):
    """On shift Monday to Friday 08:00-17:00 Warsaw time: the frozen `now` (Monday 16:00) is in."""
    return factory.site(
        "krakow",
        name="Krakow",
        timezone="Europe/Warsaw",
        shifts={d: ["08:00-17:00"] for d in WEEKDAYS},
    )


@pytest.fixture
def anywhere(factory):
    """A site always on shift, for pages that act at the real clock's time."""
    return factory.site("anywhere", name="Anywhere", shifts={d: ["00:00-24:00"] for d in ALL_DAYS})


def reassign_options(html: str) -> dict[str, str]:
    """The reassign select's options: value -> label."""
    select_html = re.search(r'<select[^>]*name="assignee_id".*?</select>', html, re.S).group(0)
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select_html))


# -- routing on the ticket page --------------------------------------------------------------------


def test_a_routed_ticket_shows_why_and_where_in_words(client, factory, acme, krakow, page_text):
    ana = factory.agent([acme], name="Ana", site=krakow, presence="online")
    ticket = factory.ticket(acme)
    assert ticket.assignee_id == ana.id
    login(client, ana)
    text = page_text(client.get(f"/agent/tickets/{ticket.id}"))
    assert "Routed to Ana (Krakow)." in text
    assert "Assigned to Ana (krakow): on shift, online, speaks en" in text  # the reason
    assert "Queue Krakow (Europe/Warsaw)" in text


def test_a_ticket_waiting_for_the_next_shift_says_when_in_the_viewers_zone(
    client, factory, acme, krakow, page_text
):
    ana = factory.agent([acme], name="Ana", site=krakow, timezone="Asia/Kolkata")
    factory.now = datetime(2026, 3, 9, 17, 0, tzinfo=UTC)  # 18:00 in Krakow: after the shift
    ticket = factory.ticket(acme)
    assert ticket.assignee_id is None
    assert ticket.expected_pickup_at == datetime(2026, 3, 10, 7, 0, tzinfo=UTC)
    # Publishing the ticket formatted its pickup time outside any request, and the test's
    # app context (shared with the requests below) kept that zone: forget it.
    flask_babel.refresh()
    login(client, ana)
    text = page_text(client.get(f"/agent/tickets/{ticket.id}"))
    # Tuesday 08:00 in Krakow is 12:30 in Kolkata.
    assert "Waiting for Krakow's next shift at 3/10/26, 12:30 PM." in text
    assert "Expected pickup Mar 10, 2026, 12:30:00 PM" in text
    assert "whose next shift starts" in text


def test_a_handoff_reads_as_one_line_in_the_history(client, factory, acme, krakow, page_text):
    ana = factory.agent([acme], name="Ana", site=krakow, presence="online")
    ticket = factory.ticket(acme)
    bo = factory.agent([acme], name="Bo", site=krakow, presence="online")
    change = follow_the_sun.set_presence(db.session, ana, "offline", now=factory.now)
    assert change.handed_off == [ticket.id]
    login(client, bo)
    text = page_text(client.get(f"/agent/tickets/{ticket.id}"))
    assert "Handed off from Ana to Bo. The agent went offline." in text
    assert text.count("Routed to") == 1  # the handoff's own routing step is not repeated
    assert "Helpdesk assigned the ticket" not in text


def test_the_reassign_select_lists_the_clients_agents_with_site_presence_and_load(
    client, factory, acme, globex, anywhere
):
    ana = factory.agent([acme], name="Ana", site=anywhere, presence="online")
    factory.ticket(acme)
    factory.agent([acme], name="Bo", presence="away")
    factory.agent([globex], name="Gil", site=anywhere, presence="online")
    ticket = factory.ticket(acme)
    login(client, ana)
    options = reassign_options(client.get(f"/agent/tickets/{ticket.id}").get_data(as_text=True))
    labels = list(options.values())
    assert labels[0] == "Nobody (back to the queue)"
    assert labels[1] == "Ana · Anywhere · Online, on shift · 2/5 tickets"
    assert labels[2] == "Bo · no site · Away, off shift · 0/5 tickets"
    assert not any("Gil" in label for label in labels)


def test_reassigning_to_an_agent_of_the_client_moves_the_ticket(
    client, factory, acme, db_session, page_text
):
    ana = factory.agent([acme], name="Ana")
    bo = factory.agent([acme], name="Bo")
    ticket = factory.ticket(acme)
    login(client, ana)
    response = client.post(
        f"/agent/tickets/{ticket.id}", data={"action": "reassign", "assignee_id": str(bo.id)}
    )
    assert response.status_code == 302
    db_session.refresh(ticket)
    assert ticket.assignee_id == bo.id
    assert "Ana assigned the ticket to Bo." in page_text(client.get(f"/agent/tickets/{ticket.id}"))


def test_reassigning_to_an_agent_of_another_client_is_a_form_error(
    client, factory, acme, globex, db_session, page_text
):
    ana = factory.agent([acme], name="Ana")
    gil = factory.agent([globex], name="Gil")
    ticket = factory.ticket(acme)
    login(client, ana)
    response = client.post(
        f"/agent/tickets/{ticket.id}", data={"action": "reassign", "assignee_id": str(gil.id)}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(r'id="assignee_id-error"', html)
    assert "No agent with this id serves this client." in page_text(response)
    db_session.refresh(ticket)
    assert ticket.assignee_id is None


@pytest.mark.parametrize("value", ["abc", "-1", "9" * 30])
def test_a_malformed_assignee_is_a_form_error(client, factory, acme, db_session, value):
    ana = factory.agent([acme], name="Ana")
    ticket = factory.ticket(acme)
    login(client, ana)
    response = client.post(
        f"/agent/tickets/{ticket.id}", data={"action": "reassign", "assignee_id": value}
    )
    assert response.status_code == 422
    db_session.refresh(ticket)
    assert ticket.assignee_id is None


def test_reassigning_to_nobody_puts_the_ticket_back_in_the_queue(
    client, factory, acme, db_session, now
):
    ana = factory.agent([acme], name="Ana")
    ticket = factory.ticket(acme)
    update_ticket(db_session, ticket=ticket, actor=ana, now=now, assignee_id=ana.id)
    login(client, ana)
    response = client.post(
        f"/agent/tickets/{ticket.id}", data={"action": "reassign", "assignee_id": ""}
    )
    assert response.status_code == 302
    db_session.refresh(ticket)
    assert ticket.assignee_id is None


def test_a_supervisor_sees_the_routing_but_cannot_reassign(
    client, factory, acme, krakow, page_text
):
    factory.agent([acme], name="Ana", site=krakow, presence="online")
    ticket = factory.ticket(acme)
    sam = factory.supervisor(acme, name="Sam")
    login(client, sam)
    response = client.get(f"/supervisor/tickets/{ticket.id}")
    assert "Routed to Ana (Krakow)." in page_text(response)
    assert 'name="assignee_id"' not in response.get_data(as_text=True)


# -- presence --------------------------------------------------------------------------------------


def test_agents_have_a_presence_switch_in_the_header(client, factory, acme):
    ana = factory.agent([acme], name="Ana", presence="away")
    login(client, ana)
    html = client.get("/agent/").get_data(as_text=True)
    form = re.search(r'<form class="presence-form".*?</form>', html, re.S).group(0)
    assert 'action="/agent/presence"' in form and 'name="csrf_token"' in form
    pressed = re.findall(r'value="(\w+)"[^>]*\s+aria-pressed="true"', form)
    assert pressed == ["away"]


def test_the_presence_form_changes_presence(client, factory, acme, db_session):
    ana = factory.agent([acme], name="Ana", presence="online")
    login(client, ana)
    response = client.post("/agent/presence", data={"status": "away", "next": "/agent/?view=all"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/agent/?view=all"
    db_session.refresh(ana)
    assert ana.presence == "away" and ana.presence_at is not None


def test_going_online_picks_up_a_waiting_ticket(
    client, factory, acme, anywhere, db_session, page_text
):
    ana = factory.agent([acme], name="Ana", site=anywhere, presence="offline")
    ticket = factory.ticket(acme)
    assert ticket.assignee_id is None
    login(client, ana)
    response = client.post("/agent/presence", data={"status": "online"})
    assert response.status_code == 302
    db_session.refresh(ticket)
    assert ticket.assignee_id == ana.id
    text = page_text(client.get(response.headers["Location"]))
    assert "You are online." in text
    assert "1 waiting ticket was assigned to you." in text


def test_going_online_off_shift_says_so(client, factory, acme, page_text):
    ana = factory.agent([acme], name="Ana")  # no site, no shift
    login(client, ana)
    response = client.post("/agent/presence", data={"status": "online"}, follow_redirects=True)
    assert "You are off shift" in page_text(response)


def test_an_unknown_presence_is_refused(client, factory, acme, db_session):
    ana = factory.agent([acme], name="Ana", presence="away")
    login(client, ana)
    assert client.post("/agent/presence", data={"status": "busy"}).status_code == 400
    db_session.refresh(ana)
    assert ana.presence == "away"


def test_the_presence_form_needs_a_csrf_token_when_protection_is_on(
    client, app, monkeypatch, factory, acme, db_session
):
    ana = factory.agent([acme], name="Ana", presence="online")
    login(client, ana)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/agent/presence", data={"status": "offline"}).status_code == 400
    db_session.refresh(ana)
    assert ana.presence == "online"


def test_the_queue_shows_colleagues_presence(client, factory, acme, db_session, now):
    ana = factory.agent([acme], name="Ana")
    bo = factory.agent([acme], name="Bo", presence="away")
    ticket = factory.ticket(acme)
    update_ticket(db_session, ticket=ticket, actor=bo, now=now, assignee_id=bo.id)
    login(client, ana)
    html = client.get("/agent/?view=all").get_data(as_text=True)
    cell = re.search(r'<span class="assignee">(.*?)</span>\s*</td>', html, re.S).group(1)
    assert "presence-away" in cell and "Away" in cell and "Bo" in cell


@pytest.mark.parametrize(
    "request_",
    [("post", "/agent/presence"), ("get", "/agent/coverage"), ("post", "/agent/tickets/1/take")],
)
def test_customers_and_supervisors_get_404_on_agent_pages(client, factory, acme, request_):
    method, path = request_
    for user in (factory.customer(acme), factory.supervisor(acme)):
        login(client, user)
        assert getattr(client, method)(path, data={"status": "online"}).status_code == 404
        client.post("/c/acme/logout" if user.role == "customer" else "/logout")


# -- sign-out and activity ------------------------------------------------------------------------


def test_signing_out_makes_an_agent_away(client, factory, acme, db_session):
    ana = factory.agent([acme], name="Ana", presence="online")
    login(client, ana)
    response = client.post("/logout")
    assert response.status_code == 302
    db_session.refresh(ana)
    assert ana.presence == "away"
    assert client.get("/agent/").status_code == 302  # signed out


def test_signing_out_leaves_an_offline_agent_offline(client, factory, acme, db_session):
    ana = factory.agent([acme], name="Ana", presence="offline")
    login(client, ana)
    client.post("/logout")
    db_session.refresh(ana)
    assert ana.presence == "offline"


def test_get_logout_asks_and_does_not_sign_out(client, factory, acme, db_session, page_text):
    ana = factory.agent([acme], name="Ana", presence="online")
    login(client, ana)
    response = client.get("/logout")
    assert response.status_code == 200
    assert "Sign out of Helpdesk?" in page_text(response)
    form = re.search(r'<form method="post" action="/logout">.*?</form>', response.text, re.S)
    assert form and 'name="csrf_token"' in form.group(0)
    assert client.get("/agent/").status_code == 200  # still signed in
    db_session.refresh(ana)
    assert ana.presence == "online"


def test_get_logout_when_signed_out_goes_to_sign_in(client, acme):
    response = client.get("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_sign_out_needs_a_csrf_token_when_protection_is_on(client, app, monkeypatch, factory, acme):
    ana = factory.agent([acme], name="Ana", presence="online")
    login(client, ana)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/logout").status_code == 400
    assert client.get("/agent/").status_code == 200


def test_agent_pages_record_activity_at_most_once_a_minute(client, factory, acme, db_session):
    ana = factory.agent([acme], name="Ana", presence="online")
    assert ana.last_seen_at is None
    login(client, ana)
    client.get("/agent/")
    seen = db_session.scalar(select(User.last_seen_at).where(User.id == ana.id))
    assert seen is not None and datetime.now(UTC) - seen < timedelta(minutes=1)
    client.get("/agent/?view=all")
    assert db_session.scalar(select(User.last_seen_at).where(User.id == ana.id)) == seen
    earlier = datetime.now(UTC) - timedelta(minutes=10)
    db_session.execute(
        User.__table__.update().where(User.id == ana.id).values(last_seen_at=earlier)
    )
    db_session.commit()
    db_session.expire_all()
    client.get("/agent/coverage")
    assert db_session.scalar(select(User.last_seen_at).where(User.id == ana.id)) > earlier


def test_recorded_activity_keeps_an_agent_from_being_set_away_as_idle(
    client, factory, acme, db_session
):
    ana = factory.agent([acme], name="Ana", presence="online")
    login(client, ana)
    client.get("/agent/")
    away = follow_the_sun.mark_idle_agents_away(
        db_session, now=datetime.now(UTC), idle=timedelta(minutes=15)
    )
    assert ana.id not in away
