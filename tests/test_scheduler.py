"""The scheduler tick and `flask sla tick` run the SLA scan."""

import logging
from datetime import timedelta

from helpdesk import scheduler
from helpdesk.models import SlaTarget


def test_a_tick_writes_due_breaches_once(factory, now):
    client = factory.client()
    factory.session.add(
        SlaTarget(
            client=client, priority="normal", first_response=10, next_response=10, resolution=100
        )
    )
    factory.session.commit()
    factory.ticket(client)
    later = now + timedelta(minutes=11)
    first, second = scheduler.tick(later), scheduler.tick(later)
    assert (first["sla_warnings"], first["sla_breaches"]) == (1, 1)
    assert (second["sla_warnings"], second["sla_breaches"]) == (0, 0)


def test_flask_sla_tick_prints_what_it_wrote(app, db_session):
    result = app.test_cli_runner().invoke(args=["sla", "tick"])
    assert result.exit_code == 0
    assert "sla_breaches: 0" in result.output


def test_a_tick_that_did_something_is_logged_with_its_timing(app, factory, now, caplog):
    client = factory.client()
    factory.session.add(
        SlaTarget(client=client, priority="normal", first_response=1, next_response=1, resolution=9)
    )
    factory.session.commit()
    factory.ticket(client)
    caplog.set_level(logging.DEBUG, logger="helpdesk.scheduler")
    scheduler.run_once(late=0.0, every=30)
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("tick in ")]
    assert "ms:" in line and "'sla_breaches': 2" in line  # first response and resolution


def test_a_late_tick_says_so(app, db_session, caplog):
    caplog.set_level(logging.INFO, logger="helpdesk.scheduler")
    scheduler.run_once(late=12.5, every=30)
    assert any("started 12.5 s late" in r.getMessage() for r in caplog.records)


def test_a_failing_tick_is_logged_and_the_next_one_runs(app, db_session, caplog, monkeypatch):
    def broken(now):
        raise RuntimeError("database went away")

    monkeypatch.setattr(scheduler, "tick", broken)
    scheduler.run_once(late=0.0, every=30)
    assert any(r.levelname == "ERROR" and "tick failed" in r.getMessage() for r in caplog.records)


def test_a_tick_longer_than_the_interval_says_so(app, db_session, caplog):
    caplog.set_level(logging.INFO, logger="helpdesk.scheduler")
    scheduler.run_once(late=0.0, every=0.0)
    assert any("longer than the 0 s between ticks" in r.getMessage() for r in caplog.records)
