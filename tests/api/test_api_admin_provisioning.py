"""GET and POST /admin/provisioning: an admin exports the whole world as a provisioning file
(no secrets; loaded into an empty database and exported again, the same bytes) and loads one
as `flask provision` does: all or nothing, audited as that admin, or only tried (dry run)."""

from __future__ import annotations

import pytest
import yaml
from sqlalchemy import func, select, text

from helpdesk.api.admin import PROVISIONING_MAX_BYTES
from helpdesk.extensions import db
from helpdesk.models import AuditEvent, Client, SiteSetting, User
from helpdesk.services import world_cache
from helpdesk.services.provisioning import parse_yaml, provision, validate
from helpdesk.services.provisioning.export import export_yaml
from tests.api.helpers import assert_error
from tests.conftest import TOTP_SECRET, login

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

SECTIONS = ["calendars", "clients", "sites", "agents", "supervisors", "customers", "admins"]
URL = "/api/v1/admin/provisioning"
YAML = {"Content-Type": "application/yaml"}

# Every feature of the format: split and overnight intervals, holidays, 24x7 and calendar
# SLAs, every escalation, an agent serving every client, one with its own shift, customers
# of two clients with the same address, locales and time zones.
WORLD = """
calendars:
  - name: acme-hours
    timezone: America/New_York
    hours: {mon: ["09:00-12:00", "13:00-17:00"], tue: ["09:00-17:00"], fri: ["22:00-06:00"]}
    holidays: ["2026-12-25", "2026-01-01"]
  - name: globex-hours
    timezone: Europe/Paris
    hours: {wed: ["08:00-18:00"]}
clients:
  - slug: acme
    name: Acme Corp
    timezone: America/New_York
    default_locale: en
    intake_token: acme-intake-secret-token
    inbound_email: support@acme.test
    escalation: [raise_priority, notify_supervisors, reroute]
    sla:
      low:    {first_response: 480, next_response: 960, resolution: 2880, calendar: acme-hours}
      urgent: {first_response: 30, next_response: 60, resolution: 240, calendar: 24x7}
  - slug: globex
    name: Globex Société
    timezone: Europe/Paris
    default_locale: fr
    escalation: []
    sla:
      high: {first_response: 60, next_response: 120, resolution: 480, calendar: globex-hours}
sites:
  - slug: manila
    name: Manila
    timezone: Asia/Manila
    shifts: {mon: ["22:00-07:00"], sun: ["06:00-10:00", "12:00-14:00"]}
    holidays: ["2026-12-30"]
  - slug: lisbon
    name: Lisbon
    timezone: Europe/Lisbon
agents:
  - {email: zoe@provider.test, name: Zoe, password: pw-zoe-secret, site: manila,
     languages: [tl, en], skills: [refunds, billing], clients: [globex, acme], capacity: 7}
  - {email: ana@provider.test, name: Ana, site: lisbon, languages: [pt_BR], clients: ["*"],
     locale: pt_BR, timezone: Europe/Lisbon, capacity: 0}
  - email: owl@provider.test
    name: Owl
    clients: [acme]
    shift: {timezone: Asia/Tokyo, hours: {sat: ["20:00-04:00"]}, holidays: ["2026-05-05"]}
supervisors:
  - {email: sam@acme.test, name: Sam, password: pw-sam-secret, client: acme,
     timezone: America/New_York}
customers:
  - {email: kei@example.jp, name: Kei, password: pw-kei-secret, client: acme, locale: ja,
     timezone: Asia/Tokyo}
  - {email: kei@example.jp, name: Kei G, client: globex}
admins:
  - {email: root@provider.test, name: Root, password: pw-root-secret}
"""


@pytest.fixture
def admin(factory):
    return factory.admin(name="Olga Operator", email="olga@provider.test")


@pytest.fixture
def as_admin(bearer, admin):
    """The admin's token, taken once (a second factor code works once per 30 seconds)."""
    return bearer(admin)


@pytest.fixture
def world(db_session, now):
    """The WORLD file loaded as `flask provision` would."""
    return provision(db_session, parse_yaml(WORLD), now=now)


def row_counts(session) -> dict[str, int]:
    session.rollback()  # a fresh snapshot: what other processes would see
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def stored_world(session) -> dict:
    """Row counts, the audit log and the world version: everything a load could touch."""
    counts = row_counts(session)
    audit = session.execute(select(AuditEvent.id, AuditEvent.kind)).all()
    settings = session.execute(select(SiteSetting.key, SiteSetting.value)).all()
    return {"rows": counts, "audit": audit, "settings": settings}


