"""Follow-the-sun is live: a handoff reaches the new owner, the queues and supervisors at once."""

from __future__ import annotations

from datetime import UTC, datetime

from helpdesk import scheduler
from helpdesk.extensions import db
from helpdesk.services import follow_the_sun
from tests.realtime.conftest import events

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MONDAY = datetime(2026, 3, 9, tzinfo=UTC)


def test_a_shift_end_handoff_is_pushed_to_the_new_owner_and_the_supervisors(app, factory, connect):
    acme = factory.client("acme")
    early = factory.site("early", shifts={d: ["08:00-16:00"] for d in DAYS})
    late = factory.site("late", shifts={d: ["16:00-23:00"] for d in DAYS})
    ola = factory.agent([acme], name="Ola", site=early, presence="online")
    jan = factory.agent([acme], name="Jan", site=late, presence="online")
    ticket = factory.ticket(acme)
    assert ticket.assignee_id == ola.id
    jan_socket, ola_socket = connect(jan), connect(ola)
    sam_socket = connect(factory.supervisor(acme))
    for agent in (ola, jan):
        agent.last_seen_at = MONDAY.replace(hour=15, minute=59)
    db.session.commit()
    for sock in (jan_socket, ola_socket, sam_socket):
        sock.get_received()

    scheduler.tick(MONDAY.replace(hour=15, minute=59, second=30))
    scheduler.tick(MONDAY.replace(hour=16, second=20))

    [assigned] = events(jan_socket, "ticket_assigned")
    assert assigned["ticket"]["id"] == ticket.id
    assert assigned["ticket"]["assignee"]["name"] == "Jan"
    assert assigned["ticket"]["routing"]["reason_code"] == "assigned"
    updates = events(ola_socket, "ticket_updated")  # the old owner's queue refreshes
    assert any(u["ticket"]["id"] == ticket.id and u["change"] == "handed_off" for u in updates)
    tiles = events(sam_socket, "ticket_updated")
    assert any(u["ticket"]["id"] == ticket.id for u in tiles)


def test_the_handoff_note_reaches_staff_following_the_ticket_live(app, factory, connect):
    acme = factory.client("acme")
    early = factory.site("early", shifts={d: ["08:00-16:00"] for d in DAYS})
    ola = factory.agent([acme], name="Ola", site=early, presence="online")
    ticket = factory.ticket(acme)
    assert ticket.assignee_id == ola.id
    factory.agent([acme], name="Jan", site=early, presence="online")
    watcher = connect(factory.admin())
    assert watcher.emit("join_ticket", {"ticket_id": ticket.id}, callback=True)["ok"]
    watcher.get_received()

    follow_the_sun.set_presence(db.session, ola, "offline", now=factory.now)

    notes = [m["message"] for m in events(watcher, "message") if m["ticket_id"] == ticket.id]
    assert len(notes) == 1 and notes[0]["kind"] == "system" and notes[0]["internal"]
    assert notes[0]["body"].startswith("Handed off from Ola to Jan. The agent went offline.")
