"""Routing use cases: intake, queue, pickup, handoff, taking, presence."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.models import Ticket, User
from helpdesk.serializers import ticket_json
from helpdesk.services import routing
from helpdesk.services.errors import Conflict

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@pytest.fixture
def world(factory):
    """acme; Krakow on shift now (Monday 16:00 local); Lisbon only on Tuesdays."""
    acme = factory.client("acme", default_locale="pl")
    krakow = factory.site(
        "krakow", timezone="Europe/Warsaw", shifts={d: ["08:00-17:00"] for d in WEEKDAYS}
    )
    lisbon = factory.site("lisbon", timezone="Europe/Lisbon", shifts={"tue": ["09:00-17:00"]})
    return acme, krakow, lisbon


def agent(factory, client, site, **kw):
    kw.setdefault("presence", "online")
    return factory.agent([client], site=site, **kw)


def test_a_ticket_goes_to_an_agent_on_shift_who_speaks_the_language(factory, world):
    acme, krakow, _ = world
    ola = agent(factory, acme, krakow, languages=("pl",), name="Ola")
    agent(factory, acme, krakow, languages=("en",))
    ticket = factory.ticket(acme)
    assert ticket.assignee_id == ola.id
    assert ticket.site_id == krakow.id
    routed = next(e for e in ticket.events if e.kind == "routed")
    assert routed.data["code"] == "assigned"
    assert routed.data["summary"]["eligible"] == 1
    assert "Ola" in ticket_json(ticket)["routing"]["reason"]


def test_with_nobody_available_the_ticket_waits_for_the_next_shift(factory, world, now):
    acme, krakow, lisbon = world
    agent(factory, acme, krakow, languages=("en",))  # on shift but no Portuguese
    agent(factory, acme, lisbon, languages=("pt",))
    ticket = factory.ticket(acme, locale="pt-BR")
    assert ticket.assignee_id is None
    assert ticket.site_id == lisbon.id
    # Tuesday 09:00 in Lisbon (WET, UTC+0).
    assert ticket.expected_pickup_at == datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    body = ticket_json(ticket)["routing"]
    assert body["site"] == "lisbon" and body["expected_pickup_at"] == "2026-03-10T09:00:00Z"


def test_nobody_who_could_ever_take_it_is_said_plainly(factory, world):
    acme, krakow, _ = world
    agent(factory, acme, krakow, languages=("en",))
    ticket = factory.ticket(acme, locale="ja")
    assert ticket.routing_note["code"] == "no_coverage"
    assert ticket.expected_pickup_at is None


def test_two_agents_taking_one_ticket_at_once_one_wins(app, factory, world):
    acme, krakow, _ = world
    ticket = factory.ticket(acme, locale="ja")  # nobody speaks Japanese: it waits
    takers = [agent(factory, acme, krakow).id for _ in range(2)]
    outcomes = []
    barrier = threading.Barrier(2)

    def take(agent_id):
        with app.app_context():
            me = db.session.get(User, agent_id)
            mine = db.session.get(Ticket, ticket.id)
            barrier.wait()
            try:
                routing.take_ticket(db.session, mine, me, now=datetime.now(UTC))
                outcomes.append("won")
            except Conflict as exc:
                outcomes.append(exc.code)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=take, args=(a,)) for a in takers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["already_taken", "won"]
    db.session.refresh(ticket)
    assert ticket.assignee_id in takers


def test_agents_and_their_loads_come_from_one_query(factory, world):
    acme, krakow, _ = world
    for _ in range(5):
        agent(factory, acme, krakow, languages=("pl", "en"), skills=("billing",))
    statements = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        views, sites = routing.agent_views(db.session, client_id=acme.id)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert len(statements) == 1
    assert len(views) == 5 and sites == {"krakow": krakow.id}
    assert views[0].languages == {"pl", "en"} and views[0].clients == {acme.id}


def test_the_candidates_of_a_filing_are_found_without_reading_the_customers(factory, world):
    # Customers are most of the users table and grow with every new requester: the query
    # for a filing's candidates must reach agents by index, never by a scan of users.
    acme, krakow, _ = world
    ola = agent(factory, acme, krakow, languages=("pl",))
    everywhere = agent(factory, acme, krakow, languages=("pl",), serves_all_clients=True)
    need = routing.Need(client_id=acme.id, locale="pl", skill=None, priority="normal")
    views, _ = routing.agent_views(db.session, client_id=acme.id, need=need)
    assert {v.id for v in views} == {ola.id, everywhere.id}
    if db.engine.dialect.name != "sqlite":
        return
    seen: list = []
    note = lambda _c, _cur, statement, params, *_: seen.append((statement, params))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", note)
    try:
        routing.agent_views(db.session, client_id=acme.id, need=need)
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    [(statement, params)] = seen
    plan = db.session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
    assert not [row for row in plan if row[-1].startswith("SCAN users")]