def empty_database(session) -> None:
    """Delete every row of every table: the schema stays, the world is gone."""
    session.rollback()
    tables = [t.name for t in db.metadata.sorted_tables]
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in reversed(tables):
            session.execute(text(f"DELETE FROM {name}"))  # noqa: S608 (names from metadata)
    session.commit()
    world_cache.clear()


# -- export --------------------------------------------------------------------------------------


def test_the_export_is_yaml_of_the_documented_format_and_holds_no_secrets(
    client, as_admin, world, factory, db_session, admin
):
    stray = factory.client("initech")  # a client made outside provisioning, with a token
    factory.customer(stray, email="unconfirmed@example.test", email_confirmed_at=None)
    factory.agent([stray], email="gone@provider.test", active=False)

    answer = client.get(URL, headers=as_admin)

    assert answer.status_code == 200
    assert answer.mimetype == "application/yaml"
    body = answer.get_data(as_text=True)
    data = yaml.safe_load(body)
    assert list(data) == SECTIONS
    validate(db_session, data)  # the provisioning service takes it as it is
    for secret in (
        "pw-",  # every password of the file starts so
        "pbkdf2:",
        "scrypt:",
        "intake-secret",
        "initech-intake-token",
        TOTP_SECRET,
        "password:",
        "intake_token:",
        db_session.scalar(select(User.password_hash).where(User.id == admin.id)),
        db_session.scalar(select(Client.intake_token_hash).where(Client.slug == "acme")),
    ):
        assert secret not in body
    assert "unconfirmed@example.test" not in body and "gone@provider.test" not in body
    acme = data["clients"][0]
    assert acme["slug"] == "acme" and acme["inbound_email"] == "support@acme.test"
    assert acme["escalation"] == ["raise_priority", "notify_supervisors", "reroute"]
    assert list(acme["sla"]) == ["urgent", "low"]
    assert acme["sla"]["low"]["calendar"] == "acme-hours"
    assert data["calendars"][0]["hours"]["mon"] == ["09:00-12:00", "13:00-17:00"]
    assert data["calendars"][0]["holidays"] == ["2026-01-01", "2026-12-25"]
    agents = {a["email"]: a for a in data["agents"]}
    assert agents["ana@provider.test"]["clients"] == ["*"]
    assert agents["zoe@provider.test"]["clients"] == ["acme", "globex"]
    assert agents["zoe@provider.test"]["skills"] == ["billing", "refunds"]
    assert agents["owl@provider.test"]["shift"]["hours"] == {"sat": ["20:00-04:00"]}
    assert [(c["client"], c["email"]) for c in data["customers"]] == [
        ("acme", "kei@example.jp"),
        ("globex", "kei@example.jp"),
    ]
    assert [a["email"] for a in data["admins"]] == ["olga@provider.test", "root@provider.test"]


def test_an_export_loaded_into_an_empty_database_exports_the_same_bytes(
    client, as_admin, world, db_session, now
):
    first = client.get(URL, headers=as_admin).get_data(as_text=True)

    empty_database(db_session)
    assert db_session.scalar(select(func.count()).select_from(User)) == 0
    report = provision(db_session, parse_yaml(first), now=now)
    again = export_yaml(db_session)

    assert report.counts["agent"]["created"] == 3
    assert again == first
    assert export_yaml(db_session) == again  # and stays put


# -- load ----------------------------------------------------------------------------------------


def test_a_dry_run_reports_the_change_and_changes_nothing(client, as_admin, db_session):
    before = stored_world(db_session)

    answer = client.post(f"{URL}?dry_run=1", data=WORLD, headers=as_admin | YAML)

    assert answer.status_code == 200, answer.get_json()
    summary = answer.get_json()
    assert summary["dry_run"] is True and summary["changed"] is True
    assert summary["counts"]["client"] == {"created": 2, "updated": 0, "unchanged": 0}
    assert {"action": "created", "kind": "site", "key": "manila", "fields": []} in summary[
        "changes"
    ]
    assert "created client acme" in summary["lines"]
    assert stored_world(db_session) == before


