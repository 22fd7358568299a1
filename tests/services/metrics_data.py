"""The hand-computed ten-ticket fixture of the metrics tests, stored as rows with known times.

March 2026 in America/New_York (DST starts Sunday March 8). Each row says what the
metrics must make of it; the expected figures are worked out by hand in EXPECTED.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from helpdesk.models import Client, Site, SlaClock, Ticket, User

NY = ZoneInfo("America/New_York")
# When the figures are read: April 2, 12:00 UTC.
SEEN_AT = datetime(2026, 4, 2, 12, 0, tzinfo=UTC)
PAST = SEEN_AT - timedelta(hours=1)  # due before SEEN_AT: an unrecorded breach
FUTURE = SEEN_AT + timedelta(days=1)  # not yet due: running


def ny(*args) -> datetime:
    """An instant given as New York wall-clock time."""
    return datetime(*args, tzinfo=NY).astimezone(UTC)


# (number, created (NY), priority, channel, locale, status, assigned, clocks)
# clocks: (metric, cycle, state, business_minutes, due_at or None)
TICKETS = [
    (1, ny(2026, 3, 2, 10, 0), "high", "portal", "en", "solved", True,
     [("first_response", 1, "hit", 10.0, None), ("resolution", 1, "hit", 100.0, None)]),
    (2, ny(2026, 3, 3, 11, 0), "normal", "email", "en", "solved", True,
     [("first_response", 1, "hit", 20.0, None), ("resolution", 1, "hit", 200.0, None)]),
    (3, ny(2026, 3, 5, 9, 0), "normal", "email", "ja", "closed", False,
     [("first_response", 1, "hit", 30.0, None), ("next_response", 1, "hit", 15.0, None),
      ("next_response", 2, "missed", 45.0, None), ("resolution", 1, "missed", 300.0, None)]),
    (4, ny(2026, 3, 9, 14, 0), "urgent", "chat", "en", "open", False,
     [("first_response", 1, "missed", 40.0, None), ("resolution", 1, "active", None, FUTURE)]),
    (5, ny(2026, 3, 10, 8, 0), "low", "api", "fr", "pending", False,
     [("first_response", 1, "hit", 50.0, None), ("next_response", 1, "active", None, PAST),
      ("resolution", 1, "active", None, None)]),
    (6, ny(2026, 3, 12, 16, 0), "normal", "portal", "en", "new", False,
     [("first_response", 1, "active", None, FUTURE), ("resolution", 1, "active", None, FUTURE)]),
    (7, ny(2026, 3, 15, 7, 0), "normal", "portal", "en", "new", False,
     [("first_response", 1, "active", None, PAST), ("resolution", 1, "active", None, FUTURE)]),
    (8, ny(2026, 3, 20, 12, 0), "high", "portal", "ja", "solved", False,
     [("first_response", 1, "cancelled", None, None), ("resolution", 1, "hit", 60.0, None)]),
    # 23:30 on the last day of the month, New York time: April 1 03:30 UTC, still March.
    (9, ny(2026, 3, 31, 23, 30), "normal", "api", "en", "open", False,
     [("first_response", 1, "hit", 60.0, None), ("resolution", 1, "active", None, FUTURE)]),
    # 00:10 on the first day: March 1 05:10 UTC.
    (10, ny(2026, 3, 1, 0, 10), "high", "email", "en", "solved", False,
     [("first_response", 1, "hit", 70.0, None), ("resolution", 1, "hit", 400.0, None)]),
]  # fmt: skip
# Just outside the period on either side: April 1 00:00 and February 28 23:59 New York time.
OUTSIDE = [(11, ny(2026, 4, 1, 0, 0)), (12, ny(2026, 2, 28, 23, 59))]

EXPECTED = {
    "tickets": 10,
    "solved": 5,  # 1, 2, 3 (closed), 8, 10
    "backlog": {"new": 2, "open": 2, "pending": 1},
    # Ages at SEEN_AT: ticket 9 is 1 d 8.5 h old; 4, 5, 6 and 7 are older than a week.
    "backlog_by_age": {"under_1d": 0, "1d_to_3d": 1, "3d_to_7d": 0, "7d_or_more": 4},
    # 10 20 30 40 50 60 70: median rank 3 -> 40; p90 rank 5.4 -> 60 + 0.4 * 10 = 64.
    # Met: 1 2 3 5 9 10; missed: 4 (recorded), 7 (active and past due); 6 running, 8 cancelled.
    "first_response": {"count": 7, "median": 40.0, "p90": 64.0, "met": 6, "missed": 2},
    # 15 45: median 15 + 0.5 * 30 = 30; p90 15 + 0.9 * 30 = 42. Missed: 3/2 and 5/1 (past due).
    "next_response": {"count": 2, "median": 30.0, "p90": 42.0, "met": 1, "missed": 2},
    # 60 100 200 300 400: median 200; p90 rank 3.6 -> 300 + 0.6 * 100 = 360.
    "resolution": {"count": 5, "median": 200.0, "p90": 360.0, "met": 4, "missed": 1},
    "breaches": 5,
}


@dataclass
class MetricsWorld:
    """The fixture's clients, people and tickets by number."""

    client: Client
    other: Client
    supervisor: User
    other_supervisor: User
    agent: User
    site: Site
    tickets: dict[int, Ticket]


