"""A chat line through the writer (group commit) goes in by Core statements (issue #17):
no unit-of-work flush at one line per batch or at many, the same statements as before."""

import dataclasses
from datetime import UTC, datetime

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from helpdesk.extensions import db
from helpdesk.realtime import linewriter
from helpdesk.realtime.auth import Scope
from helpdesk.realtime.events import limits
from helpdesk.services import sessions


@pytest.fixture
def room(factory, app, monkeypatch):
    monkeypatch.setitem(app.config, "CHAT_GROUP_COMMIT", True)
    acme = factory.client("acme")
    factory.office_hours_policy(acme)
    kei, ana = factory.customer(acme, name="Kei"), factory.agent([acme], name="Ana")
    ticket = factory.ticket(acme, kei, priority="high", channel="chat")
    scopes = {}
    for user in (kei, ana):
        _key, record = sessions.start(
            db.session, user, realm="test", user_agent=None, ip=None, now=datetime.now(UTC)
        )
        db.session.commit()
        scopes[user.name] = dataclasses.replace(Scope.of(user), session_id=record.id)
    return linewriter.writer_for(app, limits), ticket.id, scopes


def write(app, writer, batch):
    with app.app_context():
        try:
            writer.write(batch)
        finally:
            db.session.remove()


def traced(work):
    flushes, statements = [0], []

    def flushed(*_args):
        flushes[0] += 1

    def executed(_conn, _cursor, statement, *_args):
        if "site_settings" not in statement:  # the world cache's version check
            statements.append(statement.split()[0])

    event.listen(Session, "before_flush", flushed)
    event.listen(db.engine, "before_cursor_execute", executed)
    try:
        work()
    finally:
        event.remove(Session, "before_flush", flushed)
        event.remove(db.engine, "before_cursor_execute", executed)
    return flushes[0], statements


def test_a_chat_line_alone_in_its_batch_is_stored_without_a_flush(app, room):
    writer, ticket_id, scopes = room
    n = iter(range(100))

    def line(who):
        i = next(n)
        return linewriter.Line(scopes[who], f"sid-{who}", ticket_id, f"line {i}", f"m{i}", False)

    write(app, writer, [line("Ana")])  # opens the ticket and meets the first response
    for who in ("Kei", "Ana", "Kei"):
        batch = [line(who)]
        flushes, statements = traced(lambda b=batch: write(app, writer, b))
        assert batch[0].outcome.message["body"].startswith("line")
        assert flushes == 0
        # The context, the clocks; the ticket (and a clock) updated; message, clock, event.
        assert statements[:3] == ["SELECT", "SELECT", "UPDATE"]
        assert statements[-2:] == ["INSERT", "INSERT"]
        assert len(statements) == 6


def test_a_tickets_lines_in_one_batch_are_stored_without_a_flush(app, room):
    writer, ticket_id, scopes = room
    batch = [
        linewriter.Line(scopes[who], f"sid-{who}", ticket_id, f"b{i}", f"b{i}", False)
        for i, who in enumerate(["Kei", "Ana", "Kei", "Ana", "Kei"])
    ]
    flushes, _statements = traced(lambda: write(app, writer, batch))
    assert flushes == 0
    assert [item.outcome.message["body"] for item in batch] == [f"b{i}" for i in range(5)]
    ids = [item.outcome.message["id"] for item in batch]
    assert ids == sorted(ids)
