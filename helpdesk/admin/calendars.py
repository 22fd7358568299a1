"""Console: business calendars. Weekly hours (several intervals a day, overnight ones such as
22:00-06:00) in a time zone, and holidays, typed or imported from an iCalendar (.ics) file.
SLA targets run on them. Every save goes through provisioning."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from helpdesk.admin import bp
from helpdesk.admin.ics import MAX_BYTES, NotICalendar, holiday_dates
from helpdesk.admin.setup_forms import (
    FINGERPRINT_FIELD,
    field_errors,
    fingerprint,
    lock_for_edit,
    without_indexes,
)
from helpdesk.domain.calendar import WEEKDAYS
from helpdesk.extensions import db
from helpdesk.i18n import Number, zone_names
from helpdesk.models import Calendar, SlaTarget
from helpdesk.services.provisioning import ProvisioningError, provision
from helpdesk.web.guards import roles_required

_SPLIT = re.compile(r"[,;\s]+")
HOLIDAYS_MAX_CHARS = 20_000


def _calendar(name: str) -> Calendar:
    calendar = db.session.scalar(select(Calendar).where(Calendar.name == name[:64]))
    if calendar is None:
        abort(404)
    return calendar


def _blank() -> dict:
    weekdays = ("mon", "tue", "wed", "thu", "fri")
    return {
        "name": "",
        "timezone": "UTC",
        "hours": {d: "09:00-17:00" if d in weekdays else "" for d in WEEKDAYS},
        "holidays": "",
    }


def _stored(calendar: Calendar) -> dict:
    """A stored calendar's values as its form shows them (and its fingerprint covers)."""
    hours = calendar.hours or {}
    return {
        "name": calendar.name,
        "timezone": calendar.timezone,
        "hours": {d: ", ".join(hours.get(d) or ()) for d in WEEKDAYS},
        "holidays": "\n".join(sorted(calendar.holidays or ())),
    }


def _submitted(name: str | None) -> dict:
    form = request.form
    return {
        "name": (form.get("name", "") if name is None else name)[:200],
        "timezone": form.get("timezone", "")[:64],
        "hours": {d: form.get(f"hours-{d}", "")[:300] for d in WEEKDAYS},
        "holidays": form.get("holidays", "")[:HOLIDAYS_MAX_CHARS],
    }


def _document(values: dict) -> dict:
    hours = {}
    for day in WEEKDAYS:
        intervals = [item for item in _SPLIT.split(values["hours"][day]) if item]
        if intervals:
            hours[day] = intervals
    holidays = [line.strip() for line in values["holidays"].splitlines() if line.strip()]
    entry = {"name": values["name"], "timezone": values["timezone"], "hours": hours}
    entry["holidays"] = holidays
    return {"calendars": [entry]}


def _field_of(inner: str) -> str | None:
    parts = without_indexes(inner).split(".")
    if parts[0] in ("name", "timezone", "holidays") and len(parts) == 1:
        return parts[0]
    if parts[0] == "hours":
        return f"hours-{parts[1]}" if len(parts) == 2 and parts[1] in WEEKDAYS else "hours"
    return None


def _form(
    values: dict,
    *,
    calendar: Calendar | None,
    errors=None,
    general=(),
    status=200,
    stamp: str | None = None,
):
    return (
        render_template(
            "admin/calendars_form.html",
            calendar=calendar,
            values=values,
            errors=errors or {},
            general=list(general),
            stamp=stamp,
            zones=zone_names(),
            weekdays=WEEKDAYS,
            fingerprint_field=FINGERPRINT_FIELD,
            max_kb=MAX_BYTES // 1024,
        ),
        status,
    )


@bp.route("/calendars")
@roles_required("admin")
def calendars_list():
    """Every calendar: its zone, weekly hours, holidays and how many SLA targets use it."""
    calendars = list(db.session.scalars(select(Calendar).order_by(Calendar.name)))
    used = dict(
        db.session.execute(
            select(SlaTarget.calendar_id, func.count(func.distinct(SlaTarget.client_id)))
            .where(SlaTarget.calendar_id.is_not(None))
            .group_by(SlaTarget.calendar_id)
        ).all()
    )
    today = datetime.now(UTC).date().isoformat()
    rows = [
        {
            "calendar": c,
            "hours": [(d, (c.hours or {}).get(d) or []) for d in WEEKDAYS],
            "holidays": len(c.holidays or ()),
            "next_holiday": next((h for h in sorted(c.holidays or ()) if h >= today), None),
            "clients": used.get(c.id, 0),
        }
        for c in calendars
    ]
    return render_template("admin/calendars.html", rows=rows, weekdays=WEEKDAYS)


