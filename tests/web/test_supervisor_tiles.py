"""The supervisor's live tiles: counts from SQL for the viewer's client only, breaches since
local midnight in the viewer's zone, and 404 for anyone else's client."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk.models import SlaClock
from helpdesk.services.tickets import update_ticket
from tests.conftest import login

ZONE = "Asia/Kolkata"  # half-hour offset: local midnight is never a whole UTC hour


def local_midnight(zone: str) -> datetime:
    """Today's midnight in `zone` (by the real clock, as the endpoint reads it), in UTC."""
    here = datetime.now(UTC).astimezone(ZoneInfo(zone))
    return here.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def breach(session, ticket, at: datetime) -> None:
    """A clock of the ticket that breached at `at`."""
    session.add(
        SlaClock(
            ticket_id=ticket.id,
            client_id=ticket.client_id,
            metric="first_response",
            state="missed",
            target_minutes=30,
            started_at=at - timedelta(minutes=30),
            due_at=at,
            breached_at=at,
        )
    )
    session.commit()


@pytest.fixture
def board(factory, acme, globex, ana, now):
    """acme: two waiting tickets, one assigned, one pending, one solved; globex: one waiting."""
    waiting = [factory.ticket(acme), factory.ticket(acme)]
    taken, pending, solved = factory.ticket(acme), factory.ticket(acme), factory.ticket(acme)
    session = factory.session
    update_ticket(session, ticket=taken, actor=ana, now=now, assignee_id=ana.id)
    update_ticket(session, ticket=pending, actor=ana, now=now, status="pending")
    update_ticket(session, ticket=solved, actor=ana, now=now, status="solved")
    other = factory.ticket(globex)
    midnight = local_midnight(ZONE)
    breach(session, waiting[0], midnight + timedelta(seconds=1))  # today
    breach(session, waiting[1], midnight - timedelta(seconds=1))  # yesterday, local time
    breach(session, other, midnight + timedelta(seconds=1))  # another client's
    return {"waiting": waiting, "pending": pending, "solved": solved}


def test_a_supervisor_gets_their_clients_tiles_in_their_own_zone(client, factory, acme, board):
    sam = factory.supervisor(acme, timezone=ZONE)
    login(client, sam)
    response = client.get("/supervisor/tiles.json")
    assert response.status_code == 200
    tiles = response.get_json()
    assert (tiles["client"], tiles["tz"]) == ("acme", ZONE)
    # open: new, open or pending (4 of 5); waiting: new or open with no agent (the pending
    # one waits on its customer, unassigned or not).
    assert (tiles["open"], tiles["waiting"], tiles["breaches_today"]) == (4, 2, 1)
    assert tiles["statuses"] == {"new": 3, "open": 0, "pending": 1, "solved": 1, "closed": 0}
    assert "no-store" in response.headers["Cache-Control"]


def test_the_dashboard_shows_the_same_tiles_for_the_live_script(client, factory, acme, board):
    login(client, factory.supervisor(acme, timezone=ZONE))
    html = client.get("/supervisor/tickets").get_data(as_text=True)
    assert 'data-tile="open">4<' in html
    assert 'data-tile="waiting">2<' in html
    assert 'data-tile="breaches_today">1<' in html
    assert 'data-url="/supervisor/tiles.json"' in html
    assert "js/tiles.js" in html


def test_a_supervisor_naming_another_client_gets_404(client, factory, acme, globex, board):
    login(client, factory.supervisor(acme))
    assert client.get("/supervisor/tiles.json?client=globex").status_code == 404
    assert client.get("/supervisor/tiles.json?client=acme").status_code == 200


def test_an_admin_picks_the_client_and_an_unknown_one_is_404(client, factory, board):
    login(client, factory.admin(timezone=ZONE))
    acme = client.get("/supervisor/tiles.json?client=acme").get_json()
    assert (acme["client"], acme["open"], acme["breaches_today"]) == ("acme", 4, 1)
    every = client.get("/supervisor/tiles.json").get_json()
    assert (every["client"], every["open"], every["waiting"]) == (None, 5, 3)
    assert every["breaches_today"] == 2
    missing = client.get("/supervisor/tiles.json?client=nope")
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


def test_the_admins_dashboard_asks_for_the_chosen_clients_tiles(client, factory, board):
    login(client, factory.admin())
    html = client.get("/supervisor/tickets?client=acme").get_data(as_text=True)
    assert 'data-url="/supervisor/tiles.json?client=acme"' in html


def test_agents_and_customers_get_404_and_strangers_401(client, ana, kei):
    anonymous = client.get("/supervisor/tiles.json", headers={"Accept": "application/json"})
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["code"] == "unauthorized"
    for outsider in (ana, kei):
        login(client, outsider)
        assert client.get("/supervisor/tiles.json").status_code == 404
        client.post("/logout")
