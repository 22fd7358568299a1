"""GET /metrics, /metrics/tickets, /metrics/tickets.csv and /export.jsonl: figures, streams,
roles and tenant isolation."""

from __future__ import annotations

import csv
import io
import json

import pytest

from helpdesk.api import metrics as metrics_api
from helpdesk.schemas import DrillPage, MetricsReport
from helpdesk.services import export
from helpdesk.services.tickets import add_message
from tests.api.helpers import assert_error, intake_headers
from tests.services.metrics_data import EXPECTED, SEEN_AT, build, ny

MARCH = "client=acme&from=2026-03-01&to=2026-03-31"
API_MD_KEYS = {"client", "from", "to", "tz", "tickets", "solved", "first_response",
               "next_response", "resolution", "breaches", "backlog"}  # fmt: skip


@pytest.fixture
def world(db_session, factory, monkeypatch):
    """The ten hand-computed tickets, read at the fixture's instant."""
    monkeypatch.setattr(metrics_api, "_now", lambda: SEEN_AT)
    return build(db_session, factory)


@pytest.fixture
def sup(world, bearer):
    """The acme supervisor's headers."""
    return bearer(world.supervisor)


def test_a_supervisor_gets_the_figures_in_the_documented_shape(client, world, sup):
    response = client.get(f"/api/v1/metrics?{MARCH}", headers=sup)
    assert response.status_code == 200
    data = response.get_json()
    MetricsReport.model_validate(data)
    assert set(data) >= API_MD_KEYS
    assert set(data) - API_MD_KEYS == {"start", "end", "backlog_by_age"}
    assert (data["client"], data["from"], data["to"]) == ("acme", "2026-03-01", "2026-03-31")
    assert data["tz"] == "America/New_York"
    assert (data["start"], data["end"]) == ("2026-03-01T05:00:00Z", "2026-04-01T04:00:00Z")
    assert data["tickets"] == 10 and data["solved"] == 5 and data["breaches"] == 5
    assert data["backlog"] == EXPECTED["backlog"]
    assert data["backlog_by_age"] == EXPECTED["backlog_by_age"]
    fr = data["first_response"]
    assert fr["median_minutes"] == 40.0 and fr["p90_minutes"] == pytest.approx(64.0)
    assert fr["attainment"] == 0.75 and (fr["met"], fr["missed"], fr["count"]) == (6, 2, 7)
    assert data["next_response"]["median_minutes"] == 30.0
    assert data["next_response"]["p90_minutes"] == pytest.approx(42.0)
    assert data["resolution"]["p90_minutes"] == pytest.approx(360.0)
    assert data["resolution"]["attainment"] == 0.8


def test_the_zone_defaults_to_the_callers_then_the_clients(client, world, bearer, factory):
    admin = factory.admin()  # no zone of their own: the client's (New York)
    data = client.get(f"/api/v1/metrics?{MARCH}", headers=bearer(admin)).get_json()
    assert data["tz"] == "America/New_York" and data["tickets"] == 10
    tokyo = factory.supervisor(world.client, timezone="Asia/Tokyo")
    data = client.get(f"/api/v1/metrics?{MARCH}", headers=bearer(tokyo)).get_json()
    assert data["tz"] == "Asia/Tokyo"
    # Tokyo's March starts Feb 28 15:00Z: ticket 12 (Mar 1 04:59Z) is in, 9 (Apr 1 03:30Z) out.
    assert data["tickets"] == 10
    data = client.get(f"/api/v1/metrics?{MARCH}&tz=UTC", headers=bearer(tokyo)).get_json()
    assert data["tz"] == "UTC" and data["start"] == "2026-03-01T00:00:00Z"


