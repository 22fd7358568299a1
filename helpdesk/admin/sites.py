"""Console: sites and their weekly shifts. Every save goes through provisioning (the same
validator as a provisioning file); a change that leaves hours nobody covers any more is shown
as a before/after coverage grid per language and applied only once the admin confirms."""

from __future__ import annotations

import dataclasses
import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from helpdesk.admin import bp
from helpdesk.admin.setup_forms import (
    actor,
    fingerprint,
    lock_for_edit,
    now,
    problems_by_field,
    split_list,
)
from helpdesk.domain.calendar import WEEKDAYS
from helpdesk.extensions import db
from helpdesk.models import Site, User
from helpdesk.services import routing
from helpdesk.services.provisioning import ProvisioningError, provision
from helpdesk.web.coverage_grid import coverage_grid, monday_of
from helpdesk.web.guards import roles_required
from helpdesk.web.ticket_page import language_name, names_of_sites

WEEKDAY_LABELS = {
    "mon": _l("Monday"),
    "tue": _l("Tuesday"),
    "wed": _l("Wednesday"),
    "thu": _l("Thursday"),
    "fri": _l("Friday"),
    "sat": _l("Saturday"),
    "sun": _l("Sunday"),
}
ANY_CLIENT = 0  # coverage per language across the desk: every agent counts as serving it


# -- the site form


def _stored(site: Site | None) -> dict | None:
    if site is None:
        return None
    return {
        "name": site.name,
        "timezone": site.timezone,
        "shifts": {day: list(v) for day, v in (site.shifts or {}).items() if v},
        "holidays": sorted(site.holidays or []),
    }


def _form_of(site: Site | None) -> dict:
    """The form's values for a stored site (empty for a new one)."""
    stored = _stored(site) or {"name": "", "timezone": "", "shifts": {}, "holidays": []}
    return {
        "slug": site.slug if site else "",
        "name": stored["name"],
        "timezone": stored["timezone"],
        "shifts": {day: ", ".join(stored["shifts"].get(day, [])) for day in WEEKDAYS},
        "holidays": "\n".join(stored["holidays"]),
    }


def _posted() -> dict:
    form = request.form
    return {
        "slug": form.get("slug", "").strip()[:64],
        "name": form.get("name", "")[:200],
        "timezone": form.get("timezone", "").strip()[:64],
        "shifts": {day: form.get(f"shift_{day}", "")[:500] for day in WEEKDAYS},
        "holidays": form.get("holidays", "")[:4000],
    }


def _document(slug: str, values: dict) -> dict:
    """The one-entry provisioning document of the form."""
    shifts = {day: split_list(text) for day, text in values["shifts"].items()}
    entry = {
        "slug": slug,
        "name": values["name"],
        "timezone": values["timezone"],
        "shifts": {day: items for day, items in shifts.items() if items},
        "holidays": split_list(values["holidays"]),
    }
    return {"sites": [entry]}


def _site_field(rest: str) -> str | None:
    head = re.split(r"[.\[]", rest, maxsplit=1)[0]
    if head == "shifts":
        day = re.match(r"shifts\.(\w+)", rest)
        return f"shift_{day.group(1)}" if day and day.group(1) in WEEKDAYS else "shifts"
    return head if head in ("slug", "name", "timezone", "holidays") else None


def _site(slug: str) -> Site:
    site = db.session.scalar(select(Site).where(Site.slug == slug[:64]))
    if site is None:
        abort(404)
    return site


def _render(
    site, values, *, errors=None, status=200, mark=None, preview=None, stale=False, confirm=""
):
    return (
        render_template(
            "admin/sites_form.html",
            site=site,
            values=values,
            errors=errors or {},
            weekdays=WEEKDAYS,
            weekday_labels=WEEKDAY_LABELS,
            mark=mark if mark is not None else fingerprint(_stored(site)),
            preview=preview,
            confirm=confirm,
            stale=stale,
        ),
        status,
    )


# -- coverage before and after


