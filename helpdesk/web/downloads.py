"""The streamed downloads of a client's data, shared by the API and the dashboard: the period's
tickets as CSV and the whole history as JSON Lines, each export audited before it starts."""

from __future__ import annotations

import re
from datetime import datetime

from flask import Response, stream_with_context

from helpdesk.extensions import db
from helpdesk.services import audit, export

_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")
CSV_TYPE = "text/csv; charset=utf-8"
JSONL_TYPE = "application/jsonl; charset=utf-8"


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