def test_include_adds_breakdowns_heatmap_and_trend(client, world, sup):
    url = f"/api/v1/metrics?{MARCH}&include=breakdowns,heatmap,trend"
    data = client.get(url, headers=sup).get_json()
    MetricsReport.model_validate(data)
    assert set(data["breakdowns"]) == {"priority", "channel", "locale", "site", "agent"}
    high = next(r for r in data["breakdowns"]["priority"] if r["value"] == "high")
    assert (high["tickets"], high["solved"], high["first_response"]["median_minutes"]) == (
        3,
        3,
        40.0,
    )
    assert data["breakdowns"]["site"][1] == {
        **data["breakdowns"]["site"][1],
        "value": "manila",
        "label": "Manila",
        "tickets": 2,
    }
    assert len(data["heatmap"]) == 7 and all(len(row) == 24 for row in data["heatmap"])
    assert data["heatmap"][1][23] == 1
    assert data["trend"][-1] == {"date": "2026-03-31", "tickets": 1, "solved": 0}
    assert len(data["trend"]) == 31


def test_the_drill_down_lists_the_tickets_behind_a_figure(client, world, sup):
    url = f"/api/v1/metrics/tickets?{MARCH}&figure=missed&metric=first_response"
    response = client.get(url, headers=sup)
    assert response.status_code == 200
    data = response.get_json()
    DrillPage.model_validate(data)
    assert [i["reference"] for i in data["items"]] == ["ACME-4", "ACME-7"]
    assert data["total"] == 2
    data = client.get(f"/api/v1/metrics/tickets?{MARCH}&agent={world.agent.id}", headers=sup)
    assert [i["reference"] for i in data.get_json()["items"]] == ["ACME-1", "ACME-2"]
    assert data.get_json()["items"][0]["assignee"] == {"id": world.agent.id, "name": "Ana"}
    paged = client.get(f"/api/v1/metrics/tickets?{MARCH}&per_page=3&page=4", headers=sup)
    assert paged.get_json()["total"] == 10 and len(paged.get_json()["items"]) == 1


def _csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def test_the_csv_is_streamed_with_one_row_per_ticket_of_the_period(client, world, sup):
    response = client.get(f"/api/v1/metrics/tickets.csv?{MARCH}", headers=sup)
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert response.headers["Content-Disposition"] == (
        'attachment; filename="acme-tickets-2026-03-01-2026-03-31.csv"'
    )
    rows = _csv(response)
    assert list(rows[0]) == list(export.CSV_COLUMNS)
    assert [r["reference"] for r in rows][0] == "ACME-10"  # oldest first
    assert sorted(int(r["reference"].split("-")[1]) for r in rows) == list(range(1, 11))
    by_ref = {r["reference"]: r for r in rows}
    nine = by_ref["ACME-9"]
    assert nine["created_at"] == "2026-04-01T03:30:00Z"
    assert nine["created_local"] == "2026-03-31T23:30:00-04:00"
    assert (nine["first_response_minutes"], nine["first_response_outcome"]) == ("60.0", "met")
    assert nine["resolution_outcome"] == "running" and nine["breaches"] == "0"
    three = by_ref["ACME-3"]
    assert (three["next_response_count"], three["next_response_max_minutes"]) == ("2", "45.0")
    assert three["next_response_missed"] == "1" and three["resolution_outcome"] == "missed"
    assert three["breaches"] == "2"
    assert by_ref["ACME-7"]["first_response_outcome"] == "missed"  # past due, not yet scanned
    assert by_ref["ACME-8"]["first_response_outcome"] == "cancelled"
    assert by_ref["ACME-1"]["site"] == "manila" and by_ref["ACME-1"]["assignee"] == "Ana"
    assert sum(int(r["breaches"]) for r in rows) == EXPECTED["breaches"]


def test_the_csv_takes_the_drill_down_filters_and_defuses_formulas(client, world, sup, db_session):
    world.tickets[1].subject = "=HYPERLINK(evil)"
    db_session.commit()
    rows = _csv(client.get(f"/api/v1/metrics/tickets.csv?{MARCH}&priority=high", headers=sup))
    assert [r["reference"] for r in rows] == ["ACME-10", "ACME-1", "ACME-8"]
    assert rows[1]["subject"] == "'=HYPERLINK(evil)"


