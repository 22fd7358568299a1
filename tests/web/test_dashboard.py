"""The supervisor's metrics dashboard: figures of a known period, period and zone validation,
the tickets behind each figure, CSV and JSON Lines downloads, and who may see what."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from helpdesk.api import metrics as metrics_api
from helpdesk.supervisor import dashboard as dashboard_module
from tests.conftest import login
from tests.services.metrics_data import SEEN_AT, build

MARCH = "from=2026-03-01&to=2026-03-31"
DRILL = f"/supervisor/metrics/tickets?client=acme&{MARCH}"
EN = {"Accept-Language": "en"}


@pytest.fixture
def world(db_session, factory, monkeypatch):
    """The ten hand-computed tickets of the metrics tests, read at the fixture's instant."""
    monkeypatch.setattr(metrics_api, "_now", lambda: SEEN_AT)
    monkeypatch.setattr(dashboard_module, "_now", lambda: SEEN_AT)
    return build(db_session, factory)


@pytest.fixture
def as_supervisor(client, world):
    """The test client signed in as acme's supervisor (zone America/New_York)."""
    login(client, world.supervisor)
    return client


def html_of(response) -> str:
    """The page's HTML."""
    return response.get_data(as_text=True)


def figure(html: str, label: str) -> str:
    """The number on a headline tile."""
    found = re.search(
        rf'<span class="figure-label">{label}</span><span class="figure-value"><a [^>]*>([^<]+)<',
        html,
    )
    assert found, label
    return found.group(1)


def metric_row(html: str, name: str) -> list[str]:
    """The cells of a metric's row in the response-times table, as text."""
    html = re.sub(r'<span class="visually-hidden">[^<]*</span>', "", html)
    row = re.search(rf'<th scope="row">{name}</th>(.*?)</tr>', html, re.S)
    assert row, name
    return [
        re.sub(r"<[^>]+>", "", cell).strip()
        for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)
    ]


def refs(response) -> list[str]:
    """The ticket references listed on a drill-down page, in order."""
    return re.findall(r'<span class="ref">([A-Z0-9-]+)</span>', html_of(response))


def test_the_dashboard_shows_the_figures_of_a_known_period(as_supervisor):
    response = as_supervisor.get(f"/supervisor/?{MARCH}", headers=EN)
    assert response.status_code == 200
    html = html_of(response)
    assert "America/New_York" in html
    assert figure(html, "Tickets") == "10"
    assert figure(html, "Solved") == "5"
    assert figure(html, "SLA breaches") == "5"
    assert figure(html, "Still open") == "5"
    # measured, median, p90, met, missed, attainment
    assert metric_row(html, "First response") == ["7", "40 min", "1 h 4 min", "6", "2", "75%"]
    assert metric_row(html, "Next response") == ["2", "30 min", "42 min", "1", "2", "33.3%"]
    assert metric_row(html, "Resolution") == ["5", "3 h 20 min", "6 h", "4", "1", "80%"]


def test_the_breakdowns_heatmap_and_trend_are_shown_with_tables_behind_the_charts(as_supervisor):
    html = html_of(as_supervisor.get(f"/supervisor/?{MARCH}", headers=EN))
    for dimension in ("priority", "channel", "locale", "site", "agent"):
        assert f'data-dimension="{dimension}"' in html
    assert html.count("<svg") >= 2 and html.count('<details class="chart-data">') == 2
    # Ticket 10 came in at 00:10 on Sunday March 1, New York time: weekday 6, hour 0.
    assert "weekday=6&amp;hour=0" in html
    assert "day=2026-03-31" in html  # ticket 9: 23:30 New York time, still March
    assert "priority=high" in html and "agent=-" in html


def test_numbers_follow_the_viewers_language(as_supervisor):
    html = html_of(as_supervisor.get(f"/supervisor/?{MARCH}", headers={"Accept-Language": "de"}))
    assert "75\xa0%" in html


def test_without_dates_the_period_is_this_month_in_the_viewers_zone(client, world, monkeypatch):
    monkeypatch.setattr(dashboard_module, "_now", lambda: datetime(2026, 3, 15, 12, tzinfo=UTC))
    login(client, world.supervisor)
    html = html_of(client.get("/supervisor/", headers=EN))
    assert 'value="2026-03-01"' in html and 'value="2026-03-15"' in html
    assert re.search(r'<option selected value="America/New_York">', html)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=2026-03-31&to=2026-03-01", "The period ends before it starts."),
        ("from=2026-02-30&to=2026-03-01", "Not a valid date value."),
        ("from=2024-01-01&to=2026-03-01", "A period covers at most 366 days."),
        ("from=0001-01-01&to=0001-01-02", "Give a date from 1900-01-01"),
        (f"{MARCH}&tz=Mars/Olympus_Mons", "Unknown time zone"),
    ],
)
def test_a_bad_period_or_zone_is_a_form_error(as_supervisor, query, message):
    response = as_supervisor.get(f"/supervisor/?{query}", headers=EN)
    assert response.status_code == 422
    assert message in html_of(response)
    assert 'class="figure-tile' not in html_of(response)


