"""Follow-the-sun at run time, frozen clock: shift-end handoffs, pickups, presence, idling."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from helpdesk import scheduler
from helpdesk.extensions import db
from helpdesk.models import JobLease, Message, Ticket, TicketEvent, User
from helpdesk.services import follow_the_sun, leases
from helpdesk.services.sla_report import expected_reply
from helpdesk.services.tickets import add_message, update_ticket

IDLE = timedelta(days=2)  # tests of idling pass their own limit
HOLD = timedelta(minutes=5)
ALL_WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY = datetime(2026, 3, 9, tzinfo=UTC)  # the suite's NOW is Monday 15:00 UTC


def at(hh: int, mm: int = 0, ss: int = 0, day: datetime = MONDAY) -> datetime:
    return day.replace(hour=hh, minute=mm, second=ss)


def tick(now: datetime, idle: timedelta = IDLE) -> follow_the_sun.TickResult:
    return follow_the_sun.tick(db.session, now=now, idle=idle, hold=HOLD)


def owner(ticket: Ticket) -> int | None:
    db.session.expire_all()
    return db.session.get(Ticket, ticket.id).assignee_id


def at_once(app, work, count: int = 2) -> list:
    """Run `work` in `count` threads, each with its own session, released together."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(work())
            except Exception as exc:  # re-raised below, in the test's thread
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


@pytest.fixture
def desk(factory):
    """acme; `early` UTC 08:00-16:00 and `late` UTC 16:00-23:00 every day; Ola early, Jan late."""
    acme = factory.client("acme")
    early = factory.site("early", shifts={d: ["08:00-16:00"] for d in ALL_WEEK})
    late = factory.site("late", shifts={d: ["16:00-23:00"] for d in ALL_WEEK})
    ola = factory.agent([acme], name="Ola", site=early, presence="online", last_seen_at=at(15))
    jan = factory.agent([acme], name="Jan", site=late, presence="online", last_seen_at=at(15))
    return acme, early, late, ola, jan


def test_at_shift_end_open_tickets_go_to_the_agent_whose_shift_starts_then(factory, desk):
    acme, _early, _late, ola, jan = desk
    ticket = factory.ticket(acme)
    assert ticket.assignee_id == ola.id
    assert tick(at(15, 59, 30)).handed_off == []  # still on shift
    result = tick(at(16, 0, 20))
    assert result.handed_off == [ticket.id]
    assert owner(ticket) == jan.id
    handed = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "handed_off"
        )
    ).one()
    assert (handed.data["old"], handed.data["new"], handed.data["cause"]) == (
        ola.id,
        jan.id,
        "shift_end",
    )
    note = db.session.scalars(select(Message).where(Message.ticket_id == ticket.id)).one()
    assert note.internal and note.kind == "system"
    assert note.body.startswith("Handed off from Ola to Jan. The shift ended. Assigned to Jan")


def test_a_second_tick_in_the_same_window_moves_nothing_more(factory, desk):
    acme, *_ = desk
    factory.ticket(acme)
    tick(at(15, 59, 30))
    assert len(tick(at(16, 0, 20)).handed_off) == 1
    assert tick(at(16, 0, 50)).handed_off == []


@pytest.mark.parametrize(
    "hours",
    [["08:00-18:00"], ["08:00-16:00", "16:00-20:00"]],
    ids=["own shift overlaps the site's", "back-to-back intervals"],
)
def test_an_owner_still_on_shift_at_the_sites_shift_end_keeps_the_ticket(factory, desk, hours):
    acme, _early, _late, ola, _jan = desk
    ticket = factory.ticket(acme)
    ola.shift_override = {"timezone": "UTC", "hours": {d: hours for d in ALL_WEEK}}
    db.session.commit()
    tick(at(15, 59, 30))
    assert tick(at(16, 0, 20)).handed_off == []
    assert owner(ticket) == ola.id


def test_a_shift_across_midnight_hands_off_the_next_morning(factory):
    acme = factory.client("acme")
    night = factory.site("night", shifts={"mon": ["22:00-06:00"]})
    day = factory.site("day", shifts={"tue": ["06:00-14:00"]})
    factory.now = at(23)
    nora = factory.agent([acme], name="Nora", site=night, presence="online", last_seen_at=at(23))
    dan = factory.agent([acme], name="Dan", site=day, presence="online")
    ticket = factory.ticket(acme)
    assert ticket.assignee_id == nora.id
    tuesday = MONDAY + timedelta(days=1)
    dan.last_seen_at = at(5, 59, day=tuesday)
    nora.last_seen_at = at(5, 59, day=tuesday)
    db.session.commit()
    assert tick(at(5, 59, 30, day=tuesday)).handed_off == []
    assert tick(at(6, 0, 10, day=tuesday)).handed_off == [ticket.id]
    assert owner(ticket) == dan.id