def test_the_csv_stays_one_query_in_batches_over_many_rows(client, world, sup, monkeypatch):
    monkeypatch.setattr(export, "CSV_BATCH", 3)
    response = client.get(f"/api/v1/metrics/tickets.csv?{MARCH}", headers=sup)
    chunks = [c.decode() if isinstance(c, bytes) else c for c in response.response]
    assert len(chunks) >= 4  # yielded as it goes, not built whole
    assert len(list(csv.DictReader(io.StringIO("".join(chunks))))) == 10


def _lines(response) -> list[dict]:
    text = response.get_data(as_text=True)
    assert text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def test_the_export_streams_every_ticket_with_messages_events_and_clocks(
    client, world, sup, db_session, factory
):
    filed = factory.ticket(world.client, subject="Real thread")
    add_message(db_session, ticket=filed, author=world.agent, body="Public reply", now=SEEN_AT)
    add_message(
        db_session, ticket=filed, author=world.agent, body="Secret", now=SEEN_AT, internal=True
    )
    response = client.get("/api/v1/export.jsonl?client=acme", headers=sup)
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Type"] == "application/jsonl; charset=utf-8"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="acme-export-')
    lines = _lines(response)
    head, tickets, end = lines[0], lines[1:-1], lines[-1]
    assert head["type"] == "export" and head["format"] == "helpdesk-export"
    assert head["version"] == 1 and head["client"]["slug"] == "acme"
    assert head["internal_notes"] is False
    assert all(t["type"] == "ticket" for t in tickets)
    assert [t["id"] for t in tickets] == sorted(t["id"] for t in tickets)
    assert len(tickets) == 13  # the ten, the two outside March, and the filed one
    assert "Globex" not in {t["subject"] for t in tickets}
    thread = next(t for t in tickets if t["subject"] == "Real thread")
    assert [m["body"] for m in thread["messages"]] == ["Public reply"]
    assert thread["messages"][0]["author"]["role"] == "agent"
    assert {"created", "message_added", "note_added"} <= {e["kind"] for e in thread["events"]}
    assert {c["metric"] for c in tickets[2]["sla"]} == {"first_response", "next_response",
                                                        "resolution"}  # fmt: skip
    assert end == {
        "type": "end",
        "tickets": 13,
        "messages": sum(len(t["messages"]) for t in tickets),
        "events": sum(len(t["events"]) for t in tickets),
    }


def test_an_admins_export_includes_internal_notes(client, world, bearer, db_session, factory):
    filed = factory.ticket(world.client, subject="Noted")
    add_message(db_session, ticket=filed, author=world.agent, body="Secret", now=SEEN_AT,
                internal=True)  # fmt: skip
    lines = _lines(client.get("/api/v1/export.jsonl?client=acme", headers=bearer(factory.admin())))
    assert lines[0]["internal_notes"] is True
    noted = next(t for t in lines[1:-1] if t["subject"] == "Noted")
    assert [(m["body"], m["internal"]) for m in noted["messages"]] == [("Secret", True)]


def test_the_export_walks_tickets_in_batches(client, world, sup, monkeypatch):
    monkeypatch.setattr(export, "EXPORT_BATCH", 2)
    lines = _lines(client.get("/api/v1/export.jsonl?client=acme", headers=sup))
    assert lines[-1]["tickets"] == 12 and len(lines) == 14


ENDPOINTS = [
    f"/api/v1/metrics?{MARCH}",
    f"/api/v1/metrics/tickets?{MARCH}",
    f"/api/v1/metrics/tickets.csv?{MARCH}",
    "/api/v1/export.jsonl?client=acme",
]


@pytest.mark.parametrize("url", ENDPOINTS)
def test_another_clients_supervisor_gets_404(client, world, bearer, url):
    assert_error(client.get(url, headers=bearer(world.other_supervisor)), 404, "not_found")


