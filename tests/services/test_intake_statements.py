"""A filing by an intake token costs a fixed, small number of statements (issue #17): the
read-mostly data comes from the process's cache, the events and the clocks go in one INSERT
each."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from helpdesk.extensions import db
from tests.api.helpers import intake_headers


@pytest.fixture
def acme(factory):
    client = factory.client("acme")
    factory.office_hours_policy(client)
    factory.agent([client], name="Ana")
    return client


def statements_of_a_filing(client, acme, n: int) -> list[str]:
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        seen.append(" ".join(statement.split()[:3]))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        answer = client.post(
            "/api/v1/tickets",
            json={"subject": f"S{n}", "body": "B", "requester": {"email": f"r{n}@example.test"}},
            headers=intake_headers(acme),
        )
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    assert answer.status_code == 201
    return seen


def test_a_filing_inserts_its_events_and_its_clocks_in_one_statement_each(client, acme):
    statements_of_a_filing(client, acme, 0)  # the first one fills the cache
    seen = statements_of_a_filing(client, acme, 1)
    assert seen.count("INSERT INTO ticket_events") == 1
    assert seen.count("INSERT INTO sla_clocks") == 1
    reads = [s for s in seen if s.startswith("SELECT")]
    assert not any(t in s for s in reads for t in ("clients", "sla_targets", "calendars", "sites"))
    # 9 on SQLite. The tests' world cache reads its version at every use (a server: at most
    # once a second), so those reads are left out of the count.
    work = [s for s in seen if not s.startswith("SELECT site_settings")]
    assert len(work) <= 10
