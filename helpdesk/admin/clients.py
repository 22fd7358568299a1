"""Console: clients. List them with their open tickets and SLA targets; add one or edit one
(name, time zone, language, inbound address, escalation, SLA targets per priority with their
calendar) beside a preview of when a ticket filed now would be due. Every save goes through
provisioning (the validator and the audit of provisioning files)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton, format_time
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale, get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select

from helpdesk.admin import bp
from helpdesk.admin.setup_forms import (
    FINGERPRINT_FIELD,
    field_errors,
    fingerprint,
    lock_for_edit,
    whole_number,
    without_indexes,
)
from helpdesk.domain.calendar import CalendarError
from helpdesk.extensions import db
from helpdesk.i18n import is_timezone, language_choices, zone_names
from helpdesk.models import ESCALATIONS, OPEN_STATUSES, PRIORITIES, Calendar, Client, Ticket
from helpdesk.services import sla
from helpdesk.services.provisioning import ProvisioningError, provision
from helpdesk.services.provisioning.plan import ALWAYS_CALENDAR, SLA_METRICS
from helpdesk.web.forms import PRIORITY_LABELS
from helpdesk.web.guards import roles_required

ESCALATION_LABELS = {
    "notify_supervisors": _l("Notify the client’s supervisors"),
    "raise_priority": _l("Raise the ticket’s priority"),
    "reroute": _l("Route the ticket to another agent"),
}
PLAIN_FIELDS = ("name", "slug", "timezone", "default_locale", "inbound_email", "escalation")
SHOWN_PRIORITIES = tuple(reversed(PRIORITIES))  # urgent first
DUE_SKELETON = "MMMEd"


def _client(slug: str) -> Client:
    client = db.session.scalar(select(Client).where(Client.slug == slug[:64]))
    if client is None:
        abort(404)
    return client


def _calendars() -> dict[str, Calendar]:
    return {c.name: c for c in db.session.scalars(select(Calendar).order_by(Calendar.name))}


def _blank() -> dict:
    """The values of a new client's form."""
    return {
        "name": "",
        "slug": "",
        "timezone": "UTC",
        "default_locale": "en",
        "inbound_email": "",
        "escalation": ["notify_supervisors"],
        "sla": {
            p: {m: "" for m in SLA_METRICS} | {"calendar": ALWAYS_CALENDAR} for p in PRIORITIES
        },
    }


def _stored(client: Client) -> dict:
    """A stored client's values as its form shows them (and its fingerprint covers)."""
    values = _blank() | {
        "name": client.name,
        "slug": client.slug,
        "timezone": client.timezone,
        "default_locale": client.default_locale,
        "inbound_email": client.inbound_email or "",
        "escalation": list(client.escalation or []),
    }
    for target in client.sla_targets:
        values["sla"][target.priority] = {m: str(getattr(target, m)) for m in SLA_METRICS} | {
            "calendar": target.calendar.name if target.calendar else ALWAYS_CALENDAR
        }
    return values


def _submitted(source, slug: str | None) -> dict:
    """The form's values as typed (`slug`: the edited client's, None when creating)."""
    values = _blank()
    for key in ("name", "timezone", "default_locale", "inbound_email"):
        values[key] = source.get(key, "")[:300]
    values["slug"] = slug if slug is not None else source.get("slug", "").strip()[:64]
    values["escalation"] = [e for e in source.getlist("escalation") if e][: len(ESCALATIONS) + 1]
    for p in PRIORITIES:
        row = values["sla"][p]
        for m in SLA_METRICS:
            row[m] = source.get(f"sla-{p}-{m}", "")[:20]
        row["calendar"] = source.get(f"sla-{p}-calendar", ALWAYS_CALENDAR)[:64]
    return values


def _document(values: dict) -> dict:
    """The one-entry provisioning document of the form (priorities left blank: no targets)."""
    entry = {key: values[key] for key in ("slug", "name", "timezone", "default_locale")}
    entry["escalation"] = values["escalation"]
    if values["inbound_email"].strip():
        entry["inbound_email"] = values["inbound_email"].strip()
    policy = {}
    for p in PRIORITIES:
        row = values["sla"][p]
        given = {m: whole_number(row[m]) for m in SLA_METRICS if row[m].strip()}
        if given:
            policy[p] = given | {"calendar": row["calendar"]}
    entry["sla"] = policy
    return {"clients": [entry]}


def _field_of(inner: str) -> str | None:
    path = without_indexes(inner)
    if path in PLAIN_FIELDS:
        return path
    parts = path.split(".")
    if parts[0] == "sla" and len(parts) == 3 and parts[2] in (*SLA_METRICS, "calendar"):
        return f"sla-{parts[1]}-{parts[2]}"
    if parts[0] == "sla" and len(parts) == 2:
        return f"sla-{parts[1]}"
    return None


def _when(at: datetime, zone: str) -> str:
    """A due instant in a zone, with its weekday: "Mon, Mar 9, 3:05 PM" in the viewer's language."""
    locale, tz = get_locale(), ZoneInfo(zone)
    day = format_skeleton(DUE_SKELETON, at, tzinfo=tz, locale=locale)
    time = format_time(at, "short", tzinfo=tz, locale=locale)
    return str(locale.datetime_formats["short"]).replace("{1}", day).replace("{0}", time)


