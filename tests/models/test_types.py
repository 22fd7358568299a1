"""Aware UTC datetimes survive a round trip through the database."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from helpdesk.models import Ticket


def test_datetimes_come_back_aware_and_in_utc(factory):
    client = factory.client()
    tokyo = timezone(timedelta(hours=9))
    factory.now = datetime(2026, 3, 8, 15, 59, tzinfo=tokyo)
    ticket = factory.ticket(client)
    factory.session.expire_all()
    loaded = factory.session.get(Ticket, ticket.id)
    assert loaded.created_at == datetime(2026, 3, 8, 6, 59, tzinfo=UTC)
    assert loaded.created_at.utcoffset() == timedelta(0)


def test_a_naive_datetime_is_refused_when_stored(factory):
    ticket = factory.ticket(factory.client())
    ticket.updated_at = datetime(2026, 3, 8, 6, 59)
    with pytest.raises(StatementError):
        factory.session.flush()
    factory.session.rollback()


def test_a_ticket_filed_at_a_naive_time_is_refused_before_anything_is_stored(factory):
    client = factory.client()
    factory.now = datetime(2026, 3, 8, 6, 59)
    with pytest.raises(ValueError, match="timezone-aware"):
        factory.ticket(client)
    factory.session.rollback()
    assert factory.session.query(Ticket).count() == 0


def test_references_count_per_client(factory):
    acme, globex = factory.client("acme"), factory.client("globex")
    first, second = factory.ticket(acme), factory.ticket(acme)
    other = factory.ticket(globex)
    assert (first.reference, second.reference, other.reference) == ("ACME-1", "ACME-2", "GLOBEX-1")