@pytest.mark.parametrize("url", ENDPOINTS)
def test_agents_customers_and_intake_tokens_get_403(client, world, bearer, factory, url):
    assert_error(client.get(url, headers=bearer(world.agent)), 403, "forbidden")
    customer = factory.customer(world.client)
    assert_error(client.get(url, headers=bearer(customer)), 403, "forbidden")
    assert_error(client.get(url, headers=intake_headers(world.client)), 403, "forbidden")
    assert_error(client.get(url), 401, "unauthorized")


@pytest.mark.parametrize("url", ENDPOINTS)
def test_an_admin_sees_any_client_and_nobody_sees_an_unknown_one(client, world, bearer, factory,
                                                                  url):  # fmt: skip
    admin = bearer(factory.admin())
    assert client.get(url, headers=admin).status_code == 200
    assert_error(client.get(url.replace("acme", "nope"), headers=admin), 404)


@pytest.mark.parametrize(
    "query, field",
    [
        ("client=acme&from=2026-02-30&to=2026-03-31", "from"),
        ("client=acme&from=yesterday&to=2026-03-31", "from"),
        ("client=acme&from=2026-03-01&to=2026-3-31", "to"),
        ("client=acme&from=2026-03-01&to=2026-02-28", "to"),
        ("client=acme&from=2025-01-01&to=2026-03-31", "to"),
        ("client=acme&from=0001-01-01&to=0001-01-02", "from"),
        ("client=acme&from=2026-03-01&to=2026-03-31&tz=Mars/Olympus", "tz"),
        ("client=acme&from=2026-03-01&to=2026-03-31&tz=", "tz"),
        ("client=acme&to=2026-03-31", "from"),
        ("from=2026-03-01&to=2026-03-31", "client"),
        ("client=acme&from=2026-03-01&to=2026-03-31&include=everything", "include"),
        ("client=acme&from=2026-03-01&to=2026-03-31&colour=red", "colour"),
        ("client=acme&from=2026-03-01&from=2026-03-02&to=2026-03-31", "from"),
    ],
)
def test_bad_dates_periods_and_zones_get_422_naming_the_field(client, world, sup, query, field):
    error = assert_error(client.get(f"/api/v1/metrics?{query}", headers=sup), 422)
    assert field in error["fields"], error


@pytest.mark.parametrize(
    "query, field",
    [
        ("figure=all", "figure"),
        ("metric=speed", "metric"),
        ("agent=abc", "agent"),
        ("agent=9999999999", "agent"),
        ("day=2026-02-31", "day"),
        ("weekday=7", "weekday"),
        ("hour=24", "hour"),
        ("page=0", "page"),
    ],
)
def test_bad_drill_down_filters_get_422(client, world, sup, query, field):
    url = f"/api/v1/metrics/tickets?{MARCH}&{query}"
    error = assert_error(client.get(url, headers=sup), 422)
    assert field in error["fields"], error
    csv_url = f"/api/v1/metrics/tickets.csv?{MARCH}&{query}"
    if field != "page":
        assert_error(client.get(csv_url, headers=sup), 422)


def test_the_openapi_document_describes_the_streams_by_media_type(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert set(paths["/api/v1/metrics/tickets.csv"]["get"]["responses"]["200"]["content"]) == {
        "text/csv"
    }
    assert set(paths["/api/v1/export.jsonl"]["get"]["responses"]["200"]["content"]) == {
        "application/jsonl"
    }
    params = {p["name"] for p in paths["/api/v1/metrics"]["get"]["parameters"]}
    assert params == {"client", "from", "to", "tz", "include"}


def test_a_ticket_filed_through_the_api_counts_in_its_local_month(client, world, sup):
    # Sanity of the whole path: March 31 23:30 New York (ticket 9) is March, not April.
    april = client.get(
        "/api/v1/metrics?client=acme&from=2026-04-01&to=2026-04-30", headers=sup
    ).get_json()
    assert april["tickets"] == 1
    assert ny(2026, 3, 31, 23, 30).isoformat() == "2026-04-01T03:30:00+00:00"