def _preview(values: dict, calendars: dict[str, Calendar]) -> dict:
    """When a ticket filed now would be due, per priority, by the SLA engine's calendars."""
    now = datetime.now(UTC)
    zone = values["timezone"] if is_timezone(values["timezone"]) else "UTC"
    viewer = str(get_timezone())
    rows = []
    for p in SHOWN_PRIORITIES:
        row = values["sla"][p]
        minutes = {m: whole_number(row[m]) for m in SLA_METRICS}
        known = row["calendar"] == ALWAYS_CALENDAR or row["calendar"] in calendars
        complete = all(isinstance(v, int) and v > 0 for v in minutes.values())
        if not (known and complete):
            rows.append({"priority": p, "blank": not any(row[m].strip() for m in SLA_METRICS)})
            continue
        cal = sla.business_calendar(calendars.get(row["calendar"]))
        try:
            times = {m: cal.due(now, minutes[m]) for m in SLA_METRICS}
        except CalendarError:  # a calendar without business hours: never due
            rows.append({"priority": p, "never": True})
            continue
        due = []
        for m in SLA_METRICS:
            at = times[m]
            due.append(
                {"metric": m, "at": at, "client": _when(at, zone), "viewer": _when(at, viewer)}
            )
        shown = None if row["calendar"] == ALWAYS_CALENDAR else row["calendar"]
        rows.append({"priority": p, "calendar": shown, "due": due})
    return {"rows": rows, "now": now, "zone": zone, "viewer": viewer, "same": zone == viewer}


def _form(
    values: dict,
    *,
    client: Client | None,
    errors=None,
    general=(),
    status=200,
    stamp: str | None = None,
):
    calendars = _calendars()
    return (
        render_template(
            "admin/clients_form.html",
            client=client,
            values=values,
            errors=errors or {},
            general=list(general),
            stamp=stamp,
            zones=zone_names(),
            languages=language_choices(),
            calendars=list(calendars),
            always=ALWAYS_CALENDAR,
            escalations=ESCALATIONS,
            escalation_labels=ESCALATION_LABELS,
            priorities=SHOWN_PRIORITIES,
            priority_labels=PRIORITY_LABELS,
            metrics=SLA_METRICS,
            preview=_preview(values, calendars),
            fingerprint_field=FINGERPRINT_FIELD,
        ),
        status,
    )


def _summary(client: Client) -> list[dict]:
    by_priority = {t.priority: t for t in client.sla_targets}
    return [
        {
            "priority": p,
            "minutes": [getattr(by_priority[p], m) for m in SLA_METRICS],
            "calendar": by_priority[p].calendar.name if by_priority[p].calendar else None,
        }
        for p in SHOWN_PRIORITIES
        if p in by_priority
    ]


@bp.route("/clients")
@roles_required("admin")
def clients_list():
    """Every client: zone, language, open tickets and SLA targets at a glance."""
    clients = list(db.session.scalars(select(Client).order_by(Client.name)))
    open_counts = dict(
        db.session.execute(
            select(Ticket.client_id, func.count())
            .where(Ticket.status.in_(OPEN_STATUSES))
            .group_by(Ticket.client_id)
        ).all()
    )
    languages = dict(language_choices())
    return render_template(
        "admin/clients.html",
        rows=[
            {
                "client": c,
                "open": open_counts.get(c.id, 0),
                "language": languages.get(c.default_locale, c.default_locale),
                "sla": _summary(c),
            }
            for c in clients
        ],
        priority_labels=PRIORITY_LABELS,
    )


def _save(values: dict, client: Client | None):
    """Check (and for "preview", only try) the form through provisioning; save on "save"."""
    trying = request.form.get("action") == "preview"
    stamp = request.form.get(FINGERPRINT_FIELD, "")
    if client is not None and not trying:
        lock_for_edit(client)
        stored = _stored(client)
        if fingerprint(stored) != stamp:
            flash(
                _(
                    "Someone changed this client meanwhile; here is what is stored now. "
                    "Make your changes again and save."
                ),
                "error",
            )
            return _form(stored, client=client, status=409, stamp=fingerprint(stored))
    if client is None and db.session.scalar(select(Client.id).where(Client.slug == values["slug"])):
        errors = {"slug": [_("A client with this slug exists already; choose another.")]}
        return _form(values, client=None, errors=errors, status=422)
    try:
        report = provision(
            db.session,
            _document(values),
            now=datetime.now(UTC),
            actor=current_user._get_current_object(),
            dry_run=trying,
        )
    except ProvisioningError as exc:
        errors, general = field_errors(exc, "clients[0]", _field_of)
        return _form(values, client=client, errors=errors, general=general, status=422, stamp=stamp)
    if trying:
        return _form(values, client=client, stamp=stamp)
    if report.changed:
        flash(
            _(
                "%(name)s is saved: new tickets use these settings now.",
                name=values["name"].strip(),
            ),
            "success",
        )
    else:
        flash(_("Nothing to change: these are the stored values."), "info")
    return redirect(url_for("admin.client_edit", slug=values["slug"]))


@bp.route("/clients/new", methods=["GET", "POST"])
@roles_required("admin")
def client_new():
    """Add a client."""
    if request.method == "GET":
        return _form(_blank(), client=None)
    return _save(_submitted(request.form, None), None)


@bp.route("/clients/<slug>", methods=["GET", "POST"])
@roles_required("admin")
def client_edit(slug: str):
    """Edit a client; refused if someone saved it since this form was shown."""
    client = _client(slug)
    if request.method == "GET":
        stored = _stored(client)
        return _form(stored, client=client, stamp=fingerprint(stored))
    return _save(_submitted(request.form, client.slug), client)


@bp.route("/sla-preview")
@roles_required("admin")
def client_due_preview():
    """The due-time preview of the client form's values (static/js/admin_clients.js)."""
    values = _submitted(request.args, request.args.get("slug", "")[:64])
    html = render_template(
        "admin/clients_preview.html",
        preview=_preview(values, _calendars()),
        priority_labels=PRIORITY_LABELS,
    )
    return jsonify(html=html)
