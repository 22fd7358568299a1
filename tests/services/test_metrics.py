"""Metrics by SQL aggregates: hand-computed figures, local periods, breakdowns, drill-down."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from helpdesk.domain.metrics import (
    METRICS,
    P50,
    P90,
    ClockFacts,
    Period,
    TicketFacts,
    percentile,
    summarize,
)
from helpdesk.models import Calendar, SlaClock, SlaTarget, Ticket
from helpdesk.services import metrics, metrics_drill
from helpdesk.services.metrics import Drill, Scope
from helpdesk.services.tickets import NewTicket, add_message, create_ticket
from tests.services.metrics_data import EXPECTED, SEEN_AT, build, ny

MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def world(db_session, factory):
    """The ten hand-computed tickets of March 2026 (New York), and their neighbours."""
    return build(db_session, factory)


def scope_of(client, first=MARCH[0], last=MARCH[1], tz="America/New_York", now=SEEN_AT):
    return Scope(client=client, period=Period(first, last, tz), now=now)


def numbers(world, page) -> list[int]:
    by_id = {t.id: n for n, t in world.tickets.items()}
    return sorted(by_id[item["id"]] for item in page.items)


def test_the_ten_tickets_give_the_hand_computed_figures(db_session, world):
    head = metrics.summary(db_session, scope_of(world.client))
    assert head.tickets == EXPECTED["tickets"]
    assert head.solved == EXPECTED["solved"]
    assert head.backlog == EXPECTED["backlog"]
    assert head.backlog_by_age == EXPECTED["backlog_by_age"]
    assert head.breaches == EXPECTED["breaches"]
    for metric in METRICS:
        want, got = EXPECTED[metric], head.metrics[metric]
        assert got.count == want["count"], metric
        assert got.median_minutes == pytest.approx(want["median"], abs=1e-9), metric
        assert got.p90_minutes == pytest.approx(want["p90"], abs=1e-9), metric
        assert (got.met, got.missed) == (want["met"], want["missed"]), metric
    assert head.metrics["first_response"].attainment == 0.75
    assert head.metrics["next_response"].attainment == pytest.approx(1 / 3)
    assert head.metrics["resolution"].attainment == 0.8


def test_the_sql_figures_equal_the_pure_reference_to_the_last_bit(db_session, world):
    scope = scope_of(world.client)
    rows = db_session.execute(
        select(Ticket.id, Ticket.created_at, Ticket.status).where(
            Ticket.client_id == world.client.id
        )
    ).all()
    clocks = db_session.execute(
        select(
            SlaClock.ticket_id,
            SlaClock.metric,
            SlaClock.state,
            SlaClock.due_at,
            SlaClock.business_minutes,
        ).where(SlaClock.client_id == world.client.id)
    ).all()
    reference = summarize(
        scope.period,
        [TicketFacts(*r) for r in rows],
        [ClockFacts(*c) for c in clocks],
        now=SEEN_AT,
    )
    assert metrics.summary(db_session, scope) == reference


def test_a_ticket_at_2330_local_on_the_last_day_counts_in_that_month(db_session, world):
    march = metrics.summary(db_session, scope_of(world.client))
    april = metrics.summary(db_session, scope_of(world.client, date(2026, 4, 1), date(2026, 4, 30)))
    assert march.tickets == 10
    assert april.tickets == 1  # only ticket 11, created April 1 00:00 New York time
    # Read in UTC, ticket 9 (April 1 03:30Z) moves to April and ticket 12 (March 1 04:59Z)
    # into March.
    utc_march = metrics.summary(db_session, scope_of(world.client, tz="UTC"))
    assert utc_march.tickets == 10
    page = metrics_drill.drill_down(db_session, scope_of(world.client, tz="UTC"), Drill())
    assert 9 not in numbers(world, page) and 12 in numbers(world, page)


def test_the_dst_month_is_an_hour_short_and_starts_and_ends_at_local_midnight():
    period = Period(*MARCH, "America/New_York")
    assert period.start == datetime(2026, 3, 1, 5, tzinfo=UTC)  # EST
    assert period.end == datetime(2026, 4, 1, 4, tzinfo=UTC)  # EDT
    assert period.end - period.start == timedelta(days=31) - timedelta(hours=1)


def test_breakdowns_split_the_figures_by_priority_site_and_agent(db_session, world):
    scope = scope_of(world.client)
    by_priority = {row.value: row for row in metrics.breakdown(db_session, scope, "priority")}
    assert {p: r.tickets for p, r in by_priority.items()} == {
        "normal": 5,
        "high": 3,
        "urgent": 1,
        "low": 1,
    }
    high = by_priority["high"]
    assert high.solved == 3
    # Tickets 1 and 10 answered in 10 and 70 minutes; ticket 8's clock was cancelled.
    assert high.metrics["first_response"].median_minutes == 40.0
    assert high.metrics["first_response"].p90_minutes == pytest.approx(64.0)
    assert high.metrics["resolution"].count == 3  # 100, 60, 400
    assert high.metrics["resolution"].median_minutes == 100.0
    assert by_priority["normal"].breaches == 3  # 3's next response and resolution, 7's reply
    sites = metrics.breakdown(db_session, scope, "site")
    assert [(r.value, r.label, r.tickets) for r in sites] == [
        (None, None, 8),
        ("manila", "Manila", 2),
    ]
    agents = metrics.breakdown(db_session, scope, "agent")
    assert [(r.value, r.label, r.tickets) for r in agents] == [
        (None, None, 8),
        (world.agent.id, "Ana", 2),
    ]
    assert sum(r.tickets for r in metrics.breakdown(db_session, scope, "locale")) == 10


def test_heatmap_and_trend_read_creation_times_in_the_chosen_zone(db_session, world):
    scope = scope_of(world.client)
    grid = metrics.heatmap(db_session, scope)
    assert sum(map(sum, grid)) == 10
    assert grid[1][23] == 1  # ticket 9: Tuesday March 31, 23:30
    assert grid[6][0] == 1  # ticket 10: Sunday March 1, 00:10
    assert grid[0][14] == 1  # ticket 4: Monday March 9, 14:00 EDT (18:00Z)
    days = metrics.trend(db_session, scope)
    assert len(days) == 31 and days[0].day == date(2026, 3, 1)
    assert (days[0].tickets, days[0].solved) == (1, 1)
    assert (days[-1].tickets, days[-1].solved) == (1, 0)
    assert sum(d.tickets for d in days) == 10 and sum(d.solved for d in days) == 5


@pytest.mark.parametrize(
    "tz, utc, weekday, hour",
    [
        # 18:29Z is 23:59 in Kolkata (+05:30) on Monday; 18:30Z is Tuesday 00:00.
        ("Asia/Kolkata", datetime(2026, 3, 9, 18, 29), 0, 23),
        ("Asia/Kolkata", datetime(2026, 3, 9, 18, 30), 1, 0),
        # Kathmandu is +05:45: 04:14Z is 09:59, 04:15Z is 10:00.
        ("Asia/Kathmandu", datetime(2026, 3, 9, 4, 14), 0, 9),
        ("Asia/Kathmandu", datetime(2026, 3, 9, 4, 15), 0, 10),
        # Chatham is +13:45 in March (DST): 10:15Z Monday is 00:00 Tuesday.
        ("Pacific/Chatham", datetime(2026, 3, 9, 10, 15), 1, 0),
    ],
)
def test_the_heatmap_is_exact_in_half_and_quarter_hour_zones(
    db_session, factory, tz, utc, weekday, hour
):
    client = factory.client(timezone=tz)
    customer = factory.customer(client)
    db_session.add(
        Ticket(client=client, number=1, subject="s", body="b", channel="api", locale="en",
               requester=customer, created_at=utc.replace(tzinfo=UTC))
    )  # fmt: skip
    db_session.commit()
    scope = scope_of(client, date(2026, 3, 1), date(2026, 3, 31), tz=tz)
    grid = metrics.heatmap(db_session, scope)
    assert grid[weekday][hour] == 1 and sum(map(sum, grid)) == 1
    page = metrics_drill.drill_down(db_session, scope, Drill(weekday=weekday, hour=hour))
    assert page.total == 1


def test_every_figure_drills_down_to_the_tickets_behind_it(db_session, world):
    scope = scope_of(world.client)

    def drill(**kw):
        return numbers(world, metrics_drill.drill_down(db_session, scope, Drill(**kw)))

    assert drill() == list(range(1, 11))
    assert drill(figure="solved") == [1, 2, 3, 8, 10]
    assert drill(figure="backlog", status="new") == [6, 7]
    assert drill(figure="missed", metric="first_response") == [4, 7]
    assert drill(figure="missed") == [3, 4, 5, 7]  # the breaches
    assert drill(figure="met", metric="next_response") == [3]
    assert drill(figure="responded", metric="resolution") == [1, 2, 3, 8, 10]
    assert drill(priority="high") == [1, 8, 10]
    assert drill(site="manila") == [1, 2]
    assert drill(site=metrics.NONE) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert drill(agent=world.agent.id) == [1, 2]
    assert drill(agent=metrics.NONE) == [3, 4, 5, 6, 7, 8, 9, 10]
    assert drill(day=date(2026, 3, 31)) == [9]
    assert drill(weekday=1, hour=23) == [9]
    page = metrics_drill.drill_down(db_session, scope, Drill(), page=2, per_page=4)
    assert page.total == 10 and len(page.items) == 4
    assert page.items[0]["reference"].startswith("ACME-")


def test_another_clients_tickets_never_count(db_session, world):
    theirs = metrics.summary(db_session, scope_of(world.other))
    assert theirs.tickets == 1 and theirs.breaches == 1
    ours = metrics_drill.drill_down(db_session, scope_of(world.client), Drill(figure="missed"))
    assert all(item["subject"] != "Globex" for item in ours.items)


def test_response_times_are_business_minutes_of_the_policy_calendar(db_session, factory):
    client = factory.client("initech", timezone="America/New_York")
    hours = Calendar(
        name="initech-hours",
        timezone="America/New_York",
        hours={d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    )
    db_session.add_all(
        [
            hours,
            SlaTarget(client=client, priority="normal", first_response=240,
                      next_response=480, resolution=1440, calendar=hours),
        ]
    )  # fmt: skip
    db_session.commit()
    customer = factory.customer(client)
    agent = factory.agent([client])
    friday = ny(2026, 3, 6, 16, 30)
    ticket = create_ticket(
        db_session,
        client=client,
        requester=customer,
        cmd=NewTicket(subject="VPN", body="Down"),
        now=friday,
    )
    # Answered Monday 09:30: 30 business minutes on Friday and 30 on Monday.
    add_message(db_session, ticket=ticket, author=agent, body="On it", now=ny(2026, 3, 9, 9, 30))
    head = metrics.summary(db_session, scope_of(client, now=ny(2026, 3, 9, 10, 0)))
    assert head.metrics["first_response"].median_minutes == pytest.approx(60.0)
    assert (head.metrics["first_response"].met, head.metrics["first_response"].missed) == (1, 0)


_counter = itertools.count(1)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    groups=st.lists(
        st.tuples(
            st.sampled_from(("low", "normal", "high")),
            st.floats(min_value=0, max_value=1e5, allow_nan=False, allow_infinity=False),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_sql_percentiles_equal_percentile_cont_reference_on_random_data(
    db_session, factory, groups
):
    client = factory.client(f"rand{next(_counter)}", timezone="UTC")
    customer = factory.customer(client)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    for i, (priority, minutes) in enumerate(groups):
        ticket = Ticket(client=client, number=i + 1, subject="s", body="b", channel="api",
                        locale="en", priority=priority, requester=customer,
                        created_at=start + timedelta(minutes=i))  # fmt: skip
        db_session.add(ticket)
        db_session.add(
            SlaClock(ticket=ticket, client_id=client.id, metric="first_response", cycle=1,
                     state="hit", target_minutes=60, started_at=ticket.created_at, pauses=[],
                     business_minutes=minutes)
        )  # fmt: skip
    db_session.commit()
    scope = scope_of(client, date(2026, 3, 1), date(2026, 3, 31), tz="UTC")
    head = metrics.summary(db_session, scope).metrics["first_response"]
    values = [m for _, m in groups]
    assert head.median_minutes == percentile(values, P50)
    assert head.p90_minutes == percentile(values, P90)
    for row in metrics.breakdown(db_session, scope, "priority"):
        mine = [m for p, m in groups if p == row.value]
        assert row.metrics["first_response"].median_minutes == percentile(mine, P50)
        assert row.metrics["first_response"].p90_minutes == percentile(mine, P90)
