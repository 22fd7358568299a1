"""Provisioning files: strict validation with paths, atomic upserts, idempotent re-runs."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from helpdesk.extensions import db
from helpdesk.i18n import normalize_locale
from helpdesk.models import STAFF_REALM, AuditEvent, Calendar, Client, Site, SlaTarget, User
from helpdesk.services import provisioning
from helpdesk.services.auth import token_digest
from helpdesk.services.provisioning import ProvisioningError, provision, provision_file

EXAMPLE = Path(__file__).parent / "data" / "api_example.yaml"


pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def example():
    """The API.md example file as parsed data, fresh for each test to mutate."""
    return yaml.safe_load(EXAMPLE.read_text())


def row_counts(session) -> dict[str, int]:
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def user(session, email, realm=STAFF_REALM) -> User:
    return session.scalars(select(User).where(User.email == email, User.realm == realm)).one()


def errors_of(session, data, now) -> list[str]:
    with pytest.raises(ProvisioningError) as info:
        provision(session, data, now=now)
    return info.value.errors


# -- loading ------------------------------------------------------------------------------------


def test_the_api_example_file_loads_every_section(db_session, now):
    report = provision_file(db_session, EXAMPLE, now=now)

    assert report.changed
    assert report.lines() == [
        "created calendar acme-hours",
        "created client acme",
        "created site manila",
        "created agent ana@provider.test",
        "created supervisor sam@acme.test",
        "created customer acme:kei@example.jp",
        "created admin root@provider.test",
    ]
    acme = db_session.scalars(select(Client)).one()
    assert (acme.name, acme.timezone, acme.default_locale) == (
        "Acme Corp",
        "America/New_York",
        "en",
    )
    assert acme.intake_token_hash == token_digest("acme-intake-secret")
    assert acme.inbound_email == "support@acme.test"
    assert acme.escalation == ["notify_supervisors", "raise_priority"]
    targets = {t.priority: t for t in acme.sla_targets}
    assert (targets["urgent"].first_response, targets["urgent"].calendar) == (30, None)
    assert targets["high"].calendar.name == "acme-hours"
    assert (targets["low"].next_response, targets["low"].resolution) == (960, 2880)
    calendar = db_session.scalars(select(Calendar)).one()
    assert calendar.hours["fri"] == ["09:00-17:00"] and "sat" not in calendar.hours
    assert calendar.holidays == ["2026-12-25"]
    manila = db_session.scalars(select(Site)).one()
    assert manila.shifts == {"mon": ["22:00-07:00"], "tue": ["22:00-07:00"]}
    assert manila.holidays == ["2026-12-30"]

    ana = user(db_session, "ana@provider.test")
    assert (ana.role, ana.site, ana.capacity) == ("agent", manila, 5)
    assert ana.language_codes == sorted(["en", normalize_locale("tl")])
    assert ana.skill_names == ["billing"]
    assert [c.slug for c in ana.served_clients] == ["acme"] and not ana.serves_all_clients
    assert ana.check_password("pw-ana") and ana.created_at == now
    sam = user(db_session, "sam@acme.test")
    assert (sam.role, sam.client, sam.timezone) == ("supervisor", acme, "America/New_York")
    kei = user(db_session, "kei@example.jp", realm=acme.id)
    assert (kei.role, kei.client, kei.locale, kei.timezone) == (
        "customer",
        acme,
        "ja",
        "Asia/Tokyo",
    )
    assert kei.check_password("pw-kei")
    assert user(db_session, "root@provider.test").role == "admin"


def test_rerunning_the_same_file_changes_nothing(db_session, now):
    provision_file(db_session, EXAMPLE, now=now)
    counts = row_counts(db_session)
    hashes = dict(db_session.execute(select(User.email, User.password_hash)).all())

    report = provision_file(db_session, EXAMPLE, now=now)

    assert (report.changed, report.lines()) == (False, [])
    assert row_counts(db_session) == counts
    assert dict(db_session.execute(select(User.email, User.password_hash)).all()) == hashes


def test_a_changed_capacity_is_reported_as_an_update(db_session, now, example):
    provision(db_session, example, now=now)
    example["agents"][0]["capacity"] = 7

    report = provision(db_session, example, now=now)

    assert report.lines() == ["updated agent ana@provider.test (capacity)"]
    assert user(db_session, "ana@provider.test").capacity == 7


def test_a_changed_password_is_hashed_again_and_reported(db_session, now, example):
    provision(db_session, example, now=now)
    example["admins"][0]["password"] = "new-root-pw"

    report = provision(db_session, example, now=now)

    assert report.lines() == ["updated admin root@provider.test (password)"]
    root = user(db_session, "root@provider.test")
    assert root.check_password("new-root-pw") and not root.check_password("pw-root")


def test_a_password_the_person_changed_is_kept_unless_forced(db_session, now, example):
    from helpdesk.services import accounts

    provision(db_session, example, now=now)
    root = user(db_session, "root@provider.test")
    accounts.change_password(
        db_session, root, current="pw-root", new="my-own-pw", realm="staff", now=now
    )
    example["admins"][0]["password"] = "new-root-pw"

    report = provision(db_session, example, now=now)

    assert report.lines() == [
        "kept admin root@provider.test's own password (--force-passwords resets it)"
    ]
    assert root.check_password("my-own-pw")
    forced = provision(db_session, example, now=now, force_passwords=True)
    assert forced.lines() == ["updated admin root@provider.test (password)"]
    assert root.check_password("new-root-pw")
    # Set by the file again, so the file may change it again.
    example["admins"][0]["password"] = "newer-root-pw"
    assert provision(db_session, example, now=now).lines() == [
        "updated admin root@provider.test (password)"
    ]


def test_flask_provision_force_passwords_is_an_option(app, db_session, tmp_path):
    spec = tmp_path / "world.yaml"
    spec.write_text(EXAMPLE.read_text())
    runner = app.test_cli_runner()
    assert runner.invoke(args=["provision", str(spec)]).exit_code == 0
    result = runner.invoke(args=["provision", "--force-passwords", str(spec)])
    assert result.exit_code == 0 and "nothing changed" in result.output


def test_sla_priorities_left_out_of_the_file_are_removed_and_changes_reported(
    db_session, now, example
):
    provision(db_session, example, now=now)
    sla = example["clients"][0]["sla"]
    del sla["low"]
    sla["high"]["calendar"] = "24x7"

    report = provision(db_session, example, now=now)

    assert report.lines() == ["updated client acme (sla.low, sla.high)"]
    targets = {t.priority: t for t in db_session.scalars(select(SlaTarget))}
    assert sorted(targets) == ["high", "normal", "urgent"]
    assert targets["high"].calendar_id is None


def test_an_agents_languages_skills_and_clients_are_replaced_by_the_files_lists(
    db_session, now, example
):
    example["clients"].append({"slug": "globex", "name": "Globex", "timezone": "Europe/Berlin"})
    provision(db_session, example, now=now)
    example["agents"][0].update(languages=["pt-BR", "en"], skills=["network"], clients=["globex"])

    report = provision(db_session, example, now=now)

    assert report.lines() == ["updated agent ana@provider.test (languages, skills, clients)"]
    ana = user(db_session, "ana@provider.test")
    assert ana.language_codes == ["en", "pt_BR"]
    assert ana.skill_names == ["network"]
    assert [c.slug for c in ana.served_clients] == ["globex"]


def test_a_star_lets_an_agent_serve_every_client(db_session, now, example):
    example["agents"][0]["clients"] = ["*"]
    provision(db_session, example, now=now)
    ana = user(db_session, "ana@provider.test")
    assert ana.serves_all_clients and ana.served_clients == []

    example["agents"][0]["clients"] = ["acme"]
    assert provision(db_session, example, now=now).lines() == [
        "updated agent ana@provider.test (clients)"
    ]
    assert not ana.serves_all_clients and [c.slug for c in ana.served_clients] == ["acme"]


def test_objects_left_out_of_a_later_file_are_kept(db_session, now, example):
    provision(db_session, example, now=now)

    report = provision(
        db_session,
        {"sites": [{"slug": "krakow", "name": "Kraków", "timezone": "Europe/Warsaw"}]},
        now=now,
    )

    assert report.lines() == ["created site krakow"]
    assert row_counts(db_session)["users"] == 4
    assert len(db_session.scalars(select(SlaTarget)).all()) == 4


def test_later_files_may_refer_to_what_the_database_already_holds(db_session, now, example):
    provision(db_session, example, now=now)
    later = {
        "clients": [
            {
                "slug": "globex",
                "name": "Globex",
                "timezone": "Europe/Berlin",
                "sla": {
                    "high": {
                        "first_response": 5,
                        "next_response": 5,
                        "resolution": 60,
                        "calendar": "acme-hours",
                    }
                },
            }
        ],
        "agents": [
            {
                "email": "bo@provider.test",
                "name": "Bo",
                "site": "manila",
                "clients": ["acme", "globex"],
            }
        ],
        "customers": [
            {"email": "Lena@Example.AT", "name": "Lena", "client": "acme", "locale": "de-AT"}
        ],
    }

    report = provision(db_session, later, now=now)

    assert report.lines() == [
        "created client globex",
        "created agent bo@provider.test",
        "created customer acme:lena@example.at",
    ]
    acme = db_session.scalars(select(Client).where(Client.slug == "acme")).one()
    assert user(db_session, "lena@example.at", realm=acme.id).locale == "de_AT"


def test_an_agents_own_shift_is_validated_and_stored(db_session, now, example):
    shift = {"timezone": "Asia/Manila", "hours": {"sat": ["20:00-04:00"]}}
    example["agents"][0]["shift"] = shift
    provision(db_session, example, now=now)

    assert user(db_session, "ana@provider.test").shift_override == shift | {"holidays": []}
    assert provision(db_session, example, now=now).lines() == []


# -- refusing -----------------------------------------------------------------------------------


def _set_in(data, path, value):
    *parents, last = path
    for key in parents:
        data = data[key]
    data[last] = value


CASES = {
    "unknown section": (("teams",), [], "teams: unknown section"),
    "unknown agent key": (("agents", 0, "langs"), ["en"], "agents[0].langs: unknown key"),
    "unknown sla key": (
        ("clients", 0, "sla", "high", "warn_at"),
        5,
        "clients[0].sla.high.warn_at: unknown key",
    ),
    "missing name": (("clients", 0, "name"), None, "clients[0].name: "),
    "unknown time zone": (
        ("sites", 0, "timezone"),
        "Asia/Tokio",
        "sites[0].timezone: unknown time zone 'Asia/Tokio'",
    ),
    "bad locale": (("customers", 0, "locale"), "xx-YY", "customers[0].locale: unknown locale"),
    "bad default locale": (("clients", 0, "default_locale"), 7, "clients[0].default_locale: "),
    "bad time": (
        ("calendars", 0, "hours", "mon"),
        ["09:00-25:00"],
        "calendars[0].hours.mon[0]: bad time",
    ),
    "not an interval": (("calendars", 0, "hours", "tue"), ["9-5"], "calendars[0].hours.tue[0]: "),
    "unknown weekday": (("sites", 0, "shifts", "monday"), [], "sites[0].shifts.monday: "),
    "overlapping overnight shifts": (
        ("sites", 0, "shifts", "tue"),
        ["06:00-12:00"],
        "sites[0].shifts: overlapping intervals",
    ),
    "bad holiday": (("calendars", 0, "holidays"), ["2026-02-30"], "calendars[0].holidays[0]: "),
    "holidays not a list": (("sites", 0, "holidays"), "2026-12-30", "sites[0].holidays: "),
    "unknown priority": (("clients", 0, "sla", "asap"), {}, "clients[0].sla.asap: unknown prio"),
    "zero minutes": (
        ("clients", 0, "sla", "high", "first_response"),
        0,
        "clients[0].sla.high.first_response: ",
    ),
    "fractional minutes": (
        ("clients", 0, "sla", "low", "resolution"),
        1.5,
        "clients[0].sla.low.resolution: ",
    ),
    "unknown sla calendar": (
        ("clients", 0, "sla", "high", "calendar"),
        "x",
        "clients[0].sla.high.calendar: unknown calendar 'x'",
    ),
    "unknown escalation": (
        ("clients", 0, "escalation"),
        ["notify_supervisors", "page_ceo"],
        "clients[0].escalation[1]: unknown escalation 'page_ceo'",
    ),
    "short intake token": (("clients", 0, "intake_token"), "abc", "clients[0].intake_token: "),
    "bad slug": (("clients", 0, "slug"), "Acme Corp", "clients[0].slug: bad slug"),
    "long slug": (("sites", 0, "slug"), "m" * 41, "sites[0].slug: bad slug"),
    "bad e-mail": (("admins", 0, "email"), "root@localhost", "admins[0].email: not an e-mail"),
    "unknown agent site": (("agents", 0, "site"), "tokio", "agents[0].site: unknown site 'tokio'"),
    "unknown agent client": (
        ("agents", 0, "clients"),
        ["acme", "initech"],
        "agents[0].clients[1]: unknown client",
    ),
    "star among clients": (("agents", 0, "clients"), ["*", "acme"], "agents[0].clients: "),
    "unknown supervisor client": (
        ("supervisors", 0, "client"),
        "globex",
        "supervisors[0].client: unknown client 'globex'",
    ),
    "unknown customer client": (("customers", 0, "client"), "", "customers[0].client: unknown"),
    "negative capacity": (("agents", 0, "capacity"), -1, "agents[0].capacity: "),
    "text capacity": (("agents", 0, "capacity"), "5", "agents[0].capacity: "),
    "boolean capacity": (("agents", 0, "capacity"), True, "agents[0].capacity: "),
    "duplicate language": (
        ("agents", 0, "languages"),
        ["pt-BR", "pt_BR"],
        "agents[0].languages[1]: dup",
    ),
    "bad skill": (("agents", 0, "skills"), ["Billing Dept"], "agents[0].skills[0]: bad skill"),
    "numeric password": (("agents", 0, "password"), 1234, "agents[0].password: "),
    "bad user time zone": (("admins", 0, "timezone"), "CET+1", "admins[0].timezone: unknown"),
    "bad shift": (
        ("agents", 0, "shift"),
        {"timezone": "Asia/Manila", "hours": {"mon": ["7-15"]}},
        "agents[0].shift.hours.mon[0]: ",
    ),
    "shift without zone": (
        ("agents", 0, "shift"),
        {"hours": {}},
        "agents[0].shift.timezone: required",
    ),
    "section not a list": (("admins",), {"email": "x@y.test"}, "admins: must be a list"),
    "entry not a mapping": (("sites", 0), "manila", "sites[0]: must be a mapping"),
    "reserved calendar name": (("calendars", 0, "name"), "24x7", "calendars[0].name: "),
}


@pytest.mark.parametrize(("path", "value", "expected"), CASES.values(), ids=CASES.keys())
def test_an_invalid_entry_is_refused_with_its_path_and_nothing_is_stored(
    db_session, now, example, path, value, expected
):
    if value is None:
        del example[path[0]][path[1]][path[2]]
    else:
        _set_in(example, path, value)
    empty = row_counts(db_session)

    errors = errors_of(db_session, example, now)

    assert any(e.startswith(expected) for e in errors), errors
    assert row_counts(db_session) == empty


def test_duplicates_within_the_file_are_refused(db_session, now, example):
    example["clients"].append(
        copy.deepcopy(example["clients"][0]) | {"intake_token": "other-token-123"}
    )
    example["clients"].append(
        {"slug": "globex", "name": "G", "timezone": "UTC", "inbound_email": "Support@acme.test"}
    )
    example["admins"].append({"email": "ANA@provider.test", "name": "Ana again"})
    example["customers"].append(example["customers"][0] | {"name": "Kei twice"})

    errors = errors_of(db_session, example, now)

    assert "clients[1].slug: duplicate 'acme', first at clients[0]" in errors
    assert "clients[2].inbound_email: already used by client 'acme'" in errors
    assert "admins[1].email: duplicate 'ana@provider.test', first at agents[0]" in errors
    assert "customers[1].email: duplicate 'kei@example.jp', first at customers[0]" in errors


def test_a_file_with_several_errors_lists_them_all(db_session, now, example):
    example["agents"][0]["site"] = "tokio"
    example["clients"][0]["sla"]["high"]["calendar"] = "x"
    example["sites"][0]["timezone"] = "Mars/Olympus"
    example["customers"][0]["locale"] = "klingon"

    with pytest.raises(ProvisioningError) as info:
        provision(db_session, example, now=now)

    assert info.value.errors == [
        "clients[0].sla.high.calendar: unknown calendar 'x'",
        "sites[0].timezone: unknown time zone 'Mars/Olympus'",
        "agents[0].site: unknown site 'tokio'",
        "customers[0].locale: unknown locale 'klingon'",
    ]
    assert str(info.value) == "\n".join(info.value.errors)


def test_parsed_data_is_validated_without_a_file_and_each_problem_names_its_field(
    db_session, example
):
    example["sites"][0]["timezone"] = "Mars/Olympus"
    example["customers"][0]["locale"] = "klingon"

    with pytest.raises(ProvisioningError) as info:
        provisioning.validate(db_session, example)

    assert info.value.problems == [
        ("sites[0].timezone", "unknown time zone 'Mars/Olympus'"),
        ("customers[0].locale", "unknown locale 'klingon'"),
    ]


def test_an_intake_token_of_another_client_is_refused(db_session, now, example):
    provision(db_session, example, now=now)
    other = {
        "slug": "globex",
        "name": "Globex",
        "timezone": "UTC",
        "intake_token": "acme-intake-secret",
    }

    errors = errors_of(db_session, {"clients": [other]}, now)

    assert errors == ["clients[0].intake_token: already used by client 'acme'"]


def test_a_staff_address_keeps_its_role(db_session, now, example):
    provision(db_session, example, now=now)
    demoted = {"admins": [{"email": "ana@provider.test", "name": "Ana", "password": "x"}]}

    errors = errors_of(db_session, demoted, now)

    assert errors == [
        "admins[0].email: ana@provider.test is already registered as agent; roles are not changed"
    ]


def test_a_failure_while_writing_leaves_nothing_half_loaded(db_session, now, example, monkeypatch):
    def broken(self, role, values):
        raise RuntimeError("disk full")

    monkeypatch.setattr(provisioning.apply._Applier, "_user", broken)
    empty = row_counts(db_session)

    with pytest.raises(RuntimeError):
        provision(db_session, example, now=now)

    assert row_counts(db_session) == empty


def test_a_repeated_yaml_key_is_refused_rather_than_silently_dropped(db_session, now, tmp_path):
    path = tmp_path / "twice.yaml"
    path.write_text("sites:\n  - slug: a\n    name: A\n    slug: b\n    timezone: UTC\n")

    with pytest.raises(ProvisioningError) as info:
        provision_file(db_session, path, now=now)

    assert info.value.errors == ["sites[0].slug: duplicate key (line 4)"]


def test_broken_yaml_and_missing_files_are_provisioning_errors(db_session, now, tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("clients: [\n")

    with pytest.raises(ProvisioningError, match="invalid YAML at line"):
        provision_file(db_session, path, now=now)
    with pytest.raises(ProvisioningError, match="cannot read"):
        provision_file(db_session, tmp_path / "missing.yaml", now=now)
    with pytest.raises(ProvisioningError, match="must be a mapping of sections"):
        provision(db_session, ["clients"], now=now)


def test_an_empty_file_changes_nothing(db_session, now, tmp_path):
    path = tmp_path / "empty.yaml"
    path.write_text("# nothing yet\n")

    assert provision_file(db_session, path, now=now).lines() == []


def test_a_calendar_without_business_hours_is_refused(db_session, now):
    # SLA clocks on it would never fall due: the filing that started one would fail.
    data = {"calendars": [{"name": "never", "timezone": "UTC", "hours": {}}]}
    with pytest.raises(ProvisioningError) as refused:
        provision(db_session, data, now=now)
    assert [path for path, _message in refused.value.problems] == ["calendars[0].hours"]


def test_an_update_is_audited_with_each_fields_value_before_and_after(db_session, now):
    provision(
        db_session, {"sites": [{"slug": "mnl", "name": "Manila", "timezone": "UTC"}]}, now=now
    )
    change = {"sites": [{"slug": "mnl", "name": "Manila North", "timezone": "Asia/Manila"}]}
    provision(db_session, change, now=now)
    from_audit = db_session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "provision").order_by(AuditEvent.id)
    ).all()[-1]
    [item] = from_audit.data["items"]
    assert item["values"] == {
        "name": {"before": "Manila", "after": "Manila North"},
        "timezone": {"before": "UTC", "after": "Asia/Manila"},
    }


def test_a_changed_secret_is_audited_only_as_changed(db_session, now):
    client = {"slug": "acme", "name": "Acme", "timezone": "UTC", "intake_token": "first-token-1234"}
    provision(db_session, {"clients": [client]}, now=now)
    provision(db_session, {"clients": [client | {"intake_token": "second-token-5678"}]}, now=now)
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.kind == "provision").order_by(AuditEvent.id)
    ).all()[-1]
    assert event.data["items"][0]["values"] == {"intake_token": {"changed": True}}
    assert "second-token" not in str(event.data)
