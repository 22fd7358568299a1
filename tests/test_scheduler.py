"""The scheduler tick and `flask sla tick` run the SLA scan."""

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
