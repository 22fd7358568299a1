"""A page's row texts say exactly what the per-call filters say: dates, relative times,
countdowns and links, in every UI language and in zones with odd offsets and DST."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import url_for

from helpdesk.agent.filters import countdown_filter
from helpdesk.i18n import dt, reltime, rendered_for
from helpdesk.web.row_format import RowDates, id_url

NOW = datetime(2026, 3, 29, 0, 30, 7, 250_000, tzinfo=UTC)  # an hour before Europe's DST starts
# Seconds to shift NOW by: boundaries of Babel's units and of countdown.js's rounding.
OFFSETS = [
    0,
    1,
    29,
    30,
    31,
    59,
    60,
    89.5,
    90,
    3_599,
    3_600,
    5_399,
    5_400,
    3_600 * 22,
    3_600 * 47.9,
    86_400 * 2,
    86_400 * 6.4,
    86_400 * 7,
    86_400 * 26,
    86_400 * 40,
    86_400 * 330,
    86_400 * 800,
]
DELTAS = sorted({s for o in OFFSETS for s in (o, -o, o + 0.4, -o - 0.6)})


@pytest.mark.parametrize("locale", ["en", "de", "ja", "ar", "pt_BR"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Berlin", "Asia/Kolkata", "America/St_Johns"])
def test_row_dates_say_what_the_filters_say(app, locale, zone):
    with app.test_request_context(), rendered_for(locale, zone):
        dates = RowDates.for_viewer(NOW)
        for seconds in DELTAS:
            value = NOW + timedelta(seconds=seconds)
            assert dates.dt(value) == dt(value)
            assert dates.reltime(value) == reltime(value, NOW)
            assert dates.countdown(value) == countdown_filter(value, NOW)
        assert dates.dt(None) == dates.reltime(None) == dates.countdown(None) == ""


def test_row_dates_remember_nothing_of_another_zone(app):
    value = datetime(2026, 7, 1, 22, 15, 0, tzinfo=UTC)
    with app.test_request_context():
        with rendered_for("en", "UTC"):
            in_utc = RowDates.for_viewer(NOW).dt(value)
        with rendered_for("en", "Asia/Tokyo"):
            in_tokyo = RowDates.for_viewer(NOW).dt(value)
    assert (in_utc, in_tokyo) == (
        "Jul 1, 2026, 10:15:00\u202fPM",
        "Jul 2, 2026, 7:15:00\u202fAM",
    )


def test_a_row_link_is_the_link_url_for_builds(app):
    with app.test_request_context():
        ticket_url = id_url("agent.ticket", "ticket_id")
        take_url = id_url("agent.take", "ticket_id")
        for ticket_id in (1, 7, 10, 2147483647):
            assert ticket_url(ticket_id) == url_for("agent.ticket", ticket_id=ticket_id)
            assert take_url(ticket_id) == url_for("agent.take", ticket_id=ticket_id)