def test_the_drill_down_lists_the_tickets_behind_a_figure(as_supervisor, world):
    missed = as_supervisor.get(f"{DRILL}&figure=missed&metric=first_response", headers=EN)
    assert missed.status_code == 200
    assert refs(missed) == ["ACME-4", "ACME-7"]
    html = html_of(missed)
    four = world.tickets[4].id
    assert f'href="/supervisor/tickets/{four}"' in html
    assert f'href="/supervisor/tickets/{four}/sla"' in html
    assert "Missed" in html and "40 min" in html
    assert "Targets missed: first response" in html
    cell = as_supervisor.get(f"{DRILL}&weekday=6&hour=0", headers=EN)
    assert refs(cell) == ["ACME-10"]
    assert "Sunday" in html_of(cell) and "00:00–00:59" in html_of(cell)
    assert len(refs(as_supervisor.get(f"{DRILL}&figure=tickets"))) == 10


def test_the_drill_down_pages_through_the_tickets(as_supervisor):
    first = as_supervisor.get(f"{DRILL}&per_page=4")
    third = as_supervisor.get(f"{DRILL}&per_page=4&page=3")
    assert refs(first) == ["ACME-10", "ACME-1", "ACME-2", "ACME-3"]
    assert refs(third) == ["ACME-8", "ACME-9"]
    assert 'rel="next"' in html_of(first) and 'rel="next"' not in html_of(third)


def test_a_supervisor_may_leave_the_client_out_of_the_drill_down(as_supervisor):
    response = as_supervisor.get(f"/supervisor/metrics/tickets?{MARCH}&figure=solved")
    assert refs(response) == ["ACME-10", "ACME-1", "ACME-2", "ACME-3", "ACME-8"]


@pytest.mark.parametrize(
    "query", ["&figure=everything", "&weekday=9", "&agent=abc", "&page=0", "&to=2026-13-01"]
)
def test_a_bad_drill_down_is_a_422_page_not_a_500(as_supervisor, query):
    response = as_supervisor.get(f"{DRILL}{query}", headers=EN)
    assert response.status_code == 422
    assert "invalid fields" in html_of(response)


def test_the_csv_streams_the_periods_tickets(as_supervisor):
    response = as_supervisor.get(f"/supervisor/metrics/tickets.csv?client=acme&{MARCH}")
    assert response.status_code == 200
    assert response.content_type == "text/csv; charset=utf-8"
    assert response.is_streamed
    assert "attachment" in response.headers["Content-Disposition"]
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0].startswith("id,reference") and len(lines) == 11
    narrowed = as_supervisor.get(
        f"/supervisor/metrics/tickets.csv?client=acme&{MARCH}&figure=missed&metric=first_response"
    )
    assert len(narrowed.get_data(as_text=True).splitlines()) == 3


def test_the_json_lines_export_streams_the_clients_history(as_supervisor):
    response = as_supervisor.get("/supervisor/export.jsonl")
    assert response.status_code == 200
    assert response.content_type == "application/jsonl; charset=utf-8"
    assert response.is_streamed
    records = [json.loads(line) for line in response.get_data(as_text=True).splitlines()]
    assert records[0]["type"] == "export" and records[-1]["type"] == "end"
    tickets = [r for r in records if r["type"] == "ticket"]
    assert len(tickets) == 12  # the ten and the two just outside March; not globex's


def test_the_dashboard_links_its_downloads_for_the_period(as_supervisor):
    html = html_of(as_supervisor.get(f"/supervisor/?{MARCH}"))
    assert "/supervisor/metrics/tickets.csv?client=acme&amp;tz=America/New_York" in html
    assert 'href="/supervisor/export.jsonl?client=acme"' in html


@pytest.mark.parametrize(
    "path",
    [
        f"/supervisor/?client=acme&{MARCH}",
        f"{DRILL}",
        f"/supervisor/metrics/tickets.csv?client=acme&{MARCH}",
        "/supervisor/export.jsonl?client=acme",
    ],
)
def test_a_supervisor_of_another_client_gets_404(client, world, path):
    login(client, world.other_supervisor)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/supervisor/",
        f"{DRILL}",
        f"/supervisor/metrics/tickets.csv?client=acme&{MARCH}",
        "/supervisor/export.jsonl?client=acme",
    ],
)
def test_agents_and_customers_get_404(client, world, factory, path):
    login(client, world.agent)
    assert client.get(path).status_code == 404
    client.post("/logout")
    login(client, factory.customer(world.client, email="cu@example.test"))
    assert client.get(path).status_code == 404


def test_an_admin_picks_the_client_and_an_unknown_one_is_404(client, world, factory):
    login(client, factory.admin())
    globex = html_of(client.get(f"/supervisor/?client=globex&{MARCH}&tz=America/New_York"))
    assert figure(globex, "Tickets") == "1"
    assert client.get(f"/supervisor/?client=nope&{MARCH}").status_code == 404
    assert client.get("/supervisor/export.jsonl?client=nope").status_code == 404
    export = client.get("/supervisor/export.jsonl?client=globex")
    assert export.status_code == 200 and b'"globex"' in export.get_data()
