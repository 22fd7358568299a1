"""The supervisor's metrics dashboard: a client's figures for a period in a time zone, the
tickets behind each figure, and session-authenticated CSV and JSON Lines downloads."""

from __future__ import annotations

from datetime import UTC, datetime

from babel.dates import get_day_names
from flask import abort, render_template, request
from flask_babel import format_date, format_decimal, format_percent, get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from helpdesk.domain.metrics import METRICS
from helpdesk.extensions import db
from helpdesk.models import Client, SlaClock
from helpdesk.schemas import MetricsCsvQuery, MetricsPageQuery
from helpdesk.schemas.validation import validated
from helpdesk.services import metrics, metrics_drill, metrics_request
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.scope import visible_clients
from helpdesk.supervisor import bp
from helpdesk.supervisor.forms import PRESET_LABELS, PeriodForm, preset_days
from helpdesk.supervisor.tiles import live_tiles
from helpdesk.web.downloads import export_download, tickets_csv_download
from helpdesk.web.guards import roles_required
from helpdesk.web.ticket_page import language_name

DRILL_PER_PAGE = 50
DIMENSION_LABELS = {
    "priority": _l("Priority"),
    "channel": _l("Channel"),
    "locale": _l("Language"),
    "site": _l("Site"),
    "agent": _l("Agent"),
}


def _now() -> datetime:
    return datetime.now(UTC)


def _client() -> tuple[Client | None, list[Client]]:
    """The client asked for: a supervisor's own (another slug is 404); admins pick any they
    may see with ?client=slug, the first by default."""
    slug = request.args.get("client") or None
    if current_user.role == "supervisor":
        if slug is not None and slug != current_user.client.slug:
            abort(404)
        return current_user.client, [current_user.client]
    clients = visible_clients(db.session, current_user)
    if slug is None:
        return (clients[0] if clients else None), clients
    client = next((c for c in clients if c.slug == slug), None)
    if client is None:
        abort(404)
    return client, clients


def minutes_text(value: float | None) -> str:
    """Minutes in the policy's calendar as '45 min' or '3 h 20 min' in the viewer's locale."""
    if value is None:
        return "–"
    total = round(value)
    if total < 60:
        return _("%(minutes)s min", minutes=format_decimal(total))
    hours, rest = divmod(total, 60)
    if not rest:
        return _("%(hours)s h", hours=format_decimal(hours))
    return _("%(hours)s h %(minutes)s min", hours=format_decimal(hours), minutes=rest)


def percent_text(value: float | None) -> str:
    """A share such as SLA attainment, or a dash when there is nothing to measure."""
    if value is None:
        return "–"
    # The locale's own pattern (spacing, sign position) with one optional decimal.
    pattern = get_locale().percent_formats[None].pattern
    last = pattern.rfind("0")
    if "." not in pattern and last >= 0:
        pattern = pattern[: last + 1] + ".#" + pattern[last + 1 :]
    return format_percent(value, pattern)


@bp.context_processor
def dashboard_helpers() -> dict:
    """Number formatting for the dashboard templates (Babel, viewer's locale)."""
    return {
        "language_name": language_name,
        "fnum": format_decimal,
        "pct": percent_text,
        "mins": minutes_text,
        "fdate": format_date,
    }


@bp.route("/")
@roles_required("supervisor", "admin")
def dashboard():
    """The client's figures for a period (this month by default) in the viewer's zone."""
    client, clients = _client()
    now = _now()
    viewer_zone = str(get_timezone())
    form = PeriodForm(request.args)
    period = form.period(now, viewer_zone)
    tiles = live_tiles(db.session, current_user, client, now=now, tz=viewer_zone)
    context = {
        "client": client,
        "clients": clients,
        "pick_client": current_user.role == "admin",
        "form": form,
        "tiles": tiles,
        "period": period,
        "metric_names": METRICS,
    }
    if client is None or period is None:
        return render_template("supervisor/dashboard.html", **context), (
            200 if period is not None else 422
        )
    scope = metrics.Scope(client=client, period=period, now=now)
    today = now.astimezone(period.zone).date()
    base = {"client": client.slug, "tz": period.tz}
    presets = []
    for key, label in PRESET_LABELS.items():
        first, last = preset_days(key, today)
        presets.append(
            {
                "label": label,
                "args": {**base, "from": first.isoformat(), "to": last.isoformat()},
                "current": (first, last) == (period.first, period.last),
            }
        )
    found = metrics.dashboard(db.session, scope)
    days = found.trend
    return render_template(
        "supervisor/dashboard.html",
        **context,
        head=found.summary,
        breakdowns=found.breakdowns,
        dimension_labels=DIMENSION_LABELS,
        heat=found.heatmap,
        days=days,
        presets=presets,
        drill_args={**base, "from": period.first.isoformat(), "to": period.last.isoformat()},
        trend_max=max((d.tickets for d in days), default=0),
        weekday_names=_weekday_names("abbreviated"),
    )


