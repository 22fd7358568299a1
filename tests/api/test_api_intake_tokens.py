"""Intake tokens per client: an admin issues one (its secret shown once), the client's
integration files with it, the list shows its last use, and a revoked token files nothing from
that moment on; only a digest is ever stored, and every change is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpdesk.models import AuditEvent, IntakeToken, SiteSetting
from helpdesk.services.world_cache import VERSION_KEY
from tests.api.helpers import assert_error

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")

TICKET = {"subject": "Printer", "body": "Jammed", "requester": {"email": "it@acme.test"}}


@pytest.fixture
def as_admin(bearer, factory):
    """One admin token per test (a second factor code works once per 30 seconds)."""
    return bearer(factory.admin(name="Olga Operator"))


def issue(client, headers, slug="acme", name="Acme ServiceNow"):
    return client.post(
        f"/api/v1/admin/clients/{slug}/intake-tokens", json={"name": name}, headers=headers
    )


def bearer_of(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def test_an_issued_token_files_tickets_and_shows_its_last_use(client, as_admin, acme):
    answer = issue(client, as_admin)
    assert answer.status_code == 201
    issued = answer.get_json()
    assert issued["token"].startswith("hdi_") and issued["name"] == "Acme ServiceNow"

    filed = client.post("/api/v1/tickets", json=TICKET, headers=bearer_of(issued["token"]))

    assert filed.status_code == 201 and filed.get_json()["client"] == "acme"
    listed = client.get("/api/v1/admin/clients/acme/intake-tokens", headers=as_admin).get_json()
    [row] = listed["tokens"]
    assert row["id"] == issued["id"] and row["live"] is True
    assert row["last_used_at"] is not None and "token" not in row
    # The provisioned token keeps working beside the issued ones.
    assert client.post("/api/v1/tickets", json=TICKET, headers=acme.intake).status_code == 201


def test_a_revoked_token_files_nothing_from_that_moment(client, as_admin, acme, db_session):
    issued = issue(client, as_admin).get_json()
    headers = bearer_of(issued["token"])
    assert client.post("/api/v1/tickets", json=TICKET, headers=headers).status_code == 201
    version = db_session.scalar(select(SiteSetting.value).where(SiteSetting.key == VERSION_KEY))

    url = f"/api/v1/admin/clients/acme/intake-tokens/{issued['id']}"
    assert client.delete(url, headers=as_admin).status_code == 204

    assert client.post("/api/v1/tickets", json=TICKET, headers=headers).status_code == 401
    # Every process drops its cached tokens: the world version moved on.
    db_session.expire_all()
    assert (
        db_session.scalar(select(SiteSetting.value).where(SiteSetting.key == VERSION_KEY))
        != version
    )
    assert client.delete(url, headers=as_admin).status_code == 204  # again: nothing changes
    listed = client.get("/api/v1/admin/clients/acme/intake-tokens", headers=as_admin).get_json()
    assert listed["tokens"][0]["live"] is False and listed["tokens"][0]["revoked_at"]


def test_only_a_digest_is_stored_and_every_change_is_audited(client, as_admin, acme, db_session):
    issued = issue(client, as_admin).get_json()
    client.delete(f"/api/v1/admin/clients/acme/intake-tokens/{issued['id']}", headers=as_admin)
    stored = db_session.scalar(select(IntakeToken.token_hash))
    assert issued["token"] not in stored and len(stored) == 64
    events = db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.kind.in_(("token_issued", "token_revoked")))
        .where(AuditEvent.client_id == acme.client.id)
        .order_by(AuditEvent.id)
    ).all()
    assert [(e.kind, e.data["realm"], e.data["token_id"]) for e in events] == [
        ("token_issued", "intake", issued["id"]),
        ("token_revoked", "intake", issued["id"]),
    ]


def test_another_clients_token_cannot_be_revoked_through_this_client(
    client, as_admin, acme, globex
):
    issued = issue(client, as_admin, slug="globex", name="Globex Zendesk").get_json()
    answer = client.delete(
        f"/api/v1/admin/clients/acme/intake-tokens/{issued['id']}", headers=as_admin
    )
    assert_error(answer, 404)
    ticket = {**TICKET, "requester": {"email": "it@globex.test"}}
    filed = client.post("/api/v1/tickets", json=ticket, headers=bearer_of(issued["token"]))
    assert filed.status_code == 201 and filed.get_json()["client"] == "globex"


@pytest.mark.parametrize("who", ["agent", "supervisor", "customer"])
def test_only_admins_manage_intake_tokens(client, bearer, acme, who):
    headers = bearer(getattr(acme, who))
    assert_error(issue(client, headers), 403, "forbidden")
    listed = client.get("/api/v1/admin/clients/acme/intake-tokens", headers=headers)
    assert_error(listed, 403, "forbidden")
    assert_error(issue(client, acme.intake), 403)


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 81}, {"name": 5}, {"name": "a", "x": 1}],
)
def test_a_bad_name_is_refused_and_nothing_is_issued(client, as_admin, acme, db_session, body):
    answer = client.post("/api/v1/admin/clients/acme/intake-tokens", json=body, headers=as_admin)
    assert answer.status_code in (400, 422)
    assert db_session.scalar(select(IntakeToken.id)) is None


def test_unknown_clients_and_tokens_are_404(client, as_admin, acme):
    assert_error(issue(client, as_admin, slug="nobody"), 404)
    for raw in ("0", "-1", "abc", "99999999999", "12345"):
        answer = client.delete(f"/api/v1/admin/clients/acme/intake-tokens/{raw}", headers=as_admin)
        assert_error(answer, 404)
