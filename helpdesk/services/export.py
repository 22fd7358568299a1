"""Streamed exports: the metrics CSV of a period, and a client's whole history as JSON Lines.

Both read in bounded batches and yield text as they go, so memory stays flat however
many tickets there are. The CSV is one query (tickets joined to a per-ticket aggregate
of their clocks) read `CSV_BATCH` rows at a time through a server-side cursor on
PostgreSQL. The JSON Lines export walks the client's tickets in id order, `EXPORT_BATCH`
tickets per step, and fetches those tickets' messages, events and clocks with one query
each; rows are read as plain columns, never as ORM objects, so the session's identity map
does not grow. The JSON Lines format is documented in docs/export-format.md:

- line 1: `{"type": "export", "format": "helpdesk-export", "version": 1, "client": {...},
  "exported_at", "internal_notes"}`
- then one line per ticket, oldest id first: `{"type": "ticket", ...the ticket...,
  "messages": [...], "events": [...], "sla": [...]}`
- last line: `{"type": "end", "tickets": n, "messages": n, "events": n}`; a file without
  it was cut short.

Internal notes are provider staff's notes: they are exported only for an admin
(`internal_notes` true); a supervisor's export leaves them out (their events remain).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from helpdesk.domain.text import without_bidi_controls
from helpdesk.models import Client, Message, Site, SlaClock, Ticket, TicketEvent, User
from helpdesk.serializers import clock_core, iso, message_core, ticket_core
from helpdesk.services.metrics import (
    Drill,
    Scope,
    clocks_of_period,
    outcome_expression,
)
from helpdesk.services.metrics_drill import drill_conditions

CSV_BATCH = 1000
EXPORT_BATCH = 500
FORMAT = "helpdesk-export"
FORMAT_VERSION = 1
CSV_COLUMNS = (
    "id",
    "reference",
    "created_at",
    "created_local",
    "subject",
    "status",
    "priority",
    "channel",
    "locale",
    "category",
    "site",
    "assignee_id",
    "assignee",
    "solved_at",
    "first_response_minutes",
    "first_response_outcome",
    "next_response_count",
    "next_response_max_minutes",
    "next_response_missed",
    "resolution_minutes",
    "resolution_outcome",
    "breaches",
)
# Column titles for people (the CSV's header=labels); programs read CSV_COLUMNS.
CSV_LABELS = {
    "id": _l("Ticket id"),
    "reference": _l("Reference"),
    "created_at": _l("Created (UTC)"),
    "created_local": _l("Created (local time)"),
    "subject": _l("Subject"),
    "status": _l("Status"),
    "priority": _l("Priority"),
    "channel": _l("Channel"),
    "locale": _l("Language"),
    "category": _l("Category"),
    "site": _l("Site"),
    "assignee_id": _l("Assignee id"),
    "assignee": _l("Assignee"),
    "solved_at": _l("Solved (UTC)"),
    "first_response_minutes": _l("First response (minutes)"),
    "first_response_outcome": _l("First response outcome"),
    "next_response_count": _l("Next responses"),
    "next_response_max_minutes": _l("Slowest next response (minutes)"),
    "next_response_missed": _l("Next responses missed"),
    "resolution_minutes": _l("Resolution (minutes)"),
    "resolution_outcome": _l("Resolution outcome"),
    "breaches": _l("Breaches"),
}
# A spreadsheet runs a cell starting with these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(text: str | None) -> str:
    if not text:
        return ""
    text = without_bidi_controls(text)  # stored before they were refused at input
    return "'" + text if text.startswith(_FORMULA_START) else text


def _minutes(value: float | None) -> str:
    return "" if value is None else repr(round(float(value), 4))


def _clock_summary(scope: Scope):
    """Per ticket of the period: response times and outcomes of its clocks (a subquery)."""
    outcome = outcome_expression(scope.now)

    def of(metric: str, value):
        return case((SlaClock.metric == metric, value))

    return (
        select(
            SlaClock.ticket_id.label("ticket_id"),
            func.max(of("first_response", SlaClock.business_minutes)).label("fr_minutes"),
            func.max(of("first_response", outcome)).label("fr_outcome"),
            func.count(of("next_response", SlaClock.id)).label("nr_count"),
            func.max(of("next_response", SlaClock.business_minutes)).label("nr_max"),
            func.count(of("next_response", case((outcome == "missed", 1)))).label("nr_missed"),
            func.max(of("resolution", SlaClock.business_minutes)).label("res_minutes"),
            func.max(of("resolution", outcome)).label("res_outcome"),
            func.count(case((outcome == "missed", 1))).label("breaches"),
        )
        .join(Ticket, clocks_of_period(scope))
        .where(
            Ticket.client_id == scope.client.id,
            Ticket.created_at >= scope.period.start,
            Ticket.created_at < scope.period.end,
        )
        .group_by(SlaClock.ticket_id)
        .subquery()
    )


def csv_rows(
    session: Session, scope: Scope, drill: Drill | None = None, *, labels: bool = False
) -> Iterator[list[str]]:
    """The CSV rows (header first) of the period's tickets behind a figure, oldest first.

    The header holds the documented column names, or with `labels` their titles in the
    current language (for people opening the file in a spreadsheet).
    """
    yield [str(CSV_LABELS[name]) for name in CSV_COLUMNS] if labels else list(CSV_COLUMNS)
    clocks = _clock_summary(scope)
    assignee = User.__table__.alias("assignee")
    stmt = (
        select(
            Ticket.id,
            Ticket.number,
            Ticket.created_at,
            Ticket.subject,
            Ticket.status,
            Ticket.priority,
            Ticket.channel,
            Ticket.locale,
            Ticket.category,
            Site.slug,
            Ticket.assignee_id,
            assignee.c.name,
            Ticket.solved_at,
            clocks.c.fr_minutes,
            clocks.c.fr_outcome,
            clocks.c.nr_count,
            clocks.c.nr_max,
            clocks.c.nr_missed,
            clocks.c.res_minutes,
            clocks.c.res_outcome,
            clocks.c.breaches,
        )
        .outerjoin(clocks, clocks.c.ticket_id == Ticket.id)
        .outerjoin(Site, Site.id == Ticket.site_id)
        .outerjoin(assignee, assignee.c.id == Ticket.assignee_id)
        .where(*drill_conditions(session, scope, drill or Drill()))
        .order_by(Ticket.created_at, Ticket.id)
        .execution_options(yield_per=CSV_BATCH)
    )
    prefix = scope.client.reference_prefix
    tz = scope.period.zone
    for row in session.execute(stmt):
        yield [
            str(row.id),
            f"{prefix}-{row.number}",
            iso(row.created_at),
            row.created_at.astimezone(tz).isoformat(),
            _cell(row.subject),
            row.status,
            row.priority,
            row.channel,
            row.locale,
            row.category or "",
            row.slug or "",
            "" if row.assignee_id is None else str(row.assignee_id),
            _cell(row.name),
            iso(row.solved_at) or "",
            _minutes(row.fr_minutes),
            row.fr_outcome or "",
            str(row.nr_count or 0),
            _minutes(row.nr_max),
            str(row.nr_missed or 0),
            _minutes(row.res_minutes),
            row.res_outcome or "",
            str(row.breaches or 0),
        ]


def csv_chunks(
    session: Session, scope: Scope, drill: Drill | None = None, *, labels: bool = False
) -> Iterator[str]:
    """The CSV as text chunks of about CSV_BATCH rows each (RFC 4180, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for n, row in enumerate(csv_rows(session, scope, drill, labels=labels), start=1):
        writer.writerow(row)
        if n % CSV_BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


# -- JSON Lines export of a client's history ---------------------------------------------------


def _line(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def _person(user_id, name, email, role) -> dict | None:
    if user_id is None:
        return None
    return {"id": user_id, "name": name, "email": email, "role": role}


def _batch_children(session: Session, ids: list[int], *, internal: bool) -> tuple[dict, ...]:
    """Messages, events and clocks of a batch of tickets, grouped by ticket id, in id order."""
    messages: dict[int, list] = {i: [] for i in ids}
    events: dict[int, list] = {i: [] for i in ids}
    clocks: dict[int, list] = {i: [] for i in ids}
    msg_stmt = (
        select(*Message.__table__.c, User.name.label("a_name"), User.email, User.role)
        .outerjoin(User, User.id == Message.author_id)
        .where(Message.ticket_id.in_(ids))
        .order_by(Message.ticket_id, Message.id)
    )
    if not internal:
        msg_stmt = msg_stmt.where(Message.internal.is_(False))
    for msg in session.execute(msg_stmt):
        messages[msg.ticket_id].append(
            {
                **message_core(msg),
                "author": _person(msg.author_id, msg.a_name, msg.email, msg.role),
            }
        )
    ev_stmt = (
        select(*TicketEvent.__table__.c, User.name, User.email, User.role)
        .outerjoin(User, User.id == TicketEvent.actor_id)
        .where(TicketEvent.ticket_id.in_(ids))
        .order_by(TicketEvent.ticket_id, TicketEvent.id)
    )
    for event in session.execute(ev_stmt):
        events[event.ticket_id].append(
            {
                "id": event.id,
                "kind": event.kind,
                "actor": _person(event.actor_id, event.name, event.email, event.role),
                "data": event.data or {},
                "at": iso(event.at),
            }
        )
    for clock in session.execute(
        select(*SlaClock.__table__.c).where(SlaClock.ticket_id.in_(ids)).order_by(SlaClock.id)
    ):
        clocks[clock.ticket_id].append(
            {
                **clock_core(clock),
                "breached_at": iso(clock.breached_at),
                "business_minutes": clock.business_minutes,
            }
        )
    return messages, events, clocks


def export_lines(
    session: Session, client: Client, *, now: datetime, internal: bool = False
) -> Iterator[str]:
    """The client's tickets with messages, events and SLA clocks as JSON Lines (see module doc)."""
    yield _line(
        {
            "type": "export",
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "exported_at": iso(now),
            "internal_notes": internal,
            "client": {
                "slug": client.slug,
                "name": client.name,
                "timezone": client.timezone,
                "default_locale": client.default_locale,
            },
        }
    )
    requester = User.__table__.alias("requester")
    assignee = User.__table__.alias("assignee")
    totals = {"tickets": 0, "messages": 0, "events": 0}
    last_id = 0
    client_id = client.id
    prefix = client.reference_prefix
    while True:
        batch = session.execute(
            select(
                *Ticket.__table__.c,
                requester.c.email.label("r_email"),
                requester.c.name.label("r_name"),
                assignee.c.email.label("a_email"),
                assignee.c.name.label("a_name"),
                Site.slug.label("site"),
            )
            .join(requester, requester.c.id == Ticket.requester_id)
            .outerjoin(assignee, assignee.c.id == Ticket.assignee_id)
            .outerjoin(Site, Site.id == Ticket.site_id)
            .where(and_(Ticket.client_id == client_id, Ticket.id > last_id))
            .order_by(Ticket.id)
            .limit(EXPORT_BATCH)
        ).all()
        if not batch:
            break
        ids = [row.id for row in batch]
        messages, events, clocks = _batch_children(session, ids, internal=internal)
        for ticket in batch:
            totals["tickets"] += 1
            totals["messages"] += len(messages[ticket.id])
            totals["events"] += len(events[ticket.id])
            yield _line(
                {
                    "type": "ticket",
                    "id": ticket.id,
                    "reference": f"{prefix}-{ticket.number}",
                    "number": ticket.number,
                    **ticket_core(ticket),
                    "requester": {
                        "id": ticket.requester_id,
                        "email": ticket.r_email,
                        "name": ticket.r_name,
                    },
                    "assignee": None
                    if ticket.assignee_id is None
                    else {"id": ticket.assignee_id, "email": ticket.a_email, "name": ticket.a_name},
                    "site": ticket.site,
                    "solved_at": iso(ticket.solved_at),
                    "messages": messages[ticket.id],
                    "events": events[ticket.id],
                    "sla": clocks[ticket.id],
                }
            )
        last_id = ids[-1]
    yield _line({"type": "end", **totals})
