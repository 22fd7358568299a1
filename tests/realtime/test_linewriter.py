"""Group commit of chat lines (realtime/linewriter.py): same answers as one line at a time,
fewer transactions, and one bad line never costs the others.

The writer keeps its own session (its own app context), so these tests read what it
stored through a fresh session of their own.
"""

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from helpdesk.extensions import db
from helpdesk.models import Message, SlaClock, TicketEvent, UserSession
from helpdesk.realtime import linewriter
from helpdesk.realtime.auth import Scope
from helpdesk.realtime.events import limits
from helpdesk.services import sessions
from helpdesk.services.tickets import update_ticket


@pytest.fixture
def group_commit(app, monkeypatch):
    monkeypatch.setitem(app.config, "CHAT_GROUP_COMMIT", True)
    return linewriter.writer_for(app, limits)


@pytest.fixture
def desk(factory):
    """acme (around-the-clock SLA targets) with two customers' tickets and an agent; globex."""
    acme, globex = factory.client("acme"), factory.client("globex")
    factory.office_hours_policy(acme)
    kei, mia = factory.customer(acme, name="Kei"), factory.customer(acme, name="Mia")
    ana = factory.agent([acme], name="Ana")
    first = factory.ticket(acme, kei, priority="high")
    second = factory.ticket(acme, mia, priority="high")
    return {"globex": globex, "kei": kei, "mia": mia, "ana": ana, "first": first, "second": second}


def stored(app, *columns):
    """Rows as committed (ordered by the first column), read through a session of our own."""
    with Session(db.engine) as session:
        return session.execute(select(*columns).order_by(columns[0])).all()


def line(user, ticket, body, msg_id, *, sid="sid-1", internal=False, invalid=None):
    # A socket lives on a session record (realtime/auth.py): the user's live one, as at connect.
    scope = dataclasses.replace(Scope.of(user), session_id=_live_session(user))
    return linewriter.Line(scope, sid, ticket.id, body, msg_id, internal, invalid=invalid)


def _live_session(user) -> int:
    found = db.session.scalar(
        select(UserSession.id).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    )
    if found is None:
        _key, record = sessions.start(
            db.session, user, realm="test", user_agent=None, ip=None, now=datetime.now(UTC)
        )
        db.session.commit()
        found = record.id
    return found


def commits_during(work) -> int:
    count = [0]

    def counted(_conn):
        count[0] += 1

    event.listen(db.engine, "commit", counted)
    try:
        work()
    finally:
        event.remove(db.engine, "commit", counted)
    return count[0]


def write(app, writer, batch):
    with app.app_context():
        try:
            writer.write(batch)
        finally:
            db.session.remove()


def test_lines_that_wait_together_are_stored_in_one_transaction(app, desk, group_commit):
    kei, mia, ana = desk["kei"], desk["mia"], desk["ana"]
    first, second = desk["first"], desk["second"]
    batch = [
        line(kei, first, "VPN is down", "k1"),
        line(mia, second, "Printer too", "m1"),
        line(ana, first, "Restarting it", "a1", sid="sid-2"),  # same ticket: reads k1's clock
    ]
    assert commits_during(lambda: write(app, group_commit, batch)) == 1
    assert [o.outcome.message["body"] for o in batch] == [
        "VPN is down",
        "Printer too",
        "Restarting it",
    ]
    assert stored(app, Message.id, Message.body)[-3:] == [
        (batch[0].outcome.message["id"], "VPN is down"),
        (batch[1].outcome.message["id"], "Printer too"),
        (batch[2].outcome.message["id"], "Restarting it"),
    ]
    clocks = {
        (ticket_id, metric, state)
        for ticket_id, metric, state in stored(
            app, SlaClock.ticket_id, SlaClock.metric, SlaClock.state
        )
    }
    # Ana's reply met the first response on her ticket (months late: the factory files
    # tickets at NOW); Mia's ticket still waits for one.
    assert (first.id, "first_response", "missed") in clocks
    assert (second.id, "first_response", "active") in clocks
    added = stored(app, TicketEvent.message_id, TicketEvent.kind)
    assert sum(kind == "message_added" for _, kind in added) == 3


def test_the_same_line_twice_in_a_batch_is_stored_once(app, desk, group_commit):
    kei, t = desk["kei"], desk["first"]
    batch = [line(kei, t, "Hello", "dup"), line(kei, t, "Hello", "dup")]
    write(app, group_commit, batch)
    assert batch[0].outcome.message["id"] == batch[1].outcome.message["id"]
    assert stored(app, func.count(Message.id)) == [(1,)]


