"""SLA clocks through the ticket use cases, the breach scanner and escalation."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from helpdesk.extensions import db
from helpdesk.models import AgentLanguage, SlaClock, SlaTarget, Ticket, TicketEvent
from helpdesk.services import sla, sla_scan
from helpdesk.services.tickets import add_message, solve_as_requester, update_ticket

MIN = timedelta(minutes=1)


@pytest.fixture
def acme(factory):
    """A client with a 24x7 policy (urgent) and a business-hours one (normal)."""
    client = factory.client("acme", escalation=["notify_supervisors", "raise_priority"])
    factory.office_hours_policy(client, holidays=["2026-12-25"])
    return client


WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def clock(ticket, metric, cycle=1):
    return next(c for c in ticket.sla_clocks if c.metric == metric and c.cycle == cycle)


def kinds(ticket):
    return [e.kind for e in ticket.events]


def test_filing_starts_first_response_and_resolution_clocks(factory, acme, now):
    ticket = factory.ticket(acme, priority="urgent")
    assert {(c.metric, c.state) for c in ticket.sla_clocks} == {
        ("first_response", "active"),
        ("resolution", "active"),
    }
    assert clock(ticket, "first_response").due_at == now + 30 * MIN
    assert clock(ticket, "first_response").warn_at == now + 22.5 * MIN
    assert kinds(ticket).count("sla_started") == 2


def test_a_client_without_a_policy_gets_no_clocks(factory):
    ticket = factory.ticket(factory.client(), priority="urgent")
    assert ticket.sla_clocks == []


def test_business_hours_clocks_use_the_calendar(factory, acme):
    # Monday 2026-03-09 15:00Z is 11:00 EDT: 240 business minutes end 15:00 EDT = 19:00Z.
    ticket = factory.ticket(acme, priority="normal")
    assert clock(ticket, "first_response").due_at.isoformat() == "2026-03-09T19:00:00+00:00"


def test_a_public_agent_reply_fulfils_first_response_and_a_note_does_not(factory, acme, now):
    ana = factory.agent([acme])
    ticket = factory.ticket(acme, priority="urgent")
    add_message(
        db.session, ticket=ticket, author=ana, body="looking", internal=True, now=now + 5 * MIN
    )
    assert clock(ticket, "first_response").fulfilled_at is None
    add_message(db.session, ticket=ticket, author=ana, body="on it", now=now + 10 * MIN)
    first = clock(ticket, "first_response")
    assert (first.state, first.fulfilled_at, first.business_minutes) == (
        "hit",
        now + 10 * MIN,
        10.0,
    )


def test_a_customer_message_after_a_reply_starts_next_response(factory, acme, now):
    ana = factory.agent([acme])
    ticket = factory.ticket(acme, priority="urgent")
    add_message(db.session, ticket=ticket, author=ana, body="hi", now=now + 5 * MIN)
    add_message(db.session, ticket=ticket, author=ticket.requester, body="more", now=now + 20 * MIN)
    add_message(db.session, ticket=ticket, author=ticket.requester, body="and", now=now + 25 * MIN)
    nxt = [c for c in ticket.sla_clocks if c.metric == "next_response"]
    assert len(nxt) == 1
    assert nxt[0].started_at == now + 20 * MIN
    assert nxt[0].due_at == now + 80 * MIN
    add_message(db.session, ticket=ticket, author=ana, body="done", now=now + 100 * MIN)
    assert (nxt[0].state, nxt[0].business_minutes) == ("missed", 80.0)


def test_pending_pauses_and_the_due_time_moves_by_the_paused_time(factory, acme, now):
    ana = factory.agent([acme])
    ticket = factory.ticket(acme, priority="urgent")
    update_ticket(db.session, ticket=ticket, actor=ana, status="pending", now=now + 10 * MIN)
    first = clock(ticket, "first_response")
    assert (first.due_at, first.paused_since) == (None, now + 10 * MIN)
    # The customer answers 50 minutes later: the ticket reopens and the clocks resume.
    add_message(db.session, ticket=ticket, author=ticket.requester, body="here", now=now + 60 * MIN)
    assert ticket.status == "open"
    assert first.due_at == now + 80 * MIN
    assert first.paused_since is None
    assert "sla_paused" in kinds(ticket) and "sla_resumed" in kinds(ticket)


def test_solving_fulfils_resolution_and_reopening_resumes_it(factory, acme, now):
    ana = factory.agent([acme])
    ticket = factory.ticket(acme, priority="urgent")
    add_message(db.session, ticket=ticket, author=ana, body="fixed", now=now + 10 * MIN)
    update_ticket(db.session, ticket=ticket, actor=ana, status="solved", now=now + 60 * MIN)
    resolution = clock(ticket, "resolution")
    assert (resolution.state, resolution.business_minutes) == ("hit", 60.0)
    add_message(
        db.session, ticket=ticket, author=ticket.requester, body="not fixed", now=now + 120 * MIN
    )
    assert (resolution.state, resolution.fulfilled_at) == ("active", None)
    # 60 minutes used before solving; the solved hour does not count: due at 120 + 180.
    assert resolution.due_at == now + 300 * MIN


def test_a_priority_change_recomputes_due_times_from_the_original_start(factory, acme, now):
    ana = factory.agent([acme])
    ticket = factory.ticket(acme, priority="high")
    assert clock(ticket, "first_response").due_at == now + 60 * MIN
    update_ticket(db.session, ticket=ticket, actor=ana, priority="urgent", now=now + 5 * MIN)
    assert clock(ticket, "first_response").due_at == now + 30 * MIN
    assert clock(ticket, "first_response").target_minutes == 30
    assert "sla_recomputed" in kinds(ticket)


def test_the_scan_writes_each_warning_and_breach_once(factory, acme, now):
    ticket = factory.ticket(acme, priority="urgent")
    assert sla_scan.scan(db.session, now=now + 20 * MIN).warnings == []
    first = sla_scan.scan(db.session, now=now + 23 * MIN)
    assert len(first.warnings) == 1 and first.breaches == []
    assert sla_scan.scan(db.session, now=now + 24 * MIN).warnings == []
    breach = sla_scan.scan(db.session, now=now + 31 * MIN)
    assert len(breach.breaches) == 1
    assert sla_scan.scan(db.session, now=now + 32 * MIN).breaches == []
    db.session.refresh(ticket)
    assert kinds(ticket).count("sla_warning") == 1
    assert kinds(ticket).count("sla_breach") == 1
    assert clock(ticket, "first_response").state == "missed"


def test_a_breach_escalates_as_the_client_configured(factory, acme, now):
    ticket = factory.ticket(acme, priority="high")
    sla_scan.scan(db.session, now=now + 61 * MIN)
    db.session.refresh(ticket)
    assert ticket.priority == "urgent"
    escalations = [e.data["action"] for e in ticket.events if e.kind == "escalated"]
    assert escalations == ["notify_supervisors", "raise_priority"]
    # The resolution clock now runs on the urgent target from the original start.
    assert clock(ticket, "resolution").due_at == now + 240 * MIN


def test_a_client_that_chose_no_escalation_gets_none_on_a_breach(factory, acme, now):
    acme.escalation = []  # the console's escalation boxes all unticked
    factory.session.commit()
    ticket = factory.ticket(acme, priority="high")
    sla_scan.scan(db.session, now=now + 61 * MIN)
    db.session.refresh(ticket)
    assert ticket.priority == "high"
    assert not [e for e in ticket.events if e.kind == "escalated"]


@pytest.fixture
def rerouting(factory):
    """A client whose breaches reroute (normal: 10 minutes to respond), and a 24x7 site."""
    client = factory.client(escalation=["reroute"])
    factory.session.add(
        SlaTarget(
            client=client, priority="normal", first_response=10, next_response=10, resolution=100
        )
    )
    factory.session.commit()
    return client, factory.site("anywhere", shifts={d: ["00:00-23:59"] for d in WEEK})


def test_reroute_escalation_routes_the_ticket_again_without_its_owner(factory, now, rerouting):
    client, anywhere = rerouting
    ana = factory.agent([client], name="Ana", site=anywhere, presence="online")
    ticket = factory.ticket(client)
    assert ticket.assignee_id == ana.id
    bo = factory.agent([client], name="Bo", site=anywhere, presence="online")
    sla_scan.scan(db.session, now=now + 11 * MIN)
    db.session.refresh(ticket)
    assert ticket.assignee_id == bo.id
    escalated = next(e for e in ticket.events if e.kind == "escalated")
    assert escalated.data["from_assignee"] == ana.id and escalated.data["to_assignee"] == bo.id
    handed = next(e for e in ticket.events if e.kind == "handed_off")
    assert (handed.data["old"], handed.data["new"], handed.data["cause"]) == (
        ana.id,
        bo.id,
        "reroute",
    )


def test_reroute_escalation_keeps_the_owner_when_nobody_else_can_take_it(factory, now, rerouting):
    client, anywhere = rerouting
    ana = factory.agent([client], name="Ana", site=anywhere, presence="online")
    ticket = factory.ticket(client)
    factory.agent([client], name="Bo", site=anywhere, presence="away")
    sla_scan.scan(db.session, now=now + 11 * MIN)
    db.session.refresh(ticket)
    assert ticket.assignee_id == ana.id
    escalated = next(e for e in ticket.events if e.kind == "escalated")
    assert escalated.data["skipped"] == "nobody else available"
    assert "handed_off" not in [e.kind for e in ticket.events]


def test_after_a_reroute_the_old_owner_picks_up_waiting_work(factory, now, rerouting):
    client, anywhere = rerouting
    ana = factory.agent([client], name="Ana", site=anywhere, presence="online", capacity=1)
    first = factory.ticket(client)
    waiting = factory.ticket(client, locale="pl")  # Ana is full: it waits
    assert first.assignee_id == ana.id and waiting.assignee_id is None
    factory.agent([client], name="Bo", site=anywhere, presence="online")
    ana.languages.append(AgentLanguage(language="pl"))
    db.session.commit()
    sla_scan.scan(db.session, now=now + 11 * MIN)
    db.session.expire_all()
    assert db.session.get(Ticket, first.id).assignee_id != ana.id
    assert db.session.get(Ticket, waiting.id).assignee_id == ana.id


def test_paused_clocks_never_breach(factory, acme, now):
    ana = factory.agent([acme])
    ticket = factory.ticket(acme, priority="urgent")
    update_ticket(db.session, ticket=ticket, actor=ana, status="pending", now=now + 1 * MIN)
    assert sla_scan.scan(db.session, now=now + 10_000 * MIN).breaches == []


def test_concurrent_scanners_write_each_breach_once(app, factory, acme, now):
    tickets = [factory.ticket(acme, priority="urgent") for _ in range(5)]
    results = []

    def scanner():
        with app.app_context():
            results.append(sla_scan.scan(db.session, now=now + 31 * MIN))
            db.session.remove()

    threads = [threading.Thread(target=scanner) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    breaches = sum(len(r.breaches) for r in results)
    assert breaches == len(tickets)  # only the 30-minute first-response clocks are due
    events = db.session.scalars(select(TicketEvent).where(TicketEvent.kind == "sla_breach")).all()
    assert len(events) == breaches
    assert len({e.ticket_id for e in events}) == len(tickets)
    missed = db.session.scalars(select(SlaClock).where(SlaClock.state == "missed")).all()
    assert len(missed) == breaches


def test_a_long_chat_never_loads_every_past_clock(factory, acme, now):
    ana = factory.agent([acme])
    ticket = factory.ticket(acme, priority="urgent")
    for i in range(4):
        add_message(db.session, ticket=ticket, author=ana, body="a", now=now + (2 * i) * MIN)
        add_message(
            db.session,
            ticket=ticket,
            author=ticket.requester,
            body="c",
            now=now + (2 * i + 1) * MIN,
        )
    ticket_id = ticket.id
    db.session.expunge_all()
    fresh = db.session.get(Ticket, ticket_id)
    add_message(
        db.session,
        ticket=fresh,
        author=db.session.get(type(ana), ana.id),
        body="a",
        now=now + 20 * MIN,
    )
    add_message(db.session, ticket=fresh, author=fresh.requester, body="c", now=now + 21 * MIN)
    assert "sla_clocks" not in fresh.__dict__  # answered from indexed queries
    cycles = db.session.scalars(
        select(SlaClock.cycle)
        .where(SlaClock.ticket_id == ticket_id, SlaClock.metric == "next_response")
        .order_by(SlaClock.cycle)
    ).all()
    assert cycles == [1, 2, 3, 4, 5]
    assert fresh.next_due_at == now + 81 * MIN  # the live 5th cycle: 60 minutes from 21


def test_targets_are_read_once_per_transaction_and_afresh_after_it(db_session, acme):
    statements = []

    def counted(_conn, _cursor, statement, *_args):
        if "FROM sla_targets" in statement:
            statements.append(statement)

    db_session.commit()
    event.listen(db.engine, "before_cursor_execute", counted)
    try:
        first = sla.policy_target(db_session, acme.id, "urgent")
        assert sla.policy_target(db_session, acme.id, "urgent") is first
        assert len(statements) == 1
        first.first_response = 15
        db_session.commit()
        assert sla.policy_target(db_session, acme.id, "urgent").first_response == 15
        assert len(statements) == 2
        assert sla.policy_target(db_session, acme.id, "normal") is not first
    finally:
        event.remove(db.engine, "before_cursor_execute", counted)


def test_a_ticket_the_customer_solves_fulfils_resolution_as_an_agents_would(factory, acme, now):
    ticket = factory.ticket(acme, priority="urgent")
    solve_as_requester(db.session, ticket=ticket, customer=ticket.requester, now=now + 45 * MIN)
    resolution = clock(ticket, "resolution")
    assert (resolution.state, resolution.fulfilled_at) == ("hit", now + 45 * MIN)