def _ticket(session, client, requester, number, created, **kw) -> Ticket:
    ticket = Ticket(
        client=client,
        number=number,
        subject=kw.pop("subject", f"Ticket {number}"),
        body="Body",
        status=kw.pop("status", "new"),
        priority=kw.pop("priority", "normal"),
        channel=kw.pop("channel", "portal"),
        locale=kw.pop("locale", "en"),
        requester=requester,
        created_at=created,
        updated_at=created,
        **kw,
    )
    session.add(ticket)
    return ticket


def _clock(ticket, metric, cycle, state, minutes, due_at) -> SlaClock:
    start = ticket.created_at + timedelta(minutes=cycle - 1)
    fulfilled = None if minutes is None else start + timedelta(minutes=minutes)
    if due_at is None and state in ("hit", "missed"):
        due_at = start + timedelta(minutes=35) if state == "hit" else start + timedelta(minutes=5)
    return SlaClock(
        ticket=ticket,
        client_id=ticket.client.id,
        metric=metric,
        cycle=cycle,
        state=state,
        target_minutes=60,
        started_at=start,
        pauses=[],
        due_at=due_at,
        fulfilled_at=fulfilled,
        breached_at=due_at if state == "missed" else None,
        business_minutes=minutes,
    )


def build(session, factory) -> MetricsWorld:
    """Store the ten tickets (and the two just outside, and one of another client)."""
    client = factory.client("acme", timezone="America/New_York")
    other = factory.client("globex", timezone="Europe/Paris")
    site = factory.site("manila", timezone="Asia/Manila")
    agent = factory.agent([client], site=site, name="Ana")
    customer = factory.customer(client)
    tickets = {}
    for number, created, priority, channel, locale, status, assigned, clocks in TICKETS:
        ticket = _ticket(
            session,
            client,
            customer,
            number,
            created,
            priority=priority,
            channel=channel,
            locale=locale,
            status=status,
            assignee=agent if assigned else None,
            site=site if assigned else None,
            solved_at=created + timedelta(hours=5) if status in ("solved", "closed") else None,
        )
        session.flush()
        for spec in clocks:
            session.add(_clock(ticket, *spec))
        tickets[number] = ticket
    for number, created in OUTSIDE:
        ticket = _ticket(session, client, customer, number, created, status="solved")
        session.flush()
        session.add(_clock(ticket, "first_response", 1, "missed", 999.0, None))
        tickets[number] = ticket
    stranger = factory.customer(other)
    foreign = _ticket(session, other, stranger, 1, ny(2026, 3, 10, 12, 0), subject="Globex")
    session.flush()
    session.add(_clock(foreign, "first_response", 1, "missed", 5.0, None))
    # Tickets filed later through the services take the next numbers.
    client.ticket_seq, other.ticket_seq = len(tickets), 1
    session.commit()
    return MetricsWorld(
        client=client,
        other=other,
        supervisor=factory.supervisor(client, timezone="America/New_York"),
        other_supervisor=factory.supervisor(other),
        agent=agent,
        site=site,
        tickets=tickets,
    )
