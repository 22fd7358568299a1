"""API metrics: a client's response figures for a period, the tickets behind each, the CSV,
and the client's full data export as JSON Lines."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify

from helpdesk.api import bp
from helpdesk.api.openapi import operation
from helpdesk.api.parsing import parse_query
from helpdesk.api.principal import current_user
from helpdesk.domain.metrics import METRICS, MetricFigures
from helpdesk.extensions import db
from helpdesk.schemas import (
    DrillPage,
    ExportQuery,
    MetricsCsvQuery,
    MetricsPageQuery,
    MetricsQuery,
    MetricsReport,
)
from helpdesk.serializers import iso
from helpdesk.services import export, metrics, metrics_drill, metrics_request
from helpdesk.web.downloads import export_download, tickets_csv_download

WHO = "Supervisors of the client and admins; agents and customers get 403, another client 404."


def _now() -> datetime:
    return datetime.now(UTC)


def _figures(f: MetricFigures) -> dict:
    return {
        "median_minutes": f.median_minutes,
        "p90_minutes": f.p90_minutes,
        "attainment": f.attainment,
        "count": f.count,
        "met": f.met,
        "missed": f.missed,
    }


@bp.get("/metrics")
@operation(
    summary="Response metrics of a client for a period, read in a time zone.",
    description="Tickets belong to the period in which they were created, read in `tz` "
    "(default: the caller's zone, else the client's). Response times are in the SLA "
    "policy's calendar; median and p90 interpolate linearly (as percentile_cont); "
    "attainment = met / (met + missed). `include` adds breakdowns (priority, channel, "
    "locale, site, agent), the weekday x hour heatmap and the daily trend. " + WHO,
    query=MetricsQuery,
    responses={200: MetricsReport},
    errors=(403, 404, 422),
)
def get_metrics():
    """The figures defined in helpdesk.domain.metrics, as JSON."""
    user = current_user("supervisor", "admin")
    query = parse_query(MetricsQuery)
    scope = metrics_request.scope_of(db.session, query, user, now=_now())
    include = set((query.include or "").split(",")) - {""}
    # One pass over the tickets and one over their clocks, whatever is included.
    found = metrics.dashboard(
        db.session,
        scope,
        breakdowns="breakdowns" in include,
        heatmap="heatmap" in include,
        trend="trend" in include,
    )
    head = found.summary
    payload = {
        "client": scope.client.slug,
        "from": scope.period.first.isoformat(),
        "to": scope.period.last.isoformat(),
        "tz": scope.period.tz,
        "start": iso(scope.period.start),
        "end": iso(scope.period.end),
        "tickets": head.tickets,
        "solved": head.solved,
        **{m: _figures(head.metrics[m]) for m in METRICS},
        "breaches": head.breaches,
        "backlog": head.backlog,
        "backlog_by_age": head.backlog_by_age,
    }
    if found.breakdowns:
        payload["breakdowns"] = {
            dimension: [
                {
                    "value": row.value,
                    "label": row.label,
                    "tickets": row.tickets,
                    "solved": row.solved,
                    "breaches": row.breaches,
                    **{m: _figures(row.metrics[m]) for m in METRICS},
                }
                for row in rows
            ]
            for dimension, rows in found.breakdowns.items()
        }
    if found.heatmap is not None:
        payload["heatmap"] = found.heatmap
    if found.trend is not None:
        payload["trend"] = [
            {"date": d.day.isoformat(), "tickets": d.tickets, "solved": d.solved}
            for d in found.trend
        ]
    return jsonify(payload)


@bp.get("/metrics/tickets")
@operation(
    summary="The tickets behind a metrics figure, oldest first.",
    description="The same period parameters as `/metrics`, and the figure: e.g. "
    "`figure=missed&metric=first_response` for first-response breaches, `priority=high` "
    "for a breakdown row, `day` for a trend day, `weekday` and `hour` for a heatmap cell. " + WHO,
    query=MetricsPageQuery,
    responses={200: DrillPage},
    errors=(403, 404, 422),
)
def get_metrics_tickets():
    """One page of the tickets behind a figure."""
    user = current_user("supervisor", "admin")
    query = parse_query(MetricsPageQuery)
    scope = metrics_request.scope_of(db.session, query, user, now=_now())
    found = metrics_drill.drill_down(
        db.session, scope, metrics_request.drill_of(query), page=query.page, per_page=query.per_page
    )
    return jsonify(
        items=[{**item, "created_at": iso(item["created_at"])} for item in found.items],
        page=found.page,
        per_page=found.per_page,
        total=found.total,
    )


@bp.get("/metrics/tickets.csv")
@operation(
    summary="One CSV row per ticket of the period with its response times and SLA outcome.",
    description="Streamed (text/csv, UTF-8, CRLF). Takes the drill-down filters of "
    "`/metrics/tickets` too. Columns: " + ", ".join(export.CSV_COLUMNS) + ". Minutes are "
    "in the policy's calendar; outcomes are met, missed, running or cancelled. " + WHO,
    query=MetricsCsvQuery,
    responses={200: None},
    media={200: "text/csv"},
    errors=(403, 404, 422),
)
def get_metrics_csv():
    """Stream the period's tickets as CSV."""
    user = current_user("supervisor", "admin")
    query = parse_query(MetricsCsvQuery)
    scope = metrics_request.scope_of(db.session, query, user, now=_now())
    drill = metrics_request.drill_of(query)
    return tickets_csv_download(scope, drill, actor=user, labels=query.header == "labels")


@bp.get("/export.jsonl")
@operation(
    summary="All of a client's tickets, messages, events and SLA clocks as JSON Lines.",
    description="Streamed, one JSON object per line: an `export` header, one `ticket` line "
    "per ticket (oldest first) with its messages, events and clocks, and an `end` line "
    "with the counts (a file without it was cut short). Internal notes only in an "
    "admin's export. Format: docs/export-format.md. " + WHO,
    query=ExportQuery,
    responses={200: None},
    media={200: "application/jsonl"},
    errors=(403, 404, 422),
)
def export_client():
    """Stream the client's whole history."""
    user = current_user("supervisor", "admin")
    query = parse_query(ExportQuery)
    client = metrics_request.visible_client(db.session, user, query.client)
    return export_download(client, actor=user, now=_now())
