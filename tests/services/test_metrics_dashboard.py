"""The dashboard's one-pass figures (grouping sets on PostgreSQL) equal the part-by-part ones."""

from __future__ import annotations

from datetime import date

import pytest

from helpdesk.domain.metrics import Period
from helpdesk.services import metrics
from helpdesk.services.metrics import Scope
from tests.services.metrics_data import SEEN_AT, build


@pytest.fixture
def world(db_session, factory):
    """The ten hand-computed tickets of March 2026 (New York), and their neighbours."""
    return build(db_session, factory)


@pytest.mark.parametrize(
    "first, last, tz",
    [
        (date(2026, 3, 1), date(2026, 3, 31), "America/New_York"),  # a DST change inside
        (date(2026, 3, 1), date(2026, 3, 31), "Asia/Kathmandu"),  # a quarter-hour zone
        (date(2026, 2, 27), date(2026, 3, 2), "UTC"),  # a short period on the edge
        (date(2025, 1, 1), date(2025, 1, 31), "UTC"),  # nothing in it
    ],
)
def test_the_whole_dashboard_at_once_gives_the_figures_of_each_part(
    db_session, world, first, last, tz
):
    scope = Scope(client=world.client, period=Period(first, last, tz), now=SEEN_AT)
    found = metrics.dashboard(db_session, scope)
    assert found.summary == metrics.summary(db_session, scope)
    assert found.breakdowns == {
        d: metrics.breakdown(db_session, scope, d) for d in metrics.DIMENSIONS
    }
    assert found.heatmap == metrics.heatmap(db_session, scope)
    assert found.trend == metrics.trend(db_session, scope)


def test_the_dashboard_leaves_out_the_parts_not_asked_for(db_session, world):
    scope = Scope(
        client=world.client,
        period=Period(date(2026, 3, 1), date(2026, 3, 31), "America/New_York"),
        now=SEEN_AT,
    )
    found = metrics.dashboard(db_session, scope, breakdowns=False, heatmap=False, trend=False)
    assert found.summary == metrics.summary(db_session, scope)
    assert (found.breakdowns, found.heatmap, found.trend) == ({}, None, None)
    assert metrics.dashboard(db_session, scope, heatmap=False).trend is not None
