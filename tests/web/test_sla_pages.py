"""SLA on the pages: queue countdowns and sort, the ticket's clocks, the timeline, the portal."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_datetime
from sqlalchemy import event

from helpdesk.extensions import db
from helpdesk.services import sla_scan
from helpdesk.services.tickets import add_message, update_ticket
from tests.conftest import login

MIN = timedelta(minutes=1)


def real_now() -> datetime:
    """Now to the second: pages count down against the real clock."""
    return datetime.now(UTC).replace(microsecond=0)


def row(response, ticket) -> str:
    """The queue row of a ticket."""
    html = response.get_data(as_text=True)
    match = re.search(rf'<tr data-ticket-id="{ticket.id}"[^>]*>(.*?)</tr>', html, re.S)
    assert match, f"no row for ticket {ticket.id}"
    return match.group(1)


def state_of(fragment: str) -> str | None:
    """The countdown state class in a piece of HTML."""
    match = re.search(r'class="sla sla-(\w+)"', fragment)
    return match.group(1) if match else None


def queue_refs(response) -> list[str]:
    return re.findall(r'<span class="ref">([A-Z0-9-]+)</span>', response.get_data(as_text=True))


def words(fragment: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", fragment).split())


# -- the queue ------------------------------------------------------------------------------------


def test_queue_rows_show_the_most_pressing_clock_coloured_by_its_state(
    client, factory, acme_sla, ana, db_session
):
    start = real_now()
    factory.now = start - 5 * MIN
    ok = factory.ticket(acme_sla, priority="urgent", subject="ok")
    factory.now = start - 25 * MIN
    warning = factory.ticket(acme_sla, priority="urgent", subject="warning")
    factory.now = start - 45 * MIN
    breached = factory.ticket(acme_sla, priority="urgent", subject="breached")
    factory.now = start - 5 * MIN
    paused = factory.ticket(acme_sla, priority="urgent", subject="paused")
    update_ticket(db_session, ticket=paused, actor=ana, status="pending", now=start - 4 * MIN)
    without = factory.ticket(acme_sla, priority="low", subject="no policy")
    login(client, ana)

    response = client.get("/agent/?view=all")

    assert state_of(row(response, ok)) == "ok"
    assert "in 25 minutes" in words(row(response, ok))
    assert state_of(row(response, warning)) == "warning"
    assert "in 5 minutes" in words(row(response, warning))
    assert state_of(row(response, breached)) == "breached"
    assert "15 minutes ago" in words(row(response, breached))
    assert "Overdue" in words(row(response, breached))
    assert state_of(row(response, paused)) == "paused"
    assert "data-due-at" not in row(response, paused)
    assert state_of(row(response, without)) is None
    assert "No SLA running" in words(row(response, without))


def test_a_countdown_carries_what_the_browser_needs_to_keep_it_current(
    client, factory, acme_sla, ana
):
    factory.now = real_now()
    ticket = factory.ticket(acme_sla, priority="urgent")
    first = next(c for c in ticket.sla_clocks if c.metric == "first_response")
    login(client, ana)
    html = client.get("/agent/?view=all").get_data(as_text=True)
    fragment = row(client.get("/agent/?view=all"), ticket)
    assert f'data-due-at="{first.due_at.isoformat()}"' in fragment
    assert f'data-warn-at="{first.warn_at.isoformat()}"' in fragment
    assert 'data-label-breached="Overdue"' in fragment
    assert "First response" in words(fragment)
    assert '<script src="/static/js/countdown.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script


def test_a_breach_the_scanner_recorded_shows_as_breached(client, factory, acme_sla, ana):
    start = real_now()
    factory.now = start - 50 * MIN
    ticket = factory.ticket(acme_sla, priority="high")  # 60-minute first response
    sla_scan.scan(db.session, now=start - MIN)
    login(client, ana)
    assert state_of(row(client.get("/agent/?view=all"), ticket)) == "warning"
    # A scanner whose clock runs ahead records the breach: the page believes the record.
    sla_scan.scan(db.session, now=start + 30 * MIN)
    fragment = row(client.get("/agent/?view=all"), ticket)
    assert state_of(fragment) == "breached"
    assert 'data-state="breached"' in fragment


def test_the_queue_sorts_by_due_time_by_default_with_no_due_time_last(
    client, factory, acme_sla, ana, db_session
):
    start = real_now()
    factory.now = start
    factory.ticket(acme_sla, priority="low")  # ACME-1: no policy, no clock
    factory.ticket(acme_sla, priority="normal")  # ACME-2: 240 business minutes or more
    paused = factory.ticket(acme_sla, priority="urgent")  # ACME-3: paused, no due time
    update_ticket(db_session, ticket=paused, actor=ana, status="pending", now=start)
    factory.ticket(acme_sla, priority="high")  # ACME-4: due in 60 minutes
    factory.now = start - 10 * MIN
    factory.ticket(acme_sla, priority="urgent")  # ACME-5: due in 20 minutes
    login(client, ana)

    by_due = ["ACME-5", "ACME-4", "ACME-2", "ACME-3", "ACME-1"]
    assert queue_refs(client.get("/agent/?view=all")) == by_due
    assert queue_refs(client.get("/agent/?view=all&sort=due")) == by_due
    assert queue_refs(client.get("/agent/?view=all&sort=priority")) == [
        "ACME-5",
        "ACME-3",
        "ACME-4",
        "ACME-2",
        "ACME-1",
    ]
    assert queue_refs(client.get("/agent/?view=all&sort=oldest"))[0] == "ACME-5"


def test_the_sort_is_a_filter_that_pages_keep_and_a_bad_one_is_ignored(
    client, factory, acme_sla, ana
):
    for _ in range(51):
        factory.ticket(acme_sla)
    login(client, ana)
    html = client.get("/agent/?view=all&sort=oldest").get_data(as_text=True)
    assert re.search(r'<select[^>]*name="sort"', html)
    assert 'href="/agent/?page=2&amp;view=all&amp;sort=oldest"' in html
    assert 'href="/agent/?page=2&amp;view=all"' in client.get("/agent/?view=all").get_data(
        as_text=True
    )
    response = client.get("/agent/?view=all&sort=sideways")
    assert response.status_code == 200
    assert "not understood" in response.get_data(as_text=True)


def test_the_queue_loads_the_clocks_of_all_rows_in_one_query(client, factory, acme_sla, ana):
    def queries_for_queue() -> int:
        statements = []

        def count(*_args):
            statements.append(1)

        db.session.expire_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get("/agent/?view=all").status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(statements)

    login(client, ana)
    factory.now = real_now()
    factory.ticket(acme_sla, priority="urgent")
    client.get("/agent/")  # the first page of a visit also records the agent's activity
    few = queries_for_queue()
    for priority in ("urgent", "high", "normal", "low") * 3:
        factory.ticket(acme_sla, requester=factory.customer(acme_sla), priority=priority)
    assert queries_for_queue() == few


# -- the ticket page ------------------------------------------------------------------------------


def test_the_ticket_page_lists_every_clock_with_target_calendar_and_state(
    client, factory, acme_sla, ana, db_session, page_text
):
    start = real_now()
    factory.now = start - 20 * MIN
    ticket = factory.ticket(acme_sla, priority="urgent")
    add_message(db_session, ticket=ticket, author=ana, body="On it", now=start - 10 * MIN)
    business = factory.ticket(acme_sla, priority="normal")
    login(client, ana)

    response = client.get(f"/agent/tickets/{ticket.id}")
    html = response.get_data(as_text=True)
    card = words(re.search(r'<section class="card side-card sla-card".*?</section>', html, re.S)[0])

    assert "First response Met Target 30 min · 24x7" in card
    assert "Business time 10 min" in card
    assert "Resolution" in card and "240 min · 24x7" in card
    assert "On track in 4 hours" in card  # 220 minutes, rounded to the hour
    assert f'href="/agent/tickets/{ticket.id}/sla"' in html
    assert "acme-hours" in page_text(client.get(f"/agent/tickets/{business.id}"))


def test_a_ticket_without_a_policy_says_no_sla_applies(client, factory, acme, ana, page_text):
    ticket = factory.ticket(acme)
    login(client, ana)
    assert "No SLA applies" in page_text(client.get(f"/agent/tickets/{ticket.id}"))


def test_the_history_describes_sla_events_in_sentences(
    client, factory, acme_sla, ana, db_session, now, page_text
):
    ticket = factory.ticket(acme_sla, priority="high")
    update_ticket(db_session, ticket=ticket, actor=ana, status="pending", now=now + 5 * MIN)
    update_ticket(db_session, ticket=ticket, actor=ana, status="open", now=now + 15 * MIN)
    sla_scan.scan(db.session, now=now + 71 * MIN)
    add_message(db_session, ticket=ticket, author=ana, body="Sorry", now=now + 80 * MIN)
    login(client, ana)  # no zone of her own: times in UTC

    text = page_text(client.get(f"/agent/tickets/{ticket.id}"))

    for sentence in (
        "First response SLA started: 60 min, 24x7 (due 3/9/26, 4:00 PM).",
        "First response SLA paused while waiting for the customer.",
        "First response SLA resumed (due 3/9/26, 4:10 PM).",
        "First response SLA due soon (due 3/9/26, 4:10 PM).",
        "First response SLA breached (due 3/9/26, 4:10 PM).",
        "Escalated: the client's supervisors were notified of the first response breach.",
        "Escalated: the priority was raised to Urgent.",
        "Resolution SLA recomputed for priority Urgent: 240 min (due 3/9/26, 7:10 PM).",
        "First response SLA fulfilled late, after 70 min of business time.",
    ):
        assert sentence in text
    sam = factory.supervisor(acme_sla)
    client.post("/logout")
    login(client, sam)
    assert "First response SLA breached" in page_text(
        client.get(f"/supervisor/tickets/{ticket.id}")
    )


# -- the timeline ---------------------------------------------------------------------------------


@pytest.fixture
def paused_ticket(factory, acme_sla, ana, db_session, now):
    """An urgent ticket (24x7, 30-minute first response) paused ten minutes, answered at +20."""
    ticket = factory.ticket(acme_sla, priority="urgent", subject="Mail is down")
    update_ticket(db_session, ticket=ticket, actor=ana, status="pending", now=now + 5 * MIN)
    add_message(db_session, ticket=ticket, author=ticket.requester, body="?", now=now + 15 * MIN)
    add_message(db_session, ticket=ticket, author=ana, body="Fixed", now=now + 20 * MIN)
    return ticket


def test_the_timeline_shows_business_minutes_for_a_paused_clock(
    client, factory, acme_sla, paused_ticket, page_text
):
    viewer = factory.agent([acme_sla], name="Noor", timezone="America/New_York")
    login(client, viewer)

    response = client.get(f"/agent/tickets/{paused_ticket.id}/sla")

    assert response.status_code == 200
    text = page_text(response)
    first = text[text.index("First response") : text.index("Resolution")]
    assert "Target 30 min of business time" in first
    assert "24x7 (every minute counts)" in first
    assert "Business minutes used 10 min of 30 min" in first
    assert "Paused business minutes 10 min in 1 pause" in first
    # Each event with the time in the viewer's zone and in UTC, who did it and the figures.
    assert "Paused Mar 9, 2026, 11:05:00 AM 2026-03-09 15:05:00 UTC" in first
    assert "Waiting for the customer; 25 min left at the pause" in first
    assert "Resumed Mar 9, 2026, 11:15:00 AM 2026-03-09 15:15:00 UTC" in first
    assert "Paused for 10 min of business time" in first
    assert "Due Mar 9, 2026, 11:40:00 AM" in first
    assert (
        "Fulfilled in time Mar 9, 2026, 11:20:00 AM 2026-03-09 15:20:00 UTC Ana (Agent) 10 20"
        in (first)
    )
    assert "Response after 10 min of business time" in first
    assert "Started Mar 9, 2026, 11:00:00 AM 2026-03-09 15:00:00 UTC Helpdesk (automatic) 0 30" in (
        first
    )


def test_the_timeline_header_names_ticket_client_time_and_zone(
    client, factory, acme_sla, paused_ticket, page_text
):
    viewer = factory.agent([acme_sla], timezone="Asia/Tokyo")
    login(client, viewer)
    html = client.get(f"/agent/tickets/{paused_ticket.id}/sla").get_data(as_text=True)
    head = words(re.search(r'<header class="report-head card">.*?</header>', html, re.S)[0])
    assert paused_ticket.reference in head and "Mail is down" in head
    assert "Client Acme Corp" in head
    assert "Generated" in head and " UTC" in head
    assert "Times shown in Asia/Tokyo and UTC" in head
    assert '<span class="th-sub">Asia/Tokyo · UTC</span>' in html
    # The print button appears only where scripts run; navigation is marked to stay off paper.
    assert re.search(r"<button[^>]*data-print[^>]*hidden", html)
    assert 'class="page-head no-print"' in html


def test_the_timeline_records_the_scanner_breach_and_escalations(
    client, factory, acme_sla, ana, now, page_text
):
    ticket = factory.ticket(acme_sla, priority="high")
    sla_scan.scan(db.session, now=now + 61 * MIN)
    login(client, ana)
    text = page_text(client.get(f"/agent/tickets/{ticket.id}/sla"))
    assert (
        "Breached Mar 9, 2026, 4:01:00 PM 2026-03-09 16:01:00 UTC Helpdesk (automatic) 61 1 over"
        in (text)
    )
    assert "The client's supervisors were notified" in text
    assert "Priority raised to Urgent" in text
    assert "Recomputed" in text and "Priority Urgent: target 240 min" in text


def test_the_timeline_of_running_clocks_counts_down_and_shows_an_open_pause(
    client, factory, acme_sla, ana, db_session, page_text
):
    start = real_now()
    factory.now = start - 10 * MIN
    running = factory.ticket(acme_sla, priority="urgent")
    paused = factory.ticket(acme_sla, priority="urgent")
    update_ticket(db_session, ticket=paused, actor=ana, status="pending", now=start - 4 * MIN)
    login(client, ana)

    html = client.get(f"/agent/tickets/{running.id}/sla").get_data(as_text=True)
    assert [state_of(part) for part in html.split('class="card clock-report"')[1:]] == ["ok", "ok"]
    assert "in 20 minutes" in words(html)
    assert "Business minutes used so far" in words(html)

    text = page_text(client.get(f"/agent/tickets/{paused.id}/sla"))
    assert text.count("Paused: no due time until it resumes") == 2
    assert "of business time so far, 24 min left when it resumes." in text
    card = page_text(client.get(f"/agent/tickets/{paused.id}"))
    assert card.count("Due Paused since") == 2


def test_a_ticket_without_clocks_has_an_empty_timeline(client, factory, acme, ana, page_text):
    ticket = factory.ticket(acme)
    login(client, ana)
    assert "No SLA clocks" in page_text(client.get(f"/agent/tickets/{ticket.id}/sla"))


def test_supervisors_and_admins_open_the_timeline_and_ticket_pages_link_to_it(
    client, factory, acme_sla, sam, paused_ticket, page_text
):
    login(client, sam)
    page = client.get(f"/supervisor/tickets/{paused_ticket.id}")
    assert f'href="/supervisor/tickets/{paused_ticket.id}/sla"' in page.get_data(as_text=True)
    response = client.get(f"/supervisor/tickets/{paused_ticket.id}/sla")
    assert response.status_code == 200
    assert "Paused for 10 min of business time" in page_text(response)
    client.post("/logout")
    login(client, factory.admin())
    assert client.get(f"/supervisor/tickets/{paused_ticket.id}/sla").status_code == 200
    response = client.get(f"/agent/tickets/{paused_ticket.id}/sla")
    assert response.status_code == 200
    # Admins have no agent workspace: the way back leads to the supervisor's ticket page.
    assert f'href="/supervisor/tickets/{paused_ticket.id}"' in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/agent/tickets/{id}/sla", "/supervisor/tickets/{id}/sla"])
def test_a_customer_gets_404_for_the_timeline(client, kei, factory, acme_sla, path):
    ticket = factory.ticket(acme_sla, kei, priority="urgent")
    login(client, kei)
    assert client.get(path.format(id=ticket.id)).status_code == 404


def test_a_supervisor_of_another_client_gets_404_for_the_timeline(
    client, factory, acme_sla, globex
):
    ticket = factory.ticket(acme_sla, priority="urgent")
    login(client, factory.supervisor(globex))
    assert client.get(f"/supervisor/tickets/{ticket.id}/sla").status_code == 404


def test_an_agent_not_serving_the_client_gets_404_for_the_timeline(
    client, factory, acme_sla, globex
):
    ticket = factory.ticket(acme_sla, priority="urgent")
    login(client, factory.agent([globex]))
    assert client.get(f"/agent/tickets/{ticket.id}/sla").status_code == 404


def test_staff_get_404_for_the_other_audiences_timeline(client, factory, acme_sla, ana, sam):
    ticket = factory.ticket(acme_sla, priority="urgent")
    login(client, ana)
    assert client.get(f"/supervisor/tickets/{ticket.id}/sla").status_code == 404
    client.post("/logout")
    login(client, sam)
    assert client.get(f"/agent/tickets/{ticket.id}/sla").status_code == 404


@pytest.mark.parametrize("path", ["/agent/tickets/{id}/sla", "/supervisor/tickets/{id}/sla"])
def test_the_timeline_of_a_missing_ticket_is_404_and_anonymous_visitors_sign_in(
    client, factory, acme, ana, sam, path
):
    assert client.get(path.format(id=1)).status_code == 302
    login(client, ana if path.startswith("/agent") else sam)
    assert client.get(path.format(id=999)).status_code == 404
    assert client.get(path.format(id=2**31)).status_code == 404


# -- the portal -----------------------------------------------------------------------------------


def jst(value: datetime, fmt: str) -> str:
    """The time as an English page shows it in Tokyo (white space as page_text leaves it)."""
    text = format_datetime(value, fmt, tzinfo=ZoneInfo("Asia/Tokyo"), locale="en")
    return " ".join(text.split())


def test_the_customer_sees_the_expected_reply_time_in_their_own_zone(
    client, factory, acme_sla, page_text
):
    customer = factory.customer(acme_sla, timezone="Asia/Tokyo")
    factory.now = real_now()
    ticket = factory.ticket(acme_sla, customer, priority="urgent")
    due = factory.now + 30 * MIN
    login(client, customer)

    text = page_text(client.get(f"/c/acme/tickets/{ticket.id}"))
    assert f"Expected reply by {jst(due, 'medium')}" in text
    assert "Times are shown in Asia/Tokyo." in text
    listing = page_text(client.get("/c/acme/tickets"))
    assert f"Expected reply by {jst(due, 'short')}" in listing
    # Filed 2026-03-09 15:00 UTC, due 15:30 UTC: half past midnight the next day in Tokyo.
    factory.now = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)
    old = factory.ticket(acme_sla, customer, priority="urgent")
    text = page_text(client.get(f"/c/acme/tickets/{old.id}"))
    assert "We aimed to reply by Mar 10, 2026, 12:30:00 AM" in text


def test_a_late_reply_is_admitted_and_a_pending_ticket_waits_for_the_customer(
    client, factory, acme_sla, kei, ana, db_session, now, page_text
):
    late = factory.ticket(acme_sla, kei, priority="urgent")  # due 2026-03-09, long past
    factory.now = real_now()
    waiting = factory.ticket(acme_sla, kei, priority="urgent")
    update_ticket(db_session, ticket=waiting, actor=ana, status="pending", now=factory.now)
    login(client, kei)  # no zone of her own: the client's, New York
    text = page_text(client.get(f"/c/acme/tickets/{late.id}"))
    assert "We aimed to reply by Mar 9, 2026, 11:30:00 AM and are running late." in text
    assert "Waiting for your reply" in page_text(client.get(f"/c/acme/tickets/{waiting.id}"))
    listing = page_text(client.get("/c/acme/tickets"))
    assert "Reply running late" in listing and "Waiting for your reply" in listing


def test_an_answered_ticket_promises_nothing_until_the_customer_writes(
    client, factory, acme_sla, kei, ana, db_session, page_text
):
    factory.now = real_now()
    ticket = factory.ticket(acme_sla, kei, priority="urgent")
    add_message(db_session, ticket=ticket, author=ana, body="Done?", now=factory.now)
    login(client, kei)
    assert "Expected reply" not in page_text(client.get(f"/c/acme/tickets/{ticket.id}"))
    client.post(f"/c/acme/tickets/{ticket.id}", data={"body": "Not yet"})
    assert "Expected reply by" in page_text(client.get(f"/c/acme/tickets/{ticket.id}"))


def test_without_a_policy_the_routing_pickup_time_is_the_promise(
    client, factory, acme, kei, db_session, page_text
):
    ticket = factory.ticket(acme, kei)
    login(client, kei)
    assert "Expected reply" not in page_text(client.get(f"/c/acme/tickets/{ticket.id}"))
    ticket.expected_pickup_at = real_now() + 3 * 60 * MIN
    db_session.commit()
    text = page_text(client.get(f"/c/acme/tickets/{ticket.id}"))
    assert "Expected reply by" in text and "(in 3 hours)" in text
