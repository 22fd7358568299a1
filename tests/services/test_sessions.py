"""Ending sessions and tokens, the one service for it: provisioning signs out people whose
password it resets or whose access it narrows; a deactivation signs out everywhere."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from helpdesk.models import STAFF_REALM, ApiToken, AuditEvent, User, UserSession
from helpdesk.services import sessions
from helpdesk.services.auth import issue_token, token_for
from helpdesk.services.errors import NotFound
from helpdesk.services.provisioning import provision

EXAMPLE = Path(__file__).parent / "data" / "api_example.yaml"

pytestmark = pytest.mark.usefixtures("cheap_password_hashing")


@pytest.fixture
def world(db_session, now):
    """The API.md example, provisioned; ana signed in on a browser and with a token."""
    data = yaml.safe_load(EXAMPLE.read_text())
    provision(db_session, data, now=now)
    ana = db_session.scalars(
        select(User).where(User.email == "ana@provider.test", User.realm == STAFF_REALM)
    ).one()
    key, _record = sessions.start(
        db_session, ana, realm="staff", user_agent="x", ip="10.0.0.1", now=now
    )
    db_session.commit()
    token = issue_token(db_session, ana, now=datetime.now(UTC))
    return {"data": data, "ana": ana, "key": key, "token": token}


def signed_in(session, world) -> tuple[bool, bool]:
    """Whether ana's browser session and her token still work."""
    session.expire_all()
    browser = sessions.live(session, world["key"], user_id=world["ana"].id) is not None
    program = token_for(session, world["token"], now=datetime.now(UTC)) is not None
    return browser, program


def ana_entry(world) -> dict:
    [entry] = [a for a in world["data"]["agents"] if a["email"] == "ana@provider.test"]
    return entry


def test_running_the_same_file_again_signs_nobody_out(db_session, now, world):
    provision(db_session, world["data"], now=now)
    assert signed_in(db_session, world) == (True, True)


def test_giving_an_agent_more_clients_keeps_them_signed_in(db_session, now, world):
    world["data"]["clients"].append({"slug": "globex", "name": "Globex", "timezone": "UTC"})
    ana_entry(world)["clients"] = ["acme", "globex"]
    provision(db_session, world["data"], now=now)
    assert signed_in(db_session, world) == (True, True)


def test_taking_a_client_away_signs_the_agent_out_everywhere(db_session, now, world):
    world["data"]["clients"].append({"slug": "globex", "name": "Globex", "timezone": "UTC"})
    ana_entry(world)["clients"] = ["globex"]
    provision(db_session, world["data"], now=now)
    assert signed_in(db_session, world) == (False, False)
    [event] = db_session.scalars(select(AuditEvent).where(AuditEvent.kind == "sessions_ended"))
    assert event.actor_id is None
    assert event.data["user_id"] == world["ana"].id
    assert event.data["reason"] == "permissions_changed"


def test_a_password_reset_by_provisioning_signs_the_person_out_everywhere(db_session, now, world):
    ana_entry(world)["password"] = "a-new-password"
    provision(db_session, world["data"], now=now, force_passwords=True)
    assert signed_in(db_session, world) == (False, False)


def test_a_deactivation_signs_out_every_session_and_token(db_session, world):
    ana = world["ana"]
    ana.active = False
    ended = sessions.end_all(
        db_session, ana, reason="deactivated", now=datetime.now(UTC), actor=None
    )
    assert (ended.sessions, ended.tokens) == (1, 1)
    assert signed_in(db_session, world) == (False, False)
    reasons = db_session.scalars(select(UserSession.end_reason)).all()
    assert reasons == ["deactivated"]


def test_a_revoked_token_is_another_users_to_revoke_never(db_session, world, factory):
    other = factory.agent()
    token_id = db_session.scalar(select(ApiToken.id))
    with pytest.raises(NotFound):
        sessions.revoke_token(db_session, other, token_id, now=datetime.now(UTC))
    assert signed_in(db_session, world) == (True, True)
    sessions.revoke_token(db_session, world["ana"], token_id, now=datetime.now(UTC))
    assert signed_in(db_session, world) == (True, False)
