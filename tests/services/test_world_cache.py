"""Read-mostly data (clients by intake token, SLA targets and calendars, sites) is read once per
process and dropped when the world version changes, here or in another process."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import event, text, update

from helpdesk.extensions import db
from helpdesk.models import SlaTarget
from helpdesk.services import world_cache
from helpdesk.services.auth import token_digest


@pytest.fixture
def acme(factory):
    client = factory.client("acme")
    factory.office_hours_policy(client)
    return client


@pytest.fixture
def reads(db_session):
    """The tables each statement of the block reads, in order."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args):
        found = re.search(r"\bFROM\s+(\w+)", statement)
        seen.append(found.group(1) if found else statement.split()[0])

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def normal_target_minutes(session, client) -> int:
    session.expire_all()
    return world_cache.sla_target(session, client.id, "normal").first_response


def test_a_second_use_reads_nothing_but_the_world_version(db_session, acme, reads):
    world_cache.sla_target(db_session, acme.id, "normal")
    world_cache.client_by_intake_token(db_session, token_digest("acme-intake-token"))
    reads.clear()
    target = world_cache.sla_target(db_session, acme.id, "normal")
    client = world_cache.client_by_intake_token(db_session, token_digest("acme-intake-token"))
    assert (target.client_id, client.id) == (acme.id, acme.id)
    assert target.calendar is not None  # came with its calendar
    assert set(reads) == {"site_settings"}


def test_what_is_not_there_is_cached_too(db_session, acme, reads):
    assert world_cache.client_by_intake_token(db_session, token_digest("nope")) is None
    reads.clear()
    assert world_cache.client_by_intake_token(db_session, token_digest("nope")) is None
    assert set(reads) == {"site_settings"}


def test_a_change_through_the_orm_is_seen_at_the_next_use(db_session, acme):
    before = normal_target_minutes(db_session, acme)
    target = db_session.get(SlaTarget, world_cache.sla_target(db_session, acme.id, "normal").id)
    target.first_response = before + 30
    db_session.commit()
    assert normal_target_minutes(db_session, acme) == before + 30


def test_another_processs_change_is_seen_once_its_world_version_is_read(app, db_session, acme):
    before = normal_target_minutes(db_session, acme)
    # Another process changes the target (as provisioning does there: with a new version).
    db_session.execute(
        update(SlaTarget)
        .where(SlaTarget.client_id == acme.id, SlaTarget.priority == "normal")
        .values(first_response=before + 45)
    )
    db_session.execute(
        text("UPDATE site_settings SET value = :v WHERE key = 'world_version'"),
        {"v": '"elsewhere"'},
    )
    db_session.commit()
    app.config["WORLD_CACHE_SECONDS"] = 3600.0  # this process checked a moment ago...
    try:
        assert normal_target_minutes(db_session, acme) == before  # ...so it still has the old
        app.config["WORLD_CACHE_SECONDS"] = 0.0
        assert normal_target_minutes(db_session, acme) == before + 45
    finally:
        app.config["WORLD_CACHE_SECONDS"] = 0.0


def test_filing_a_ticket_does_not_count_as_a_change_of_its_client(db_session, factory, acme):
    world_cache.sla_target(db_session, acme.id, "normal")
    version = world_cache._cache.version
    factory.ticket(acme)
    world_cache.sla_target(db_session, acme.id, "normal")
    assert world_cache._cache.version == version


def test_a_negative_setting_switches_the_cache_off(app, db_session, acme, reads):
    app.config["WORLD_CACHE_SECONDS"] = -1.0
    try:
        world_cache.sla_target(db_session, acme.id, "normal")
        reads.clear()
        world_cache.sla_target(db_session, acme.id, "normal")
        assert "sla_targets" in reads
    finally:
        app.config["WORLD_CACHE_SECONDS"] = 0.0
