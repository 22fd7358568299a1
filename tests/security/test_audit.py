"""The audit log: sign-ins, failed sign-ins, sign-outs, token issue, provisioning and exports are
recorded as append-only events; `flask audit list` reads them."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from helpdesk.models import AuditEvent
from helpdesk.models.audit import AppendOnlyError
from helpdesk.services import audit
from tests.conftest import api_token, login

EXAMPLE = Path(__file__).parent.parent / "services" / "data" / "api_example.yaml"
BROWSER = {"User-Agent": "Mozilla/5.0 (X11) " + "x" * 400}
MARCH = "from=2026-03-01&to=2026-03-31"


def events(session, kind=None) -> list[AuditEvent]:
    session.expire_all()
    stmt = select(AuditEvent).order_by(AuditEvent.id)
    if kind:
        stmt = stmt.where(AuditEvent.kind == kind)
    return list(session.scalars(stmt))


def everything_stored(session) -> str:
    return " ".join(
        f"{e.kind} {e.actor_id} {e.client_id} {e.ip} {e.user_agent} {json.dumps(e.data)}"
        for e in events(session)
    )


def test_a_staff_sign_in_records_who_from_where_with_the_user_agent_cut_short(
    client, factory, db_session
):
    acme = factory.client("acme")
    sam = factory.supervisor(acme)
    client.post(
        "/login",
        data={"email": sam.email, "password": "pw"},
        headers=BROWSER,
        environ_base={"REMOTE_ADDR": "203.0.113.9"},
    )
    [event] = events(db_session)
    assert (event.kind, event.actor_id, event.client_id) == ("login", sam.id, acme.id)
    assert event.ip == "203.0.113.9"
    assert event.user_agent.startswith("Mozilla/5.0") and len(event.user_agent) == 200
    assert event.data == {"realm": "staff"}
    assert event.at.tzinfo is not None


def test_a_failed_sign_in_says_neither_whether_the_account_exists_nor_the_password(
    client, factory, db_session
):
    acme = factory.client("acme")
    sam = factory.supervisor(acme)
    client.post("/login", data={"email": sam.email, "password": "Hunter2-secret"})
    client.post("/login", data={"email": "ghost@example.test", "password": "Hunter2-secret"})
    known, unknown = events(db_session, "login_failed")
    for event in (known, unknown):
        assert event.actor_id is None and event.client_id is None
        assert set(event.data) == {"email", "realm"}
    assert known.data == {"email": sam.email, "realm": "staff"}
    assert unknown.data == {"email": "ghost@example.test", "realm": "staff"}
    assert "Hunter2" not in everything_stored(db_session)


def test_portal_sign_in_failure_and_sign_out_are_recorded_for_the_client(
    client, factory, db_session
):
    acme = factory.client("acme")
    kei = factory.customer(acme)
    client.post("/c/acme/login", data={"email": kei.email, "password": "nope-pw"})
    login(client, kei)
    client.post("/c/acme/logout")
    failed, signed_in, signed_out = events(db_session)
    assert (failed.kind, failed.actor_id, failed.client_id) == ("login_failed", None, acme.id)
    assert failed.data == {"email": kei.email, "realm": "portal"}
    assert (signed_in.kind, signed_in.actor_id, signed_in.data) == (
        "login",
        kei.id,
        {"realm": "portal"},
    )
    assert (signed_out.kind, signed_out.actor_id) == ("logout", kei.id)
    assert "nope-pw" not in everything_stored(db_session)


def test_a_staff_sign_out_is_recorded(client, factory, db_session):
    agent = factory.agent([factory.client("acme")])
    login(client, agent)
    client.post("/logout")
    assert [(e.kind, e.actor_id) for e in events(db_session)] == [
        ("login", agent.id),
        ("logout", agent.id),
    ]


def test_issuing_an_api_token_is_recorded_and_a_failed_attempt_too(client, factory, db_session):
    acme = factory.client("acme")
    kei = factory.customer(acme)
    client.post(
        "/api/v1/auth/token",
        json={"email": kei.email, "password": "bad-pw", "client": "acme"},
    )
    api_token(client, kei)
    failed, issued = events(db_session)
    assert (failed.kind, failed.actor_id, failed.client_id) == ("login_failed", None, acme.id)
    assert failed.data == {"email": kei.email, "realm": "api"}
    assert (issued.kind, issued.actor_id, issued.client_id) == ("token_issued", kei.id, acme.id)
    assert "bad-pw" not in everything_stored(db_session)
    # The token itself is never in the log.
    assert "hdu_" not in everything_stored(db_session)


def test_provisioning_records_its_changes_and_nothing_when_nothing_changed(cli, db_session):
    assert cli("provision", EXAMPLE).exit_code == 0
    assert cli("provision", EXAMPLE).exit_code == 0
    [event] = events(db_session, "provision")
    assert event.actor_id is None
    assert "created client acme" in event.data["changes"]
    assert "pw-ana" not in everything_stored(db_session)


@pytest.fixture
def supervised(client, factory):
    acme = factory.client("acme")
    factory.ticket(acme)
    sam = factory.supervisor(acme)
    login(client, sam)
    return acme, sam


@pytest.mark.parametrize(
    "url,what",
    [
        (f"/supervisor/metrics/tickets.csv?client=acme&{MARCH}", "tickets.csv"),
        (f"/supervisor/export.jsonl?client=acme&{MARCH}", "export.jsonl"),
    ],
)
def test_a_download_from_the_supervisor_pages_is_recorded(
    client, supervised, db_session, url, what
):
    acme, sam = supervised
    response = client.get(url)
    assert response.status_code == 200
    response.get_data()
    [event] = events(db_session, "export")
    assert (event.actor_id, event.client_id, event.data["what"]) == (sam.id, acme.id, what)


@pytest.mark.parametrize(
    "url,what",
    [
        (f"/api/v1/metrics/tickets.csv?client=acme&{MARCH}", "tickets.csv"),
        ("/api/v1/export.jsonl?client=acme", "export.jsonl"),
    ],
)
def test_a_download_through_the_api_is_recorded(client, factory, db_session, url, what):
    acme = factory.client("acme")
    sam = factory.supervisor(acme)
    response = client.get(url, headers=api_token(client, sam))
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    response.get_data()
    [event] = events(db_session, "export")
    assert (event.actor_id, event.client_id, event.data["what"]) == (sam.id, acme.id, what)


def test_a_refused_export_of_another_client_records_nothing(
    client, supervised, factory, db_session
):
    factory.client("globex")
    response = client.get(f"/supervisor/export.jsonl?client=globex&{MARCH}")
    assert response.status_code == 404
    assert events(db_session, "export") == []


def test_audit_events_can_be_neither_changed_nor_deleted(db_session, now):
    event = audit.record(db_session, "login_failed", now=now, data={"email": "a@b.test"})
    db_session.commit()
    event.kind = "login"
    with pytest.raises(AppendOnlyError):
        db_session.commit()
    db_session.rollback()
    db_session.delete(db_session.get(AuditEvent, event.id))
    with pytest.raises(AppendOnlyError):
        db_session.commit()
    db_session.rollback()


def test_an_unknown_kind_is_refused(db_session, now):
    with pytest.raises(ValueError, match="unknown audit kind"):
        audit.record(db_session, "coffee", now=now)


def test_flask_audit_list_prints_the_latest_first_and_filters(cli, factory, db_session, now):
    acme, globex = factory.client("acme"), factory.client("globex")
    sam = factory.supervisor(acme)
    audit.record(db_session, "login", actor=sam, now=now - timedelta(days=2), ip="192.0.2.1")
    audit.record(db_session, "login_failed", now=now, data={"email": "x@y.test"})
    audit.record(db_session, "export", actor=sam, client_id=globex.id, now=now)
    db_session.commit()

    everything = cli("audit", "list")
    assert everything.exit_code == 0, everything.output
    lines = everything.stdout.splitlines()
    assert len(lines) == 3
    assert lines[-1].startswith("2026-03-07T15:00:00Z login actor=" + sam.email)
    assert "client=acme ip=192.0.2.1" in lines[-1]

    recent = cli("audit", "list", "--since", "2026-03-08").stdout.splitlines()
    assert len(recent) == 2
    failed = cli("audit", "list", "--kind", "login_failed").stdout.splitlines()
    assert len(failed) == 1 and '"email": "x@y.test"' in failed[0]
    about_globex = cli("audit", "list", "--client", "globex").stdout.splitlines()
    assert len(about_globex) == 1 and " export " in about_globex[0]
    assert cli("audit", "list", "--client", "nope").exit_code == 2
    assert cli("audit", "list", "--kind", "coffee").exit_code == 2


def test_a_portal_registration_and_a_settings_change_are_audited(client, factory, db_session):
    from sqlalchemy import select

    from helpdesk.models import AuditEvent, User

    factory.client("acme")
    answer = client.post(
        "/c/acme/register",
        data={"name": "Mia", "email": "mia@example.test", "password": "long-enough-pw"},
    )
    assert answer.status_code in (302, 303)
    mia = db_session.scalar(select(User).where(User.email == "mia@example.test"))
    mia.email_confirmed_at = mia.created_at  # as if the mailed link was followed
    db_session.commit()
    client.post("/c/acme/login", data={"email": "mia@example.test", "password": "long-enough-pw"})
    client.post("/c/acme/settings", data={"locale": "de", "timezone": "Europe/Berlin"})
    kinds = db_session.scalars(select(AuditEvent.kind).order_by(AuditEvent.id)).all()
    assert "registered" in kinds and "settings_changed" in kinds
    changed = db_session.scalar(select(AuditEvent).where(AuditEvent.kind == "settings_changed"))
    assert changed.data["timezone"][1] == "Europe/Berlin"