def test_refusals_in_a_batch_are_answered_as_they_would_be_alone(app, factory, desk, group_commit):
    kei, ana, t = desk["kei"], desk["ana"], desk["first"]
    outsider = factory.agent([desk["globex"]])
    closed = factory.ticket(t.client, kei)
    update_ticket(factory.session, ticket=closed, actor=ana, now=datetime.now(UTC), status="closed")
    invalid = {"ok": False, "error": {"code": "too_long", "message": "Too long."}}
    batch = [
        line(outsider, t, "peek", "o1", sid="sid-3"),
        line(kei, closed, "reopen?", "c1"),
        line(kei, t, "secret", "n1", internal=True),
        line(kei, t, "x" * 10, "v1", invalid=invalid),
        line(kei, t, "fine", "f1"),
    ]
    write(app, group_commit, batch)
    outcomes = [item.outcome for item in batch]
    assert outcomes[0].slow  # the handler then answers not_found, as test_events shows
    assert outcomes[1].error.code == "ticket_closed"
    assert outcomes[2].error.code == "forbidden"
    assert outcomes[3].invalid == invalid
    assert outcomes[4].message["body"] == "fine"
    assert stored(app, Message.body) == [("fine",)]


def test_a_line_that_fails_does_not_cost_the_others(app, desk, group_commit, monkeypatch):
    kei, mia = desk["kei"], desk["mia"]
    real = linewriter.add_message

    def flaky(session, **kwargs):
        if kwargs["body"] == "boom":
            raise RuntimeError("disk on fire")
        return real(session, **kwargs)

    monkeypatch.setattr(linewriter, "add_message", flaky)
    batch = [
        line(kei, desk["first"], "before", "b1"),
        line(mia, desk["second"], "boom", "x1", sid="sid-2"),
        line(kei, desk["first"], "after", "a1"),
    ]
    write(app, group_commit, batch)
    assert batch[1].outcome.crashed
    assert [item.outcome.message["body"] for item in (batch[0], batch[2])] == ["before", "after"]
    assert [body for _, body in stored(app, Message.id, Message.body)] == ["before", "after"]


def test_another_clients_agent_gets_not_found_through_the_writer(
    app, connect, desk, factory, group_commit
):
    outsider = connect(factory.agent([desk["globex"]]))
    ack = outsider.emit(
        "send_message",
        {"ticket_id": desk["first"].id, "body": "hi", "client_msg_id": "x"},
        callback=True,
    )
    assert ack == {"ok": False, "error": {"code": "not_found", "message": "Not found."}}
    assert stored(app, func.count(Message.id)) == [(0,)]


