"""SLA figures for pages: countdown states, the customer's expected reply, the timeline evidence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from helpdesk.extensions import db
from helpdesk.models import SlaClock, Ticket, TicketEvent
from helpdesk.services import sla_scan
from helpdesk.services.sla_report import (
    build_timeline,
    countdown_state,
    expected_reply,
    live_clause,
    live_clocks_by_ticket,
    pressing_clock,
)
from helpdesk.services.tickets import add_message, update_ticket

MIN = timedelta(minutes=1)


@pytest.fixture
def acme(factory):
    """A client with 24x7 urgent and high targets and a business-hours normal one."""
    client = factory.client("acme", escalation=["notify_supervisors", "raise_priority"])
    factory.office_hours_policy(client)
    return client


@pytest.fixture
def ana(factory, acme):
    """An agent serving acme."""
    return factory.agent([acme], name="Ana")


def timeline_of(ticket: Ticket, now: datetime):
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    return build_timeline(ticket, ticket.sla_clocks, ticket.events, now=now)


def clock_of(timeline, metric, cycle=1):
    return next(c for c in timeline.clocks if c.metric == metric and c.cycle == cycle)


def figures(clock) -> list[tuple]:
    return [(e.kind, e.elapsed_minutes, e.remaining_minutes) for e in clock.entries]


def test_a_paused_24x7_clock_shows_the_time_used_left_and_held_at_each_event(
    factory, acme, ana, now
):
    ticket = factory.ticket(acme, priority="urgent")
    update_ticket(db.session, ticket=ticket, actor=ana, status="pending", now=now + 5 * MIN)
    add_message(db.session, ticket=ticket, author=ticket.requester, body="here", now=now + 15 * MIN)
    add_message(db.session, ticket=ticket, author=ana, body="fixed", now=now + 20 * MIN)

    first = clock_of(timeline_of(ticket, now + 60 * MIN), "first_response")

    assert (first.target_minutes, first.calendar_name, first.state) == (30, None, "hit")
    assert figures(first) == [
        ("sla_started", 0.0, 30.0),
        ("sla_paused", 5.0, 25.0),
        ("sla_resumed", 5.0, 25.0),
        ("sla_fulfilled", 10.0, 20.0),
    ]
    resumed = first.entries[2]
    assert resumed.paused_minutes == 10.0
    assert resumed.due_at == now + 40 * MIN
    assert first.entries[1].due_at is None  # paused: no due time
    assert [(p.start, p.end, p.business_minutes, p.remaining_minutes) for p in first.pauses] == [
        (now + 5 * MIN, now + 15 * MIN, 10.0, 25.0)
    ]
    assert (first.elapsed_minutes, first.paused_minutes, first.final) == (10.0, 10.0, True)
    assert first.entries[1].actor_name == "Ana"
    assert first.entries[3].get("state") == "hit"


def test_a_running_clock_reports_the_time_used_so_far(factory, acme, ana, now):
    ticket = factory.ticket(acme, priority="urgent")
    update_ticket(db.session, ticket=ticket, actor=ana, status="pending", now=now + 5 * MIN)
    add_message(db.session, ticket=ticket, author=ticket.requester, body="here", now=now + 15 * MIN)

    resolution = clock_of(timeline_of(ticket, now + 60 * MIN), "resolution")

    assert (resolution.final, resolution.ended_at) == (False, None)
    assert (resolution.elapsed_minutes, resolution.paused_minutes) == (50.0, 10.0)


def test_an_open_pause_counts_its_business_minutes_up_to_the_report(factory, acme, ana, now):
    ticket = factory.ticket(acme, priority="urgent")
    update_ticket(db.session, ticket=ticket, actor=ana, status="pending", now=now + 5 * MIN)

    first = clock_of(timeline_of(ticket, now + 45 * MIN), "first_response")

    (pause,) = first.pauses
    assert (pause.end, pause.business_minutes, pause.remaining_minutes) == (None, 40.0, 25.0)
    assert first.elapsed_minutes == 5.0


def test_a_pause_over_night_holds_only_business_minutes(factory, acme, ana, now):
    # Monday 2026-03-09 15:00Z is 11:00 in New York (EDT); hours are 09:00-17:00.
    ticket = factory.ticket(acme, priority="normal")
    update_ticket(db.session, ticket=ticket, actor=ana, status="pending", now=now + 180 * MIN)
    tuesday_10am = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)
    add_message(db.session, ticket=ticket, author=ticket.requester, body="back", now=tuesday_10am)

    first = clock_of(timeline_of(ticket, tuesday_10am), "first_response")

    assert (first.calendar_name, first.calendar_timezone) == ("acme-hours", "America/New_York")
    paused, resumed = first.entries[1], first.entries[2]
    assert (paused.elapsed_minutes, paused.remaining_minutes) == (180.0, 60.0)
    # Monday 14:00-17:00 and Tuesday 09:00-10:00 local: the night in between is not business time.
    assert resumed.paused_minutes == 240.0
    assert resumed.due_at == datetime(2026, 3, 10, 15, 0, tzinfo=UTC)


def test_a_breach_and_its_escalations_belong_to_the_breached_clock(factory, acme, now):
    ticket = factory.ticket(acme, priority="high")
    sla_scan.scan(db.session, now=now + 45 * MIN)
    sla_scan.scan(db.session, now=now + 61 * MIN)

    timeline = timeline_of(ticket, now + 70 * MIN)
    first = clock_of(timeline, "first_response")
    resolution = clock_of(timeline, "resolution")

    assert [e.kind for e in first.entries] == [
        "sla_started",
        "sla_warning",
        "sla_breach",
        "escalated",
        "escalated",
    ]
    breach = first.entries[2]
    assert (breach.elapsed_minutes, breach.remaining_minutes) == (61.0, -1.0)
    assert breach.actor_name is None  # the scanner, not a person
    assert [e.get("action") for e in first.entries[3:]] == ["notify_supervisors", "raise_priority"]
    assert first.entries[4].get("priority") == "urgent"
    # Raising the priority recomputed the resolution clock on the urgent target.
    assert [(e.kind, e.target_minutes) for e in resolution.entries] == [
        ("sla_started", 480),
        ("sla_recomputed", 240),
    ]
    assert resolution.entries[-1].remaining_minutes == 240 - 61


def test_solving_cancels_a_waiting_next_response_with_its_figures_final(factory, acme, ana, now):
    ticket = factory.ticket(acme, priority="urgent")
    add_message(db.session, ticket=ticket, author=ana, body="hi", now=now + 5 * MIN)
    add_message(db.session, ticket=ticket, author=ticket.requester, body="?", now=now + 10 * MIN)
    update_ticket(db.session, ticket=ticket, actor=ana, status="solved", now=now + 25 * MIN)

    following = clock_of(timeline_of(ticket, now + 90 * MIN), "next_response")

    assert (following.state, following.ended_at, following.final) == (
        "cancelled",
        now + 25 * MIN,
        True,
    )
    assert following.elapsed_minutes == 15.0
    assert [e.kind for e in following.entries] == ["sla_started", "sla_cancelled"]


def test_a_ticket_without_a_policy_has_an_empty_timeline(factory, now):
    ticket = factory.ticket(factory.client(), priority="urgent")
    timeline = timeline_of(ticket, now)
    assert timeline.clocks == ()
    assert (timeline.reference, timeline.generated_at) == (ticket.reference, now)


def test_events_of_other_kinds_and_unknown_clocks_are_left_out(factory, acme, ana, now):
    ticket = factory.ticket(acme, priority="urgent")
    db.session.add(
        TicketEvent(ticket=ticket, kind="sla_breach", at=now, data={"metric": "next_response"})
    )
    db.session.commit()
    timeline = timeline_of(ticket, now)
    kinds = [e.kind for c in timeline.clocks for e in c.entries]
    assert kinds == ["sla_started", "sla_started"]


# -- countdowns -----------------------------------------------------------------------------------


def a_clock(now, **kw) -> SlaClock:
    values = {
        "metric": "first_response",
        "cycle": 1,
        "state": "active",
        "started_at": now - 10 * MIN,
        "warn_at": now + 10 * MIN,
        "due_at": now + 20 * MIN,
        "paused_since": None,
        "fulfilled_at": None,
    }
    values.update(kw)
    return SlaClock(**values)


@pytest.mark.parametrize(
    ("changes", "state"),
    [
        ({}, "ok"),
        ({"warn_at": datetime(2026, 3, 9, 15, 0, tzinfo=UTC)}, "warning"),  # exactly now
        ({"due_at": datetime(2026, 3, 9, 15, 0, tzinfo=UTC)}, "breached"),
        ({"state": "missed"}, "breached"),
        ({"paused_since": datetime(2026, 3, 9, 14, 0, tzinfo=UTC), "due_at": None}, "paused"),
    ],
)
def test_the_countdown_state_of_a_clock(now, changes, state):
    assert countdown_state(a_clock(now, **changes), now) == state


def test_a_breached_clock_stays_breached_while_paused(now):
    clock = a_clock(now, state="missed", due_at=now - 5 * MIN, paused_since=now - MIN)
    assert countdown_state(clock, now) == "breached"


def test_the_pressing_clock_is_the_live_one_due_first_and_paused_ones_come_last(now):
    paused = a_clock(now, metric="resolution", due_at=None, paused_since=now)
    later = a_clock(now, metric="resolution", due_at=now + 90 * MIN)
    sooner = a_clock(now, due_at=now + 30 * MIN)
    met = a_clock(now, due_at=now + MIN, state="hit", fulfilled_at=now)
    assert pressing_clock([paused, later, sooner, met]) is sooner
    assert pressing_clock([paused, met]) is paused
    assert pressing_clock([met]) is None


def test_live_clocks_of_many_tickets_load_in_one_query(factory, acme, ana, now):
    tickets = [factory.ticket(acme, priority="urgent") for _ in range(4)]
    add_message(db.session, ticket=tickets[0], author=ana, body="hi", now=now)
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        clocks = live_clocks_by_ticket(db.session, [t.id for t in tickets])
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert [c.metric for c in clocks[tickets[0].id]] == ["resolution"]
    assert {len(clocks[t.id]) for t in tickets[1:]} == {2}
    only = live_clocks_by_ticket(db.session, [tickets[0].id], metrics=("first_response",))
    assert only == {}


def earliest_live_due():
    """The earliest due time of a ticket's live clocks, computed from the clocks themselves."""
    return (
        select(func.min(SlaClock.due_at))
        .where(SlaClock.ticket_id == Ticket.id, live_clause())
        .correlate(Ticket)
        .scalar_subquery()
    )