def _weekday_names(width: str) -> list[str]:
    """Weekday names in the viewer's language, Monday first (the heatmap's rows)."""
    names = get_day_names(width, locale=get_locale())
    return [names[i] for i in range(7)]


def _clock_facts(scope: metrics.Scope, ids: list[int]) -> dict[int, dict]:
    """Per ticket: response minutes and outcome of each metric (the worst next response)."""
    facts: dict[int, dict] = {i: {} for i in ids}
    if not ids:
        return facts
    outcome = metrics.outcome_expression(scope.now)
    rows = db.session.execute(
        select(SlaClock.ticket_id, SlaClock.metric, SlaClock.business_minutes, outcome)
        .where(SlaClock.ticket_id.in_(ids))
        .order_by(SlaClock.ticket_id, SlaClock.metric, SlaClock.cycle)
    )
    rank = {"missed": 3, "running": 2, "met": 1, "cancelled": 0}
    for ticket_id, metric, minutes, result in rows:
        seen = facts[ticket_id].get(metric)
        if seen is None or rank.get(result, 0) > rank.get(seen["outcome"], 0):
            facts[ticket_id][metric] = {"minutes": minutes, "outcome": result}
        elif minutes is not None and (seen["minutes"] or 0) < minutes:
            seen["minutes"] = minutes
    return facts


def _scoped(model):
    """The validated query and scope of a drill-down request, 404 for a client not visible."""
    repeated = {k: _("Give this parameter once.") for k, v in request.args.lists() if len(v) > 1}
    if repeated:
        raise ValidationFailed(_("The request has invalid fields."), fields=repeated)
    args = request.args.to_dict()
    if current_user.role == "supervisor":
        # A supervisor may leave the client out: it can only be their own.
        args.setdefault("client", current_user.client.slug)
    query = validated(model, args)
    try:
        return query, metrics_request.scope_of(db.session, query, current_user, now=_now())
    except NotFound:
        abort(404)


@bp.route("/metrics/tickets")
@roles_required("supervisor", "admin")
def metrics_tickets():
    """The tickets behind a dashboard figure, oldest first, a page at a time."""
    try:
        query, scope = _scoped(MetricsPageQuery)
        drill = metrics_request.drill_of(query)
    except ValidationFailed as exc:
        return render_template(
            "supervisor/metrics_tickets.html", error=exc, found=None, query=None
        ), 422
    found = metrics_drill.drill_down(
        db.session, scope, drill, page=query.page, per_page=min(query.per_page, DRILL_PER_PAGE)
    )
    pages = max(1, -(-found.total // found.per_page))
    args = request.args.to_dict()
    args.pop("page", None)
    return render_template(
        "supervisor/metrics_tickets.html",
        error=None,
        found=found,
        pages=pages,
        args=args,
        scope=scope,
        drill=drill,
        facts=_clock_facts(scope, [item["id"] for item in found.items]),
        metric_names=METRICS,
        weekday_names=_weekday_names("wide"),
    )


@bp.route("/metrics/tickets.csv")
@roles_required("supervisor", "admin")
def metrics_csv():
    """The period's tickets (behind a figure, if one is named) as a streamed CSV."""
    try:
        query, scope = _scoped(MetricsCsvQuery)
        drill = metrics_request.drill_of(query)
    except ValidationFailed as exc:
        return render_template(
            "supervisor/metrics_tickets.html", error=exc, found=None, query=None
        ), 422
    return tickets_csv_download(scope, drill, actor=current_user, labels=query.header == "labels")


@bp.route("/export.jsonl")
@roles_required("supervisor", "admin")
def export_jsonl():
    """The client's whole history as streamed JSON Lines (internal notes only for admins)."""
    client, _clients = _client()
    if client is None:
        abort(404)
    return export_download(client, actor=current_user, now=_now())