def test_a_load_changes_the_world_as_the_admin_and_the_same_file_again_changes_nothing(
    client, as_admin, admin, db_session
):
    answer = client.post(URL, data=WORLD, headers=as_admin | {"Content-Type": "text/yaml"})

    assert answer.status_code == 200, answer.get_json()
    summary = answer.get_json()
    assert summary["dry_run"] is False and summary["changed"] is True
    assert summary["counts"]["customer"]["created"] == 2
    db_session.rollback()
    assert sorted(db_session.scalars(select(Client.slug))) == ["acme", "globex"]
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.kind == "provision")).one()
    assert event.actor_id == admin.id and "created client acme" in event.data["changes"]
    before = stored_world(db_session)

    again = client.post(URL, data=WORLD, headers=as_admin | {"Content-Type": "text/plain"})

    assert again.status_code == 200
    summary = again.get_json()
    assert summary["changed"] is False and summary["lines"] == [] and summary["changes"] == []
    assert summary["counts"]["agent"] == {"created": 0, "updated": 0, "unchanged": 3}
    assert stored_world(db_session) == before


def test_a_changed_entry_is_reported_as_an_update_of_its_fields(
    client, as_admin, world, db_session
):
    changed = WORLD.replace("capacity: 7", "capacity: 9")

    summary = client.post(URL, data=changed, headers=as_admin | YAML).get_json()

    assert summary["changes"] == [
        {
            "action": "updated",
            "kind": "agent",
            "key": "zoe@provider.test",
            "fields": ["capacity"],
            "values": {"capacity": {"before": 7, "after": 9}},
        }
    ]
    assert summary["lines"] == ["updated agent zoe@provider.test (capacity)"]


def test_a_bad_file_is_refused_with_the_path_of_each_problem_and_nothing_is_stored(
    client, as_admin, db_session
):
    bad = WORLD.replace("timezone: Asia/Manila", "timezone: Mars/Olympus").replace(
        "first_response: 30,", "first_response: -5,"
    )
    before = stored_world(db_session)

    answer = client.post(URL, data=bad, headers=as_admin | YAML)

    error = assert_error(answer, 422, "validation_error")
    assert "unknown time zone" in error["fields"]["sites[0].timezone"]
    assert "sla.urgent.first_response" in " ".join(error["fields"])
    assert stored_world(db_session) == before


def test_a_body_that_is_not_yaml_is_refused_as_a_whole(client, as_admin):
    answer = client.post(URL, data="clients: [unclosed", headers=as_admin | YAML)

    error = assert_error(answer, 422, "validation_error")
    assert "invalid YAML" in error["fields"]["body"]
    assert_error(client.post(URL, data=b"\xff\xfe", headers=as_admin | YAML), 422)
    assert_error(client.post(URL, json={"clients": []}, headers=as_admin), 415)


def test_aliases_are_refused_so_a_small_body_cannot_stand_for_a_huge_one(client, as_admin):
    bomb = "a: &a [x, x, x, x, x, x, x, x]\n" + "".join(
        f"{name}: &{name} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"
        for prev, name in zip("abcdefghi", "bcdefghij", strict=True)
    )
    bomb += "agents: [{email: a@provider.test, name: A, site: s, languages: *j}]\n"

    answer = client.post(URL, data=bomb, headers=as_admin | YAML)

    error = assert_error(answer, 422, "validation_error")
    assert "aliases" in error["fields"]["body"]


def test_a_body_over_the_limit_is_413_and_a_large_one_under_it_loads(client, as_admin, app):
    comment = "# " + "x" * 98 + "\n"
    large = comment * ((app.config["MAX_CONTENT_LENGTH"] + 100) // len(comment))
    assert len(large) < PROVISIONING_MAX_BYTES

    assert client.post(URL, data=large, headers=as_admin | YAML).status_code == 200
    too_large = comment * (PROVISIONING_MAX_BYTES // len(comment) + 1)
    assert_error(client.post(URL, data=too_large, headers=as_admin | YAML), 413)


# -- who may ---------------------------------------------------------------------------------------


def test_only_admins_may_export_or_load_the_world(client, bearer, as_admin, acme, app):
    for headers in (
        bearer(acme.agent),
        bearer(acme.supervisor),
        bearer(acme.customer),
        acme.intake,
    ):
        assert_error(client.get(URL, headers=headers), 403, "forbidden")
        assert_error(client.post(URL, data=WORLD, headers=headers | YAML), 403, "forbidden")
    assert_error(client.get(URL), 401)
    assert_error(client.post(URL, data=WORLD, headers=YAML), 401)
    browser = app.test_client()
    login(browser, acme.agent)  # a page session does not open the API
    assert_error(browser.get(URL), 401)
    assert client.get(URL, headers=as_admin).status_code == 200
    assert (
        client.post(f"{URL}?dry_run=true", data=WORLD, headers=as_admin | YAML).status_code == 200
    )