@pytest.mark.parametrize(
    ("saturday", "end_utc"),
    [
        (datetime(2026, 3, 28, tzinfo=UTC), datetime(2026, 3, 29, 4, 0, tzinfo=UTC)),  # to CEST
        (datetime(2026, 10, 24, tzinfo=UTC), datetime(2026, 10, 25, 5, 0, tzinfo=UTC)),  # to CET
    ],
)
def test_a_night_shift_across_a_dst_change_ends_at_its_local_0600(factory, saturday, end_utc):
    acme = factory.client("acme")
    berlin = factory.site("berlin", timezone="Europe/Berlin", shifts={"sat": ["22:00-06:00"]})
    anywhere = factory.site("anywhere", shifts={d: ["00:00-24:00"] for d in ALL_WEEK})
    factory.now = saturday.replace(hour=23)
    ben = factory.agent([acme], name="Ben", site=berlin, presence="online", capacity=9)
    ticket = factory.ticket(acme)
    assert ticket.assignee_id == ben.id
    ada = factory.agent([acme], name="Ada", site=anywhere, presence="online")
    for agent in (ben, ada):
        agent.last_seen_at = end_utc
    db.session.commit()
    assert tick(end_utc - timedelta(seconds=30)).handed_off == []
    assert tick(end_utc + timedelta(seconds=10)).handed_off == [ticket.id]
    assert owner(ticket) == ada.id


def test_with_nobody_eligible_the_ticket_waits_for_the_next_covering_shift(factory, desk):
    acme, _early, late, ola, jan = desk
    factory.office_hours_policy(acme)
    ticket = factory.ticket(acme, priority="urgent")  # 30 minutes around the clock
    jan.presence = "offline"
    db.session.commit()
    tick(at(15, 59, 30))
    assert tick(at(16, 0, 20)).handed_off == [ticket.id]
    db.session.expire_all()
    ticket = db.session.get(Ticket, ticket.id)
    assert ticket.assignee_id is None and ticket.site_id is not None
    # Jan is on shift but offline, so the next pickup is Ola's shift tomorrow at 08:00.
    assert ticket.expected_pickup_at == at(8, day=MONDAY + timedelta(days=1))
    assert ticket.routing_note["code"] == "queued_next_shift"
    # The customer's promise follows the pickup, later than the 30-minute clock.
    promise = expected_reply(ticket, ticket.sla_clocks, now=at(16, 1))
    assert promise.at == ticket.expected_pickup_at


def test_a_mass_handoff_fills_capacity_most_urgent_first_and_queues_the_rest(factory, desk):
    acme, _early, _late, ola, jan = desk
    factory.office_hours_policy(acme)
    ola.capacity = 10
    jan.capacity = 2
    db.session.commit()
    normal = factory.ticket(acme, priority="normal")
    urgent = factory.ticket(acme, priority="urgent")
    high = factory.ticket(acme, priority="high")
    rest = [factory.ticket(acme, priority="normal") for _ in range(3)]
    assert all(t.assignee_id == ola.id for t in [normal, urgent, high, *rest])
    tick(at(15, 59, 30))
    moved = tick(at(16, 0, 20)).handed_off
    assert moved[:2] == [urgent.id, high.id]
    assert sorted(moved) == sorted(t.id for t in [normal, urgent, high, *rest])
    assert owner(urgent) == owner(high) == jan.id
    assert {owner(t) for t in [normal, *rest]} == {None}


def test_pending_tickets_stay_until_the_customer_replies_while_the_owner_is_off(factory, desk):
    acme, _early, _late, ola, jan = desk
    ticket = factory.ticket(acme)
    update_ticket(db.session, ticket=ticket, actor=ola, status="pending", now=at(15, 30))
    tick(at(15, 59, 30))
    assert tick(at(16, 0, 20)).handed_off == []
    assert owner(ticket) == ola.id
    ticket = db.session.get(Ticket, ticket.id)
    add_message(
        db.session, ticket=ticket, author=ticket.requester, body="Still broken.", now=at(17)
    )
    assert owner(ticket) == jan.id
    handed = db.session.scalars(
        select(TicketEvent).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == "handed_off"
        )
    ).one()
    assert handed.data["cause"] == "shift_end"


