"""Console: the agents. Their site, languages, skills, clients served and capacity, with
presence and current load as routing sees them; edits and new agents go through provisioning
(the same validator as a provisioning file), and a new agent gets a set-password link."""

from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from helpdesk.admin import bp
from helpdesk.admin.setup_forms import (
    actor,
    fingerprint,
    lock_for_edit,
    now,
    problems_by_field,
    split_list,
)
from helpdesk.extensions import db
from helpdesk.models import STAFF_REALM, Client, Site, User
from helpdesk.services import routing, user_lifecycle
from helpdesk.services.addresses import BadAddress, normalize_email
from helpdesk.services.provisioning import ProvisioningError, provision
from helpdesk.web.guards import roles_required

ALL = "*"
FIELDS = ("email", "name", "site", "languages", "skills", "clients", "capacity")


def _stored(agent: User | None) -> dict | None:
    if agent is None:
        return None
    return {
        "email": agent.email,
        "name": agent.name,
        "site": agent.site.slug if agent.site else "",
        "languages": sorted(row.language for row in agent.languages),
        "skills": sorted(row.skill for row in agent.skills),
        "clients": ALL
        if agent.serves_all_clients
        else sorted(c.slug for c in agent.served_clients),
        "capacity": agent.capacity,
    }


def _form_of(agent: User | None) -> dict:
    stored = _stored(agent)
    if stored is None:
        return {
            "email": "",
            "name": "",
            "site": "",
            "languages": "",
            "skills": "",
            "clients": [],
            "all_clients": False,
            "capacity": "5",
        }
    return stored | {
        "languages": ", ".join(stored["languages"]),
        "skills": ", ".join(stored["skills"]),
        "clients": [] if stored["clients"] == ALL else stored["clients"],
        "all_clients": stored["clients"] == ALL,
        "capacity": str(stored["capacity"]),
    }


def _posted() -> dict:
    form = request.form
    return {
        "email": form.get("email", "").strip()[:320],
        "name": form.get("name", "")[:200],
        "site": form.get("site", "")[:64],
        "languages": form.get("languages", "")[:500],
        "skills": form.get("skills", "")[:1000],
        "clients": [slug[:64] for slug in form.getlist("clients")][:1000],
        "all_clients": form.get("all_clients") == "1",
        "capacity": form.get("capacity", "").strip()[:12],
    }


def _document(values: dict, agent: User | None) -> dict:
    capacity = values["capacity"]
    entry = {
        "email": values["email"],
        "name": values["name"],
        "languages": split_list(values["languages"]),
        "skills": split_list(values["skills"]),
        "clients": [ALL] if values["all_clients"] else values["clients"],
        "capacity": int(capacity) if re.fullmatch(r"\d{1,9}", capacity) else capacity,
    }
    # An agent with a shift of their own may have no site; everyone else needs one.
    if values["site"] or agent is None or agent.shift_override is None:
        entry["site"] = values["site"]
    return {"agents": [entry]}


def _agent_field(rest: str) -> str | None:
    head = re.split(r"[.\[]", rest, maxsplit=1)[0]
    return head if head in FIELDS else None


def _choices() -> dict:
    return {
        "sites": list(db.session.scalars(select(Site).order_by(Site.name))),
        "clients": list(db.session.scalars(select(Client).order_by(Client.name))),
    }


def _render(agent, values, *, errors=None, status=200, mark=None, stale=False):
    return (
        render_template(
            "admin/agents_form.html",
            agent=agent,
            values=values,
            errors=errors or {},
            mark=mark if mark is not None else fingerprint(_stored(agent)),
            stale=stale,
            **_choices(),
        ),
        status,
    )


def _agent(agent_id: int) -> User:
    agent = db.session.get(User, agent_id)
    if agent is None or agent.role != "agent":
        abort(404)
    return agent


@bp.route("/agents")
@roles_required("admin")
def agents_list():
    """Every active agent as routing sees them, filtered by site, client and language."""
    views, _sites = routing.agent_views(db.session)
    choices = _choices()
    sites = {s.slug: s for s in choices["sites"]}
    clients = {c.slug: c for c in choices["clients"]}
    by_id = {c.id: c for c in choices["clients"]}
    args = request.args
    site = sites.get(args.get("site", ""))
    client = clients.get(args.get("client", ""))
    language = (args.get("language") or "").strip()[:20]
    languages = sorted({code for v in views for code in v.languages})
    if language not in languages:
        language = ""
    shown = [
        v
        for v in views
        if (site is None or v.site == site.slug)
        and (client is None or v.serves_all or client.id in v.clients)
        and (not language or language in v.languages)
    ]
    shown.sort(key=lambda v: v.name.casefold())
    emails = dict(
        db.session.execute(
            select(User.id, User.email).where(User.id.in_([v.id for v in shown]))
        ).all()
        if shown
        else []
    )
    return render_template(
        "admin/agents.html",
        agents=shown,
        emails=emails,
        sites=choices["sites"],
        site_names={s.slug: s.name for s in choices["sites"]},
        clients=choices["clients"],
        client_of=by_id,
        languages=languages,
        shown={
            "site": site.slug if site else "",
            "client": client.slug if client else "",
            "language": language,
        },
        filtered=bool(site or client or language),
        at=now(),
    )


@bp.route("/agents/new", methods=["GET", "POST"])
@roles_required("admin")
def agent_new():
    """A new agent; they get a link by mail to set their password."""
    if request.method == "GET":
        return _render(None, _form_of(None))
    values = _posted()
    try:
        email = normalize_email(values["email"])
    except BadAddress:
        email = None
    if email and db.session.scalar(
        select(User.id).where(User.realm == STAFF_REALM, User.email == email)
    ):
        errors = {"email": [_("Someone of the staff has this e-mail already.")]}
        return _render(None, values, errors=errors, status=422)
    try:
        provision(db.session, _document(values, None), now=now(), actor=actor())
    except ProvisioningError as exc:
        errors = problems_by_field(exc, "agents", _agent_field)
        return _render(None, values, errors=errors, status=422)
    agent = db.session.scalar(select(User).where(User.realm == STAFF_REALM, User.email == email))
    user_lifecycle.send_invitation(db.session, agent, now=now())
    flash(
        _(
            "%(name)s is an agent now; a link to set their password is on its way to %(email)s.",
            name=agent.name,
            email=agent.email,
        ),
        "success",
    )
    return redirect(url_for("admin.agent_edit", agent_id=agent.id))


@bp.route("/agents/<int:agent_id>", methods=["GET", "POST"])
@roles_required("admin")
def agent_edit(agent_id: int):
    """Edit an agent's site, languages, skills, clients served and capacity."""
    agent = _agent(agent_id)
    if request.method == "GET":
        return _render(agent, _form_of(agent))
    mark = request.form.get("fingerprint")
    lock_for_edit(agent)
    if mark != fingerprint(_stored(agent)):
        return _render(agent, _form_of(agent), status=409, stale=True)
    values = _posted() | {"email": agent.email}
    try:
        report = provision(db.session, _document(values, agent), now=now(), actor=actor())
    except ProvisioningError as exc:
        errors = problems_by_field(exc, "agents", _agent_field)
        return _render(agent, values, errors=errors, status=422, mark=mark)
    if report.changed:
        flash(_("%(name)s is saved.", name=agent.name), "success")
    else:
        flash(_("Nothing to change: %(name)s was already so.", name=agent.name), "info")
    return redirect(url_for("admin.agent_edit", agent_id=agent.id))