def _imported(values: dict) -> tuple[int, dict | None]:
    """Add the dates of an uploaded .ics file to the holidays: (how many new, or errors)."""
    upload = request.files.get("ics")
    if upload is None or not upload.filename:
        return 0, None
    data = upload.stream.read(MAX_BYTES + 1)
    if not upload.filename.lower().endswith(".ics"):
        return 0, {"ics": [_("Choose an iCalendar file (.ics).")]}
    if len(data) > MAX_BYTES:
        return 0, {
            "ics": [_("The file is larger than %(size)s KB.", size=Number(MAX_BYTES // 1024))]
        }
    try:
        days = holiday_dates(data)
    except NotICalendar:
        return 0, {
            "ics": [_("This is not an iCalendar file: it does not start with BEGIN:VCALENDAR.")]
        }
    if not days:
        return 0, {"ics": [_("The file has no all-day events to import.")]}
    have = {line.strip() for line in values["holidays"].splitlines() if line.strip()}
    new = [d.isoformat() for d in days if d.isoformat() not in have]
    lines = [line for line in values["holidays"].splitlines() if line.strip()] + new
    values["holidays"] = "\n".join(sorted(lines))
    return len(new), None


def _save(values: dict, calendar: Calendar | None):
    stamp = request.form.get(FINGERPRINT_FIELD, "")
    if calendar is not None:
        lock_for_edit(calendar)
        stored = _stored(calendar)
        if fingerprint(stored) != stamp:
            flash(
                _(
                    "Someone changed this calendar meanwhile; here is what is stored now. "
                    "Make your changes again and save."
                ),
                "error",
            )
            return _form(stored, calendar=calendar, status=409, stamp=fingerprint(stored))
    elif db.session.scalar(select(Calendar.id).where(Calendar.name == values["name"].strip())):
        errors = {"name": [_("A calendar with this name exists already; choose another.")]}
        return _form(values, calendar=None, errors=errors, status=422)
    added, refused = _imported(values)
    try:  # a refused file saves nothing, but the other fields are still checked
        report = provision(
            db.session,
            _document(values),
            now=datetime.now(UTC),
            actor=current_user._get_current_object(),
            dry_run=refused is not None,
        )
    except ProvisioningError as exc:
        errors, general = field_errors(exc, "calendars[0]", _field_of)
        return _form(
            values,
            calendar=calendar,
            errors=(refused or {}) | errors,
            general=general,
            status=422,
            stamp=stamp,
        )
    if refused:
        return _form(values, calendar=calendar, errors=refused, status=422, stamp=stamp)
    if added:
        flash(
            ngettext(
                "%(num)s holiday imported from the file.",
                "%(num)s holidays imported from the file.",
                added,
            ),
            "success",
        )
    if report.changed:
        flash(
            _(
                "The calendar %(name)s is saved: SLA clocks use it now.",
                name=values["name"].strip(),
            ),
            "success",
        )
    else:
        flash(_("Nothing to change: these are the stored values."), "info")
    return redirect(url_for("admin.calendar_edit", name=values["name"].strip()))


@bp.route("/calendars/new", methods=["GET", "POST"])
@roles_required("admin")
def calendar_new():
    """Add a calendar."""
    if request.method == "GET":
        return _form(_blank(), calendar=None)
    return _save(_submitted(None), None)


@bp.route("/calendars/<path:name>", methods=["GET", "POST"])
@roles_required("admin")
def calendar_edit(name: str):
    """Edit a calendar's hours and holidays; refused if someone saved it since it was shown."""
    calendar = _calendar(name)
    if request.method == "GET":
        stored = _stored(calendar)
        return _form(stored, calendar=calendar, stamp=fingerprint(stored))
    return _save(_submitted(calendar.name), calendar)
