"""`flask provision FILE.yaml` and `flask demo` as an operator runs them."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlalchemy import func, select

from helpdesk.models import Client, Site, Ticket, User

EXAMPLE = Path(__file__).parent.parent / "services" / "data" / "api_example.yaml"


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_provision_prints_what_it_created_then_that_nothing_changed(cli, db_session):
    first = cli("provision", EXAMPLE)

    assert first.exit_code == 0, first.output
    assert "created client acme" in first.stdout
    assert "created agent ana@provider.test" in first.stdout
    assert count(db_session, User) == 4

    again = cli("provision", EXAMPLE)

    assert again.exit_code == 0, again.output
    assert again.stdout.strip() == "nothing changed"


def test_provision_reports_each_error_with_its_path_and_exits_1(cli, db_session, tmp_path):
    data = yaml.safe_load(EXAMPLE.read_text())
    data["agents"][0]["site"] = "tokio"
    data["clients"][0]["sla"]["high"]["calendar"] = "x"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))

    result = cli("provision", bad)

    assert result.exit_code == 1
    assert "error: agents[0].site: unknown site 'tokio'" in result.stderr
    assert "error: clients[0].sla.high.calendar: unknown calendar 'x'" in result.stderr
    assert result.stdout == ""
    assert count(db_session, Client) == count(db_session, User) == 0


def test_provision_of_a_missing_file_is_an_error_not_a_traceback(cli, tmp_path):
    result = cli("provision", tmp_path / "nope.yaml")

    assert result.exit_code == 1
    assert "cannot read" in result.stderr


def test_demo_loads_the_world_and_tickets_then_adds_nothing_on_a_second_run(cli, db_session):
    first = cli("demo", "--tickets", 40)

    assert first.exit_code == 0, first.output
    assert count(db_session, Client) == 3
    assert count(db_session, Site) >= 4
    assert count(db_session, User, User.role == "agent") >= 12
    assert count(db_session, Ticket) == 40
    lines = first.stdout.splitlines()
    assert "Demo logins" in lines
    assert lines[-1].strip().startswith("API intake token"), "the logins block ends the output"
    assert "http://127.0.0.1:5000/c/acme/" in first.stdout
    assert "admin@provider.test" in first.stdout and "demo-admin" in first.stdout

    second = cli("demo", "--tickets", 40)

    assert second.exit_code == 0, second.output
    assert count(db_session, Ticket) == 40
    assert "nothing changed" in second.stdout
    assert "Demo logins" in second.stdout and "demo-customer" in second.stdout


def test_demo_if_empty_leaves_a_database_with_other_clients_alone(cli, db_session, factory):
    factory.client("umbrella")

    result = cli("demo", "--if-empty", "--tickets", 5)

    assert result.exit_code == 0, result.output
    assert count(db_session, Client) == 1
    assert count(db_session, Ticket) == 0
