"""The shift change page: next handoffs per site, recent handoffs, tickets nobody can take."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.extensions import db
from helpdesk.services import follow_the_sun, shift_change
from tests.conftest import login

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY_3PM = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)


def shift_around(now: datetime, before: timedelta, after: timedelta) -> dict:
    """An override shift from `now - before` to `now + after` (UTC), on the day it starts."""
    start, end = now - before, now + after
    return {"timezone": "UTC", "hours": {DAYS[start.weekday()]: [f"{start:%H:%M}-{end:%H:%M}"]}}


@pytest.fixture
def world(factory):
    acme = factory.client("acme", name="Acme Corp")
    early = factory.site("early", name="Early Bird", shifts={d: ["08:00-16:00"] for d in DAYS})
    late = factory.site("late", name="Night Owl", shifts={d: ["16:00-23:00"] for d in DAYS})
    ola = factory.agent([acme], name="Ola", site=early, presence="online")
    jan = factory.agent([acme], name="Jan", site=late, presence="online")
    return acme, early, late, ola, jan


def test_the_outlook_names_each_sites_next_shift_end_and_who_comes_on(factory, world):
    acme, _early, _late, ola, jan = world
    factory.ticket(acme)
    view = shift_change.outlook(db.session, client_id=acme.id, now=MONDAY_3PM)
    early = next(s for s in view.sites if s.slug == "early")
    assert early.ends_at == MONDAY_3PM.replace(hour=16)
    assert [p.name for p in early.leaving] == ["Ola"] and early.open_tickets == 1
    assert early.next_on_at == MONDAY_3PM.replace(hour=8) + timedelta(days=1)
    late = next(s for s in view.sites if s.slug == "late")
    assert late.ends_at is None and late.next_on_at == MONDAY_3PM.replace(hour=16)
    assert [p.name for p in late.coming] == ["Jan"]
    assert view.stranded == []  # Jan is on shift at 16:00


def test_a_ticket_nobody_else_can_take_at_its_owners_shift_end_is_listed(factory, world):
    acme, early, _late, _ola, _jan = world
    kenji = factory.agent([acme], name="Kenji", site=early, languages=("ja",), presence="online")
    ticket = factory.ticket(acme, locale="ja")
    assert ticket.assignee_id == kenji.id
    view = shift_change.outlook(db.session, client_id=acme.id, now=MONDAY_3PM)
    [stranded] = view.stranded
    assert stranded.ticket.id == ticket.id and stranded.owner == "Kenji"
    assert stranded.leaves_at == MONDAY_3PM.replace(hour=16)
    assert stranded.site == "early"  # Kenji's own next shift
    assert stranded.pickup_at == MONDAY_3PM.replace(hour=8) + timedelta(days=1)


def test_another_clients_tickets_never_count_in_a_supervisors_outlook(factory, world):
    acme, early, _late, ola, _jan = world
    globex = factory.client("globex")
    ola.served_clients = [acme, globex]
    db.session.commit()
    factory.ticket(globex)
    view = shift_change.outlook(db.session, client_id=acme.id, now=MONDAY_3PM)
    assert next(s for s in view.sites if s.slug == "early").open_tickets == 0


def test_a_supervisor_sees_the_shift_change_page_with_recent_handoffs(client, factory, world):
    acme, _early, _late, ola, jan = world
    now = factory.now = datetime.now(UTC)
    for agent in (ola, jan):
        agent.shift_override = shift_around(now, timedelta(hours=1), timedelta(hours=2))
    db.session.commit()
    ticket = factory.ticket(acme, subject="Printer jam on floor 3")
    follow_the_sun.set_presence(
        db.session, db.session.get(type(ola), ticket.assignee_id), "offline", now=now
    )
    sam = factory.supervisor(acme)
    login(client, sam)
    html = client.get("/supervisor/shifts").get_data(as_text=True)
    assert "Shift change for Acme Corp" in html
    assert "Early Bird" in html and "Night Owl" in html
    assert "Handed off in the last 24 hours" in html
    assert ticket.reference in html and "The agent went offline." in html


def test_the_stranded_ticket_shows_on_the_page(client, factory, world):
    acme, early, _late, _ola, _jan = world
    now = factory.now = datetime.now(UTC)
    kenji = factory.agent(
        [acme],
        name="Kenji",
        site=early,
        languages=("ja",),
        presence="online",
        shift_override=shift_around(now, timedelta(hours=1), timedelta(hours=1)),
    )
    ticket = factory.ticket(acme, locale="ja", subject="Japanese invoice")
    assert ticket.assignee_id == kenji.id
    login(client, factory.supervisor(acme))
    html = client.get("/supervisor/shifts").get_data(as_text=True)
    section = html[html.index('id="stranded"') : html.index('id="recent"')]
    assert ticket.reference in section and "Kenji" in section


def test_an_admin_picks_a_client_or_sees_the_whole_desk(client, factory, world):
    acme, *_ = world
    factory.client("globex", name="Globex")
    login(client, factory.admin())
    assert client.get("/supervisor/shifts").status_code == 200
    html = client.get("/supervisor/shifts?client=acme").get_data(as_text=True)
    assert "Shift change for Acme Corp" in html
    assert client.get("/supervisor/shifts?client=nope").status_code == 404


def test_agents_and_customers_get_404(client, factory, world):
    acme, _early, _late, ola, _jan = world
    login(client, ola)
    assert client.get("/supervisor/shifts").status_code == 404


def test_the_page_says_so_when_there_is_nothing_to_show(client, factory):
    acme = factory.client("acme", name="Acme Corp")
    login(client, factory.supervisor(acme))
    html = client.get("/supervisor/shifts").get_data(as_text=True)
    assert "No shifts to show" in html and "No handoffs yet" in html