def test_a_customer_reply_while_the_owner_is_on_shift_keeps_the_owner(factory, desk):
    acme, _early, _late, ola, _jan = desk
    ticket = factory.ticket(acme)
    update_ticket(db.session, ticket=ticket, actor=ola, status="pending", now=at(15, 1))
    add_message(db.session, ticket=ticket, author=ticket.requester, body="Thanks", now=at(15, 2))
    assert owner(ticket) == ola.id


def test_a_shift_start_picks_up_the_waiting_ticket_it_qualifies_for(factory, desk):
    acme, *_ = desk
    tokyo = factory.site("tokyo", shifts={d: ["16:00-23:00"] for d in ALL_WEEK})
    jun = factory.agent(
        [acme], name="Jun", site=tokyo, languages=("ja",), presence="online", last_seen_at=at(15)
    )
    ticket = factory.ticket(acme, locale="ja")
    assert ticket.assignee_id is None and ticket.expected_pickup_at == at(16)
    assert tick(at(15, 59, 30)).picked_up == []
    assert tick(at(16, 0, 20)).picked_up == [(ticket.id, jun.id)]
    assert owner(ticket) == jun.id


def test_pickup_stops_at_capacity(factory, desk):
    acme, *_ = desk
    tokyo = factory.site("tokyo", shifts={d: ["16:00-23:00"] for d in ALL_WEEK})
    factory.agent(
        [acme], site=tokyo, languages=("ja",), presence="online", capacity=2, last_seen_at=at(15)
    )
    tickets = [factory.ticket(acme, locale="ja") for _ in range(3)]
    assert len(tick(at(16, 0, 20)).picked_up) == 2
    assert owner(tickets[2]) is None


def test_going_offline_hands_off_at_once_and_away_keeps_tickets(factory, desk):
    acme, _early, late, ola, _jan = desk
    colleague = factory.agent([acme], name="Eve", site=_early, presence="online")
    first, second = factory.ticket(acme), factory.ticket(acme)
    assert {first.assignee_id, second.assignee_id} == {ola.id, colleague.id}
    mine = first if first.assignee_id == ola.id else second
    assert follow_the_sun.set_presence(db.session, ola, "away", now=at(15, 5)).handed_off == []
    assert owner(mine) == ola.id
    change = follow_the_sun.set_presence(db.session, ola, "offline", now=at(15, 6))
    assert change.handed_off == [mine.id]
    assert owner(mine) == colleague.id
    cause = db.session.scalar(
        select(TicketEvent.data).where(
            TicketEvent.ticket_id == mine.id, TicketEvent.kind == "handed_off"
        )
    )["cause"]
    assert cause == "offline"


def test_going_online_picks_up_only_for_that_agent(factory, desk):
    acme, early, *_ = desk
    polish = factory.ticket(acme, locale="pl")  # nobody speaks Polish yet
    piotr = factory.agent([acme], name="Piotr", site=early, languages=("pl",), presence="away")
    change = follow_the_sun.set_presence(db.session, piotr, "online", now=at(15, 5))
    assert change.picked_up == [(polish.id, piotr.id)]


def test_solving_a_ticket_frees_capacity_and_picks_up_a_waiting_one(factory, desk):
    acme, _early, _late, ola, jan = desk
    jan.presence = "offline"
    ola.capacity = 1
    db.session.commit()
    first = factory.ticket(acme)
    waiting = factory.ticket(acme)
    assert first.assignee_id == ola.id and waiting.assignee_id is None
    update_ticket(db.session, ticket=first, actor=ola, status="solved", now=at(15, 10))
    assert owner(waiting) == ola.id


def test_reassigning_away_frees_capacity_too(factory, desk):
    acme, early, _late, ola, _jan = desk
    ola.capacity = 1
    db.session.commit()
    eve = factory.agent([acme], name="Eve", site=early, presence="offline")
    first = factory.ticket(acme)
    waiting = factory.ticket(acme)
    assert waiting.assignee_id is None
    update_ticket(db.session, ticket=first, actor=ola, assignee_id=eve.id, now=at(15, 10))
    assert owner(waiting) == ola.id


