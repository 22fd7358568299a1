"""API metrics: a client's response figures for a period, the tickets behind each, the CSV,
and the client's full data export as JSON Lines."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from flask import Response, jsonify, stream_with_context
from flask_babel import gettext as _

from helpdesk.api import bp
from helpdesk.api.openapi import operation
from helpdesk.api.parsing import parse_query
from helpdesk.api.principal import current_user
from helpdesk.api.schemas import (
    ID_MAX,
    DrillPage,
    ExportQuery,
    MetricsCsvQuery,
    MetricsPageQuery,
    MetricsQuery,
    MetricsReport,
    MetricsTicketsQuery,
)
from helpdesk.domain.metrics import MAX_DAY, MAX_DAYS, METRICS, MIN_DAY, MetricFigures, Period
from helpdesk.extensions import db
from helpdesk.i18n import is_timezone
from helpdesk.models import Client, User
from helpdesk.serializers import iso
from helpdesk.services import audit, export, metrics
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.scope import get_visible_client

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
CSV_TYPE = "text/csv; charset=utf-8"
JSONL_TYPE = "application/jsonl; charset=utf-8"
WHO = "Supervisors of the client and admins; agents and customers get 403, another client 404."


def _now() -> datetime:
    return datetime.now(UTC)


def _client(user: User, slug: str) -> Client:
    client = get_visible_client(db.session, user, slug)
    if client is None:
        raise NotFound(_("No such client."))
    return client


def _date(value: str, name: str, fields: dict) -> date | None:
    if not _DATE.fullmatch(value):
        fields[name] = _("Give a date as YYYY-MM-DD.")
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fields[name] = _("No such date.")
        return None
    if not MIN_DAY <= day <= MAX_DAY:
        fields[name] = _(
            "Give a date from %(first)s to %(last)s.",
            first=MIN_DAY.isoformat(),
            last=MAX_DAY.isoformat(),
        )
        return None
    return day


def _period(query, user: User, client: Client) -> Period:
    """The period of a query, or a 422 naming each bad field."""
    fields: dict[str, str] = {}
    first = _date(query.from_, "from", fields)
    last = _date(query.to, "to", fields)
    if query.tz is not None and not is_timezone(query.tz):
        fields["tz"] = _("Unknown time zone; give an IANA name such as America/New_York.")
    if first and last and last < first:
        fields["to"] = _("The period ends before it starts.")
    elif first and last and (last - first).days + 1 > MAX_DAYS:
        fields["to"] = _("A period covers at most %(days)d days.", days=MAX_DAYS)
    if fields:
        raise ValidationFailed(_("The request has invalid fields."), fields=fields)
    tz = query.tz
    if tz is None:
        tz = next(
            (z for z in (user.timezone, client.timezone) if z and is_timezone(z)),
            "UTC",
        )
    return Period(first, last, tz)


def _scope(query, user: User) -> metrics.Scope:
    client = _client(user, query.client)
    return metrics.Scope(client=client, period=_period(query, user, client), now=_now())


def _drill(query: MetricsTicketsQuery) -> metrics.Drill:
    fields: dict[str, str] = {}
    day = _date(query.day, "day", fields) if query.day is not None else None
    if query.agent not in (None, metrics.NONE) and int(query.agent) > ID_MAX:
        fields["agent"] = _("No such user id.")
    if fields:
        raise ValidationFailed(_("The request has invalid fields."), fields=fields)
    agent = query.agent
    return metrics.Drill(
        figure=query.figure,
        metric=query.metric,
        status=query.status,
        priority=query.priority,
        channel=query.channel,
        locale=query.locale,
        site=query.site,
        agent=agent if agent in (None, metrics.NONE) else int(agent),
        day=day,
        weekday=query.weekday,
        hour=query.hour,
    )


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
    scope = _scope(query, user)
    session = db.session
    head = metrics.summary(session, scope)
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
    include = set((query.include or "").split(",")) - {""}
    if "breakdowns" in include:
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
                for row in metrics.breakdown(session, scope, dimension)
            ]
            for dimension in metrics.DIMENSIONS
        }
    if "heatmap" in include:
        payload["heatmap"] = metrics.heatmap(session, scope)
    if "trend" in include:
        payload["trend"] = [
            {"date": d.day.isoformat(), "tickets": d.tickets, "solved": d.solved}
            for d in metrics.trend(session, scope)
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
    scope = _scope(query, user)
    found = metrics.drill_down(
        db.session, scope, _drill(query), page=query.page, per_page=query.per_page
    )
    return jsonify(
        items=[{**item, "created_at": iso(item["created_at"])} for item in found.items],
        page=found.page,
        per_page=found.per_page,
        total=found.total,
    )


def _attachment(response: Response, name: str) -> Response:
    response.headers["Content-Disposition"] = f'attachment; filename="{_SAFE_NAME.sub("_", name)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def tickets_csv_download(scope, drill, *, actor, labels: bool) -> Response:
    """The period's tickets as a streamed CSV download, the export audited first.

    Shared by the API and the dashboard, which differ only in how they read the query.
    """
    period = scope.period
    audit.exported(
        db.session,
        actor=actor,
        client_id=scope.client.id,
        what="tickets.csv",
        period=[period.first.isoformat(), period.last.isoformat()],
    )
    chunks = export.csv_chunks(db.session, scope, drill, labels=labels)
    response = Response(stream_with_context(chunks), content_type=CSV_TYPE)
    return _attachment(
        response, f"{scope.client.slug}-tickets-{period.first.isoformat()}-{period.last}.csv"
    )


def export_download(client, *, actor, now: datetime) -> Response:
    """The client's whole history as streamed JSON Lines (internal notes only for admins)."""
    audit.exported(db.session, actor=actor, client_id=client.id, what="export.jsonl")
    lines = export.export_lines(db.session, client, now=now, internal=actor.role == "admin")
    response = Response(stream_with_context(lines), content_type=JSONL_TYPE)
    return _attachment(response, f"{client.slug}-export-{now:%Y%m%dT%H%M%SZ}.jsonl")


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
    scope = _scope(query, user)
    drill = _drill(query)
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
    client = _client(user, query.client)
    return export_download(client, actor=user, now=_now())