def test_tickets_order_by_their_earliest_live_due_time(factory, acme, ana, now):
    normal = factory.ticket(acme, priority="normal")  # 240 business minutes
    urgent = factory.ticket(acme, priority="urgent")  # 30 minutes
    factory.now = now + 5 * MIN
    high = factory.ticket(acme, priority="high")  # 60 minutes from 5 minutes later
    none = factory.ticket(factory.client())
    paused = factory.ticket(acme, priority="urgent")
    update_ticket(db.session, ticket=paused, actor=ana, status="pending", now=now + 6 * MIN)
    order = db.session.scalars(
        select(Ticket.id).order_by(earliest_live_due().nulls_last(), Ticket.id)
    ).all()
    assert order == [urgent.id, high.id, normal.id, none.id, paused.id]
    # The stored next_due_at, which queues sort by, agrees with the clocks.
    stored = db.session.scalars(
        select(Ticket.id).order_by(Ticket.next_due_at.nulls_last(), Ticket.id)
    ).all()
    assert stored == order


# -- the customer's expected reply ----------------------------------------------------------------


def test_the_customer_expects_a_reply_by_the_response_due_time(factory, acme, now):
    ticket = factory.ticket(acme, priority="urgent")
    reply = expected_reply(ticket, ticket.sla_clocks, now=now)
    assert (reply.kind, reply.at) == ("by", now + 30 * MIN)
    late = expected_reply(ticket, ticket.sla_clocks, now=now + 31 * MIN)
    assert (late.kind, late.at) == ("late", now + 30 * MIN)


