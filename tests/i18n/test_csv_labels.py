"""The metrics CSV keeps its documented column names; people may ask for titles in their
language instead (header=labels)."""

from __future__ import annotations

import csv
import io

from helpdesk.services.export import CSV_COLUMNS
from tests.conftest import api_token, login

PERIOD = "client=acme&from=2026-03-01&to=2026-03-31"


def header(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return next(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_the_dashboard_csv_has_column_names_unless_asked_for_labels(client, acme, factory):
    sam = factory.supervisor(acme, locale="de")
    factory.ticket(acme)
    login(client, sam)
    assert header(client.get(f"/supervisor/metrics/tickets.csv?{PERIOD}")) == list(CSV_COLUMNS)
    labelled = header(client.get(f"/supervisor/metrics/tickets.csv?{PERIOD}&header=labels"))
    assert len(labelled) == len(CSV_COLUMNS)
    assert labelled != list(CSV_COLUMNS)
    page = client.get(f"/supervisor/?{PERIOD}").get_data(as_text=True)
    assert "header=labels" in page


def test_the_api_csv_takes_the_same_option_and_refuses_others(client, acme, factory):
    sam = factory.supervisor(acme)
    headers = api_token(client, sam)
    url = f"/api/v1/metrics/tickets.csv?{PERIOD}"
    assert header(client.get(url, headers=headers)) == list(CSV_COLUMNS)
    assert header(client.get(url + "&header=labels", headers=headers))[0] == "Ticket id"
    refused = client.get(url + "&header=fancy", headers=headers)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "validation_error"
