"""insert_now stores a new object in one INSERT and leaves it as the unit of work would:
persistent, every column read (nothing left to load), relationships' keys filled, None left
to the column (a JSON column gets SQL NULL), and gone again when the transaction rolls back."""

from __future__ import annotations

import pytest
from sqlalchemy import event, inspect, select, text
from sqlalchemy.exc import IntegrityError

from helpdesk.models import Ticket, User
from helpdesk.services.rows import insert_now


@pytest.fixture
def acme(factory):
    return factory.client("acme")


def new_customer(acme, email="kei@example.test"):
    return User(role="customer", realm=acme.id, client=acme, email=email, name="Kei")


def statements(session, work) -> list[str]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()[:3]))

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", note)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", note)
    return seen


def test_a_new_object_goes_in_with_one_insert_and_needs_no_query_afterwards(factory, acme):
    session = factory.session
    kei = new_customer(acme)
    seen = statements(session, lambda: insert_now(session, kei))
    assert seen == ["INSERT INTO users"]
    state = inspect(kei)
    assert state.persistent and not state.expired_attributes
    # Defaults filled by the column come back with the insert: reading them asks nothing.
    assert statements(session, lambda: (kei.active, kei.created_at, kei.presence)) == []
    assert kei.client_id == acme.id and kei.active is True and kei.presence == "offline"
    assert not session.dirty and not session.new


def test_the_stored_row_is_the_one_a_flush_would_store(factory, acme):
    session = factory.session
    kei = new_customer(acme)
    insert_now(session, kei)

    def ticket(number):
        return Ticket(
            client=acme,
            number=number,
            subject="VPN",
            body="down",
            channel="api",
            locale="en",
            requester=kei,
            created_at=factory.now,
            updated_at=factory.now,
            category=None,
            routing_note=None,
        )

    flushed, inserted = ticket(1), ticket(2)
    session.add(flushed)
    session.flush()
    insert_now(session, inserted)
    session.commit()
    rows = session.execute(
        text("SELECT * FROM tickets WHERE id IN (:a, :b) ORDER BY number"),
        {"a": flushed.id, "b": inserted.id},
    ).mappings()
    by_flush, by_insert = (
        {k: v for k, v in row.items() if k not in ("id", "number")} for row in rows
    )
    assert by_insert == by_flush
    assert by_insert["requester_id"] == kei.id and by_insert["status"] == "new"
    session.expire_all()
    assert session.get(Ticket, inserted.id).requester.email == "kei@example.test"


def test_objects_with_the_same_columns_go_in_their_order(factory, acme):
    session = factory.session
    people = [new_customer(acme, f"p{i}@example.test") for i in range(3)]
    insert_now(session, *people)
    session.commit()
    stored = session.execute(select(User.id, User.email).where(User.realm == acme.id)).all()
    assert sorted(stored) == sorted((p.id, p.email) for p in people)


def test_a_rolled_back_insert_takes_its_objects_out_of_the_session(factory, acme):
    session = factory.session
    kei = new_customer(acme)
    insert_now(session, kei)
    session.rollback()
    assert inspect(kei).detached
    # The same address again (a retry) goes in as if nothing had happened.
    again = new_customer(acme)
    insert_now(session, again)
    session.commit()
    assert session.scalar(select(User.email).where(User.id == again.id)) == "kei@example.test"


def test_a_duplicate_is_refused_by_the_database_as_in_a_flush(factory, acme):
    session = factory.session
    insert_now(session, new_customer(acme))
    session.commit()
    with pytest.raises(IntegrityError):
        insert_now(session, new_customer(acme))
    session.rollback()
    assert session.scalars(select(User).where(User.realm == acme.id)).all()[0].name == "Kei"