def test_a_pending_ticket_waits_for_the_customer(factory, acme, ana, now):
    ticket = factory.ticket(acme, priority="urgent")
    update_ticket(db.session, ticket=ticket, actor=ana, status="pending", now=now)
    assert expected_reply(ticket, ticket.sla_clocks, now=now).kind == "waiting"


def test_once_answered_nothing_is_promised_until_the_customer_writes_again(factory, acme, ana, now):
    ticket = factory.ticket(acme, priority="urgent")
    add_message(db.session, ticket=ticket, author=ana, body="hi", now=now + MIN)
    assert expected_reply(ticket, ticket.sla_clocks, now=now + MIN) is None
    add_message(db.session, ticket=ticket, author=ticket.requester, body="?", now=now + 2 * MIN)
    reply = expected_reply(ticket, ticket.sla_clocks, now=now + 2 * MIN)
    assert (reply.kind, reply.at) == ("by", now + 62 * MIN)


def test_without_a_policy_the_routing_pickup_time_stands_in(factory, now):
    ticket = factory.ticket(factory.client())
    assert expected_reply(ticket, [], now=now) is None
    ticket.expected_pickup_at = now + 3 * 60 * MIN
    reply = expected_reply(ticket, [], now=now)
    assert (reply.kind, reply.at) == ("by", now + 180 * MIN)


def test_a_solved_ticket_promises_nothing(factory, acme, ana, now):
    ticket = factory.ticket(acme, priority="urgent")
    update_ticket(db.session, ticket=ticket, actor=ana, status="solved", now=now)
    assert expected_reply(ticket, ticket.sla_clocks, now=now) is None
