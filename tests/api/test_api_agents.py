"""PUT /agents/me/status: an agent's presence, stored and announced."""

from datetime import UTC, datetime, timedelta

import pytest

from helpdesk.notify import publish, rooms
from tests.api.helpers import assert_error


@pytest.fixture
def emitted(monkeypatch):
    """What the API told connected clients."""
    sent = []
    monkeypatch.setattr(
        publish, "emit", lambda event, payload, *, to: sent.append((event, payload, to))
    )
    return sent


@pytest.mark.parametrize("status", ["online", "away", "offline"])
def test_an_agent_sets_their_presence(client, acme, bearer, db_session, emitted, status):
    headers = bearer(acme.agent)
    response = client.put("/api/v1/agents/me/status", json={"status": status}, headers=headers)
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == status
    assert body["agent"] == {"id": acme.agent.id, "name": acme.agent.name}
    db_session.refresh(acme.agent)
    assert acme.agent.presence == status
    assert abs(acme.agent.presence_at - datetime.now(UTC)) < timedelta(minutes=1)
    assert emitted == [
        (
            "presence",
            {"agent": {"id": acme.agent.id, "name": acme.agent.name}, "status": status},
            rooms.agents_room(),
        )
    ]


@pytest.mark.parametrize("role", ["customer", "supervisor"])
def test_people_who_are_not_agents_get_403(client, acme, bearer, emitted, role):
    response = client.put(
        "/api/v1/agents/me/status", json={"status": "online"}, headers=bearer(getattr(acme, role))
    )
    assert_error(response, 403, "forbidden")
    assert emitted == []


def test_admins_and_intake_tokens_get_403(client, acme, factory, bearer, emitted):
    for headers in (bearer(factory.admin()), acme.intake):
        response = client.put(
            "/api/v1/agents/me/status", json={"status": "online"}, headers=headers
        )
        assert_error(response, 403, "forbidden")
    assert emitted == []


@pytest.mark.parametrize(
    "payload", [{}, {"status": "busy"}, {"status": None}, {"status": "online", "mood": "ok"}]
)
def test_a_bad_status_is_422_and_changes_nothing(
    client, acme, bearer, db_session, emitted, payload
):
    response = client.put("/api/v1/agents/me/status", json=payload, headers=bearer(acme.agent))
    error = assert_error(response, 422, "validation_error")
    assert error["fields"]
    db_session.refresh(acme.agent)
    assert acme.agent.presence == "offline" and acme.agent.presence_at is None
    assert emitted == []
