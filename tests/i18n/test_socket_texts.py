"""Texts pushed over Socket.IO never carry the language or zone of whoever caused the push."""

from __future__ import annotations

import pytest
from flask import g
from flask_babel import get_timezone, refresh

from helpdesk.notify import publish

NOTE = {
    "code": "queued_next_shift",
    "params": {"site": "Manila", "expected_pickup_at": "2026-03-10T00:00:00Z"},
}


@pytest.fixture
def pushed(monkeypatch):
    """Every (event, payload) handed to Socket.IO."""
    sent = []
    monkeypatch.setattr(
        publish.socketio, "emit", lambda event, payload, to: sent.append((event, payload))
    )
    return sent


def test_a_japanese_speaker_in_tokyo_causes_a_routing_reason_in_the_desk_language_and_utc(
    app, acme, factory, pushed
):
    kei = factory.customer(acme, locale="ja", timezone="Asia/Tokyo")
    ticket = factory.ticket(acme, kei)
    ticket.routing_note = NOTE
    ticket.assignee = factory.agent([acme])
    ticket.assignee_id = ticket.assignee.id
    pushed.clear()
    with app.test_request_context("/", headers={"Accept-Language": "ja"}):
        refresh()
        publish.ticket_changed(ticket, "updated", {"id": ticket.id, "routing": {"reason": "x"}})
        publish.ticket_assigned(ticket)
    reasons = [payload["ticket"]["routing"] for _event, payload in pushed]
    assert len(reasons) == 2
    for routing in reasons:
        assert routing["reason"] == (
            "Nobody who can take it is available now; it waits for Manila, whose next shift "
            "starts Mar 10, 2026, 12:00:00\u202fAM."
        )
        assert routing["reason_code"] == "queued_next_shift"
        assert routing["reason_params"] == NOTE["params"]


def test_after_the_push_the_request_keeps_its_own_zone(app, acme, factory, pushed):
    kei = factory.customer(acme, timezone="Asia/Tokyo")
    ticket = factory.ticket(acme, kei)
    with app.test_request_context("/"):
        g.client = acme
        refresh()
        assert str(get_timezone()) == "America/New_York"
        publish.ticket_changed(ticket, "updated")
        assert str(get_timezone()) == "America/New_York"


def test_text_rendered_for_a_recipient_uses_their_language_and_zone(app):
    from datetime import UTC, datetime

    from helpdesk.i18n import dt, rendered_for

    at = datetime(2026, 3, 9, 15, 5, tzinfo=UTC)
    with app.test_request_context("/"):
        refresh()
        with rendered_for("de", "Asia/Tokyo"):
            assert dt(at, "short") == "10.03.26, 00:05"
        with rendered_for("ja", "Not/AZone"):
            assert dt(at, "short") == "2026/03/09 15:05"
        assert dt(at, "short") == "3/9/26, 3:05\u202fPM"