def test_a_line_the_writer_could_not_store_is_answered_server_error(
    app, connect, desk, group_commit, monkeypatch
):
    def broken(session, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(linewriter, "add_message", broken)
    kei = connect(desk["kei"])
    ack = kei.emit(
        "send_message",
        {"ticket_id": desk["first"].id, "body": "hello", "client_msg_id": "h1"},
        callback=True,
    )
    assert ack["ok"] is False and ack["error"]["code"] == "server_error"
    assert stored(app, func.count(Message.id)) == [(0,)]


def statements_during(work) -> list[str]:
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def exchange(desk, ticket, prefix, n):
    """n lines on one ticket, customer and agent in turn (as a room's two sockets send them)."""
    kei, ana = desk["kei"], desk["ana"]
    # Sockets of their own: the per-socket rate limit counts across tests.
    return [
        line(kei, ticket, f"{prefix} {i}", f"{prefix}{i}", sid=f"{ticket.id}{prefix}-kei")
        if i % 2 == 0
        else line(ana, ticket, f"{prefix} {i}", f"{prefix}{i}", sid=f"{ticket.id}{prefix}-ana")
        for i in range(n)
    ]


def test_a_tickets_lines_in_one_batch_are_written_in_as_many_statements_as_one(
    app, desk, group_commit
):
    write(app, group_commit, exchange(desk, desk["first"], "w", 2))  # opens the ticket
    small = exchange(desk, desk["first"], "s", 2)
    large = exchange(desk, desk["first"], "l", 8)
    writes = {}
    for name, batch in (("small", small), ("large", large)):
        seen = statements_during(lambda b=batch: write(app, group_commit, b))
        assert all(item.outcome.message for item in batch)
        writes[name] = sum(verb in ("INSERT", "UPDATE") for verb in seen)
        # One read of the line's context each, and at most one more for its SLA clocks.
        assert seen.count("SELECT") <= 2 * len(batch)
    assert writes["large"] == writes["small"]


def test_a_tickets_lines_in_one_batch_leave_the_clocks_and_order_one_at_a_time_would(
    app, desk, group_commit
):
    together = exchange(desk, desk["first"], "m", 5)
    alone = exchange(desk, desk["second"], "m", 5)
    for item in alone:
        if item.scope.id == desk["kei"].id:  # the second ticket is Mia's
            item.scope = dataclasses.replace(
                Scope.of(desk["mia"]), session_id=_live_session(desk["mia"])
            )
    write(app, group_commit, together)
    for item in alone:
        write(app, group_commit, [item])
    assert all(item.outcome.message for item in together + alone)
    assert [item.outcome.message["body"] for item in together] == [f"m {i}" for i in range(5)]
    bodies = stored(app, Message.id, Message.ticket_id, Message.body)
    for ticket in (desk["first"], desk["second"]):
        assert [body for _, tid, body in bodies if tid == ticket.id] == [f"m {i}" for i in range(5)]
    clocks = stored(
        app, SlaClock.id, SlaClock.ticket_id, SlaClock.metric, SlaClock.cycle, SlaClock.state
    )

    def of(ticket):
        return [
            (metric, cycle, state) for _, tid, metric, cycle, state in clocks if tid == ticket.id
        ]

    assert of(desk["first"]) == of(desk["second"])
    assert any(metric == "next_response" for metric, _, _ in of(desk["first"]))


def reads_during(work) -> list[str]:
    """The SELECTs run during `work`, but the world-cache version check (a test reads it at
    every use, WORLD_CACHE_SECONDS = 0; a server at most once a second)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        if statement.lstrip().startswith("SELECT") and "site_settings" not in statement:
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return seen


def test_a_tickets_lines_in_one_batch_are_read_in_four_statements_however_many_they_are(
    app, desk, group_commit
):
    write(app, group_commit, exchange(desk, desk["first"], "w", 2))  # opens the ticket
    reads = {}
    for n in (4, 16):
        batch = exchange(desk, desk["first"], f"r{n}-", n)
        reads[n] = reads_during(lambda b=batch: write(app, group_commit, b))
        assert all(item.outcome.message for item in batch)
    # The customer's and the agent's context, the earlier messages of their later lines,
    # the ticket's clocks: whatever the number of lines.
    assert len(reads[16]) == len(reads[4]) == 4


def test_lines_on_several_tickets_in_one_batch_read_their_clocks_in_one_statement(
    app, desk, group_commit
):
    first, second, ana = desk["first"], desk["second"], desk["ana"]
    # Answered once, so the batch moves no status (a push of a moved one reads the ticket).
    write(app, group_commit, [line(ana, first, "Hi", "a0"), line(ana, second, "Hi", "b0")])
    batch = [
        line(desk["kei"], first, "VPN is down", "k1"),
        line(desk["mia"], second, "Printer too", "m1", sid="sid-2"),
        line(ana, first, "On it", "a1", sid="sid-3"),
        line(ana, second, "Also on it", "a2", sid="sid-3"),
    ]
    reads = reads_during(lambda: write(app, group_commit, batch))
    assert all(item.outcome.message for item in batch)
    assert sum("FROM sla_clocks" in statement for statement in reads) == 1
    clocks = stored(app, SlaClock.ticket_id, SlaClock.metric, SlaClock.cycle, SlaClock.state)
    # Each customer's line started a next response, Ana's answer met it.
    assert [
        (tid, cycle, state) for tid, metric, cycle, state in clocks if metric == "next_response"
    ] == [
        (first.id, 1, "hit"),
        (second.id, 1, "hit"),
    ]


def test_a_resent_line_behind_another_of_its_socket_in_a_batch_gets_the_stored_message(
    app, desk, group_commit
):
    kei, t = desk["kei"], desk["first"]
    first = [line(kei, t, "Hello", "h1")]
    write(app, group_commit, first)
    again = [line(kei, t, "Still there?", "h2"), line(kei, t, "Hello", "h1")]
    write(app, group_commit, again)
    assert again[1].outcome.message["id"] == first[0].outcome.message["id"]
    assert again[0].outcome.message["id"] != first[0].outcome.message["id"]
    assert [body for _, body in stored(app, Message.id, Message.body)] == ["Hello", "Still there?"]


def test_lines_of_a_socket_that_may_not_see_the_ticket_share_no_context_in_a_batch(
    app, factory, desk, group_commit
):
    kei, mia, t = desk["kei"], desk["mia"], desk["first"]  # Kei's ticket; Mia is another customer
    outsider = factory.agent([desk["globex"]])
    batch = [
        line(kei, t, "mine", "k1"),
        line(mia, t, "not mine", "m1", sid="sid-2"),
        line(outsider, t, "peek", "o1", sid="sid-3"),
        line(kei, t, "mine again", "k2"),
        line(mia, t, "still not mine", "m2", sid="sid-2"),
        line(outsider, t, "peek again", "o2", sid="sid-3"),
    ]
    write(app, group_commit, batch)
    assert [bool(item.outcome.slow) for item in batch] == [False, True, True, False, True, True]
    assert [body for _, body in stored(app, Message.id, Message.body)] == ["mine", "mine again"]