def _coverage_change(site: Site, proposed: dict) -> list[dict]:
    """Per language the site's agents speak: the desk's grid now and with the proposed shifts.

    Agents of the site without a shift of their own take the proposed shifts; the rest of the
    desk stays as it is. Coverage counts agents on shift whatever client they serve.
    """
    views, _sites = routing.agent_views(db.session)
    own = set(
        db.session.scalars(
            select(User.id).where(
                User.site_id == site.id, User.role == "agent", User.shift_override.is_(None)
            )
        )
    )
    shift = routing.shift_calendar(
        proposed["timezone"], proposed["shifts"], proposed["holidays"], None
    )
    before = [dataclasses.replace(v, serves_all=True) for v in views]
    after = [dataclasses.replace(v, shift=shift) if v.id in own else v for v in before]
    languages = sorted({code for v in views if v.id in own for code in v.languages})
    zone = str(get_timezone())
    monday = monday_of(now().astimezone(get_timezone()).date())
    names = names_of_sites({v.site for v in views if v.site})
    changes = []
    for code in languages:
        grids = [
            coverage_grid(
                agents,
                client_id=ANY_CLIENT,
                locale=code,
                monday=monday,
                zone=zone,
                site_names=names,
            )
            for agents in (before, after)
        ]
        lost = {
            (d, c.hour)
            for d, (old, new) in enumerate(zip(grids[0].days, grids[1].days, strict=True))
            for c, n in zip(old.cells, new.cells, strict=True)
            if c.covered and not n.covered
        }
        changed = any(
            c.agents != n.agents
            for old, new in zip(grids[0].days, grids[1].days, strict=True)
            for c, n in zip(old.cells, new.cells, strict=True)
        )
        changes.append(
            {
                "code": code,
                "language": language_name(code),
                "before": grids[0],
                "after": grids[1],
                "lost": lost,
                "changed": changed,
            }
        )
    return changes


# -- the pages


@bp.route("/sites")
@roles_required("admin")
def sites_list():
    """Every site with its time zone, its agents and a summary of its week."""
    sites = list(db.session.scalars(select(Site).order_by(Site.name)))
    counts = dict(
        db.session.execute(
            select(User.site_id, func.count())
            .where(User.role == "agent", User.active.is_(True))
            .group_by(User.site_id)
        ).all()
    )
    return render_template(
        "admin/sites.html",
        sites=sites,
        counts=counts,
        weekdays=WEEKDAYS,
        weekday_labels=WEEKDAY_LABELS,
    )


@bp.route("/sites/new", methods=["GET", "POST"])
@roles_required("admin")
def site_new():
    """A new site: name, slug, time zone, shifts and holidays."""
    if request.method == "GET":
        return _render(None, _form_of(None))
    values = _posted()
    taken = values["slug"] and db.session.scalar(select(Site.id).where(Site.slug == values["slug"]))
    if taken:
        errors = {"slug": [_("A site with this slug exists already.")]}
        return _render(None, values, errors=errors, status=422)
    try:
        provision(
            db.session,
            _document(values["slug"], values),
            now=now(),
            actor=actor(),
        )
    except ProvisioningError as exc:
        errors = problems_by_field(exc, "sites", _site_field)
        return _render(None, values, errors=errors, status=422)
    flash(_("Site %(name)s is created.", name=values["name"].strip()), "success")
    return redirect(url_for("admin.site_edit", slug=values["slug"]))


@bp.route("/sites/<slug>", methods=["GET", "POST"])
@roles_required("admin")
def site_edit(slug: str):
    """Edit a site; a change that opens a coverage gap is previewed and needs confirming."""
    site = _site(slug)
    if request.method == "GET":
        return _render(site, _form_of(site))
    values = _posted()
    values["slug"] = site.slug
    lock_for_edit(site)
    if request.form.get("fingerprint") != fingerprint(_stored(site)):
        return _render(site, _form_of(site), status=409, stale=True)
    document = _document(site.slug, values)
    mark = request.form.get("fingerprint")
    try:
        provision(db.session, document, now=now(), actor=actor(), dry_run=True)
    except ProvisioningError as exc:
        errors = problems_by_field(exc, "sites", _site_field)
        return _render(site, values, errors=errors, status=422, mark=mark)
    # Confirming holds for exactly the change that was previewed.
    if request.form.get("confirm") != fingerprint(document):
        changes = _coverage_change(site, document["sites"][0])
        if any(change["lost"] for change in changes):
            return _render(site, values, mark=mark, preview=changes, confirm=fingerprint(document))
    report = provision(db.session, document, now=now(), actor=actor())
    if report.changed:
        flash(_("Site %(name)s is saved.", name=site.name), "success")
    else:
        flash(_("Nothing to change: the site was already so."), "info")
    return redirect(url_for("admin.site_edit", slug=site.slug))