def test_idle_online_agents_become_away_and_keep_their_tickets(factory, desk):
    acme, _early, _late, ola, jan = desk
    ticket = factory.ticket(acme)
    jan.last_seen_at = at(15, 20)
    db.session.commit()
    result = tick(at(15, 25), idle=timedelta(minutes=15))
    assert result.idle_away == [ola.id]
    db.session.expire_all()
    assert db.session.get(User, ola.id).presence == "away"
    assert db.session.get(User, jan.id).presence == "online"
    assert owner(ticket) == ola.id


def test_a_deactivated_agents_open_tickets_move_on_the_next_tick(factory, desk):
    acme, early, _late, ola, _jan = desk
    eve = factory.agent([acme], name="Eve", site=early, presence="online", last_seen_at=at(15))
    ola.capacity = 9
    eve.capacity = 0
    db.session.commit()
    ticket = factory.ticket(acme)
    eve.capacity = 5
    ola.active = False
    db.session.commit()
    assert tick(at(15, 5)).handed_off == [ticket.id]
    assert owner(ticket) == eve.id


def test_the_tick_is_skipped_while_another_process_holds_the_job(factory, desk):
    held = leases.claim(db.session, follow_the_sun.JOB, now=at(15), hold=HOLD)
    assert held is not None
    assert tick(at(15, 1)).skipped
    leases.release(db.session, held, ran_until=at(15, 1))
    assert not tick(at(15, 2)).skipped
    assert db.session.get(JobLease, follow_the_sun.JOB).last_run_at == at(15, 2)


def test_a_lease_left_by_a_dead_process_expires(factory, desk):
    assert leases.claim(db.session, follow_the_sun.JOB, now=at(15), hold=HOLD) is not None
    assert tick(at(15, 4)).skipped
    assert not tick(at(15, 6)).skipped


def test_two_processes_handing_off_at_once_move_each_ticket_once(app, factory, desk):
    acme, early, _late, ola, jan = desk
    ola.capacity = jan.capacity = 20
    db.session.commit()
    tickets = [factory.ticket(acme) for _ in range(6)]
    assert {t.assignee_id for t in tickets} == {ola.id}
    results = at_once(
        app,
        lambda: follow_the_sun.hand_off(db.session, owners={ola.id: "shift_end"}, now=at(16, 1)),
    )
    assert sorted(results[0] + results[1]) == sorted(t.id for t in tickets)
    count = db.session.scalar(
        select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "handed_off")
    )
    assert count == len(tickets)
    assert {owner(t) for t in tickets} == {jan.id}


def test_two_processes_ticking_at_once_run_follow_the_sun_once(app, factory, desk):
    acme, *_ = desk
    factory.ticket(acme)
    tick(at(15, 59, 30))
    results = at_once(app, lambda: tick(at(16, 0, 20)))
    moved = [r.handed_off for r in results if not r.skipped]
    assert sum(len(m) for m in moved) == 1


def test_the_scheduler_tick_runs_follow_the_sun(factory, desk):
    acme, *_ = desk
    factory.ticket(acme)
    scheduler.tick(at(15, 59, 30))
    counts = scheduler.tick(at(16, 0, 20))
    assert counts["handed_off"] == 1 and counts["picked_up"] == 0


def test_flask_routing_tick_prints_what_it_did(app, db_session):
    result = app.test_cli_runner().invoke(args=["routing", "tick"])
    assert result.exit_code == 0, result.output
    assert "handed_off: 0, picked_up: 0, idle_away: 0" in result.output


def test_api_calls_and_socket_events_of_an_agent_count_as_activity(app, client, factory, desk):
    from helpdesk.extensions import socketio
    from tests.conftest import api_token, login

    acme, _early, _late, ola, jan = desk
    long_ago = datetime.now(UTC) - timedelta(hours=2)
    ola.last_seen_at = jan.last_seen_at = long_ago
    db.session.commit()
    headers = api_token(client, ola)
    assert client.get("/api/v1/tickets", headers=headers).status_code == 200
    login(client, jan)
    jan_id = jan.id
    db.session.expire_all()
    db.session.get(User, jan_id).last_seen_at = long_ago
    db.session.commit()
    sock = socketio.test_client(app, flask_test_client=client)
    assert sock.emit("activity", {}, callback=True) == {"ok": True}
    sock.disconnect()
    db.session.expire_all()
    for agent_id in (ola.id, jan_id):
        assert db.session.get(User, agent_id).last_seen_at > long_ago + timedelta(hours=1)
