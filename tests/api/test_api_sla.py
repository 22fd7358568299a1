"""SLA through the API: the preview endpoint and clocks driven by replies and status changes."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from helpdesk.extensions import db
from helpdesk.models import Calendar, SlaTarget, TicketEvent
from helpdesk.services import sla_scan
from tests.api.helpers import assert_error

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")


@pytest.fixture
def policy(acme, db_session):
    """API.md's example policy for acme: business hours for high, 24x7 for urgent."""
    hours = Calendar(
        name="acme-hours",
        timezone="America/New_York",
        hours={d: ["09:00-17:00"] for d in WEEKDAYS},
        holidays=["2026-12-25"],
    )
    db_session.add_all(
        [
            hours,
            SlaTarget(
                client=acme.client,
                priority="high",
                first_response=60,
                next_response=120,
                resolution=480,
                calendar=hours,
            ),
            SlaTarget(
                client=acme.client,
                priority="urgent",
                first_response=30,
                next_response=60,
                resolution=240,
            ),
        ]
    )
    db_session.commit()
    return hours


def preview(http, headers, **params):
    return http.get("/api/v1/sla/preview", query_string=params, headers=headers)


def test_the_preview_follows_the_worked_example(client, acme, policy, bearer):
    response = preview(
        client,
        bearer(acme.agent),
        client="acme",
        priority="high",
        start="2026-11-05T16:00:00-05:00",
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {
        "client": "acme",
        "priority": "high",
        "start": "2026-11-05T21:00:00Z",
        "calendar": "acme-hours",
        "first_response_due_at": "2026-11-05T22:00:00Z",
        "next_response_due_at": "2026-11-06T15:00:00Z",
        "resolution_due_at": "2026-11-06T21:00:00Z",
    }


def test_a_supervisor_previews_their_own_client_only(client, acme, globex, policy, bearer):
    params = {"client": "acme", "priority": "urgent", "start": "2026-03-01T00:00:00Z"}
    mine = preview(client, bearer(acme.supervisor), **params)
    assert mine.get_json()["first_response_due_at"] == "2026-03-01T00:30:00Z"
    assert_error(preview(client, bearer(globex.supervisor), **params), 404)
    assert_error(preview(client, bearer(globex.agent), **params), 404)


def test_customers_and_intake_tokens_may_not_preview(client, acme, policy, bearer):
    params = {"client": "acme", "priority": "urgent", "start": "2026-03-01T00:00:00Z"}
    assert_error(preview(client, bearer(acme.customer), **params), 403)
    assert_error(preview(client, acme.intake, **params), 403)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"priority": "urgent", "start": "2026-03-01T00:00:00"}, "start"),
        ({"priority": "urgent", "start": "yesterday"}, "start"),
        ({"priority": "asap", "start": "2026-03-01T00:00:00Z"}, "priority"),
        ({"start": "2026-03-01T00:00:00Z"}, "priority"),
    ],
)
def test_bad_preview_parameters_name_the_field(client, acme, policy, bearer, params, field):
    error = assert_error(preview(client, bearer(acme.agent), client="acme", **params), 422)
    assert field in error["fields"]


def test_a_priority_without_targets_is_not_found(client, acme, policy, bearer):
    response = preview(
        client, bearer(acme.agent), client="acme", priority="low", start="2026-03-01T00:00:00Z"
    )
    assert_error(response, 404, "no_policy")


def clocks(client, headers, ticket_id):
    body = client.get(f"/api/v1/tickets/{ticket_id}", headers=headers).get_json()
    return {(c["metric"], c["cycle"]): c for c in body["sla"]}


def test_clocks_follow_replies_notes_pauses_and_reopening(client, acme, policy, bearer):
    agent, customer = bearer(acme.agent), bearer(acme.customer)
    created = client.post(
        "/api/v1/tickets",
        headers=customer,
        json={"subject": "Down", "body": "All down", "priority": "urgent"},
    )
    ticket_id = created.get_json()["id"]
    assert set(clocks(client, agent, ticket_id)) == {("first_response", 1), ("resolution", 1)}

    post = f"/api/v1/tickets/{ticket_id}/messages"
    client.post(post, headers=agent, json={"body": "checking logs", "internal": True})
    assert clocks(client, agent, ticket_id)[("first_response", 1)]["fulfilled_at"] is None
    client.post(post, headers=agent, json={"body": "We are on it"})
    first = clocks(client, agent, ticket_id)[("first_response", 1)]
    assert first["fulfilled_at"] is not None and first["state"] == "hit"

    patch = f"/api/v1/tickets/{ticket_id}"
    client.patch(patch, headers=agent, json={"status": "pending"})
    resolution = clocks(client, agent, ticket_id)[("resolution", 1)]
    assert resolution["paused"] is True and resolution["due_at"] is None

    client.post(post, headers=customer, json={"body": "Here are the logs"})
    now = clocks(client, agent, ticket_id)
    assert now[("resolution", 1)]["paused"] is False
    assert now[("next_response", 1)]["state"] == "active"

    client.patch(patch, headers=agent, json={"status": "solved"})
    assert clocks(client, agent, ticket_id)[("resolution", 1)]["state"] == "hit"
    client.post(post, headers=customer, json={"body": "Broken again"})
    reopened = clocks(client, agent, ticket_id)[("resolution", 1)]
    assert (reopened["state"], reopened["fulfilled_at"]) == ("active", None)


def test_a_breach_is_recorded_once_and_shows_in_the_ticket(client, acme, policy, bearer):
    agent = bearer(acme.agent)
    created = client.post(
        "/api/v1/tickets",
        headers=acme.intake,
        json={
            "subject": "Down",
            "body": "All down",
            "priority": "urgent",
            "requester": {"email": "kei@example.jp"},
        },
    )
    ticket_id = created.get_json()["id"]
    later = datetime.now(UTC) + timedelta(minutes=31)
    sla_scan.scan(db.session, now=later)
    sla_scan.scan(db.session, now=later + timedelta(minutes=1))
    first = clocks(client, agent, ticket_id)[("first_response", 1)]
    assert (first["breached"], first["state"]) == (True, "missed")
    breaches = db.session.scalar(
        select(func.count())
        .select_from(TicketEvent)
        .where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "sla_breach")
    )
    assert breaches == 1
