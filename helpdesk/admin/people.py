"""Console: the people of the desk. Find anyone, see their role, client and last sign-in;
deactivate or reactivate them (signed out everywhere, an agent's tickets handed off) and
reset a lost second factor."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from helpdesk.admin import bp
from helpdesk.extensions import db
from helpdesk.i18n import Number
from helpdesk.models import ROLES, Client, User
from helpdesk.services import directory, second_factor, user_lifecycle
from helpdesk.services.errors import ServiceError
from helpdesk.web.guards import roles_required
from helpdesk.web.navigation import safe_next

STATE_LABELS = {"active": _l("Active"), "inactive": _l("Deactivated")}
INVITE_FIELDS = ("role", "client", "name", "email")
FIELD_MAX = 300
TEXT_MAX = 100


def _wanted(clients: dict[str, Client]) -> tuple[directory.Filter, dict]:
    args = request.args
    role = args.get("role") if args.get("role") in ROLES else None
    client = clients.get(args.get("client", ""))
    state = args.get("state") if args.get("state") in directory.STATES else None
    text = (args.get("q") or "")[:TEXT_MAX]
    page = int(args["page"]) if args.get("page", "").isdigit() and len(args["page"]) < 7 else 1
    shown = {"role": role, "client": client.slug if client else None, "state": state, "q": text}
    wanted = directory.Filter(role, client.id if client else None, state, text, page)
    return wanted, shown


@bp.route("/")
@roles_required("admin")
def home():
    """The console's start: the people of the desk (the first section of the console)."""
    return redirect(url_for("admin.people_list"))


@bp.route("/people")
@roles_required("admin")
def people_list():
    """Everyone, filtered by role, client, state and name or address."""
    return _list_page()


def _list_page(invite: dict | None = None, errors: dict | None = None, status: int = 200):
    clients = {c.slug: c for c in db.session.scalars(select(Client).order_by(Client.name))}
    wanted, shown = _wanted(clients)
    page = directory.people(db.session, wanted)
    return render_template(
        "admin/people.html",
        invite=invite or {},
        invite_errors=errors or {},
        invite_roles=tuple(user_lifecycle.INVITE_SECTIONS),
        page=page,
        by_role=directory.counts_by_role(db.session),
        shown=shown,
        clients=list(clients.values()),
        roles=ROLES,
        state_labels=STATE_LABELS,
        here=request.full_path.rstrip("?"),
        filtered=any(shown.values()),
        pager_args={key: value for key, value in shown.items() if value},
    ), status


@bp.route("/people/invite", methods=["POST"])
@roles_required("admin")
def invite_person():
    """Make an account and mail the person a link to choose their password."""
    form = {key: (request.form.get(key) or "")[:FIELD_MAX] for key in INVITE_FIELDS}
    client = db.session.scalar(select(Client).where(Client.slug == form["client"]))
    try:
        user = user_lifecycle.invite(
            db.session,
            role=form["role"],
            client=client,
            name=form["name"],
            email=form["email"],
            actor=current_user._get_current_object(),
            now=datetime.now(UTC),
        )
    except ServiceError as exc:
        return _list_page(form, exc.fields or {"email": exc.message}, status=422)
    flash(
        _(
            "%(name)s is invited: a link to choose a password is on its way to %(email)s.",
            name=user.name,
            email=user.email,
        ),
        "success",
    )
    return redirect(url_for("admin.people_list", q=user.email))


def _person(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


def _back():
    return redirect(safe_next(request.form.get("next")) or url_for("admin.people_list"))


@bp.route("/people/<int:user_id>/active", methods=["POST"])
@roles_required("admin")
def set_active(user_id: int):
    """Deactivate (signed out everywhere, tickets handed off) or reactivate someone."""
    user = _person(user_id)
    wanted = request.form.get("active")
    if wanted not in ("0", "1"):
        abort(400)
    try:
        change = user_lifecycle.set_active(
            db.session,
            user,
            wanted == "1",
            actor=current_user._get_current_object(),
            now=datetime.now(UTC),
        )
    except ServiceError as exc:
        flash(str(exc.message), "error")
        return _back()
    if not change.changed:
        flash(_("Nothing to change: %(name)s was already so.", name=user.name), "info")
    elif user.active:
        flash(_("%(name)s can sign in again.", name=user.name), "success")
    else:
        flash(
            _(
                "%(name)s is deactivated and signed out everywhere. Open tickets handed off: "
                "%(tickets)s.",
                name=user.name,
                tickets=Number(len(change.handed_off)),
            ),
            "success",
        )
    return _back()


@bp.route("/people/<int:user_id>/second-factor/reset", methods=["POST"])
@roles_required("admin")
def reset_second_factor(user_id: int):
    """Clear someone's lost second factor: they set it up again at their next sign-in."""
    user = _person(user_id)
    actor = current_user._get_current_object()
    if second_factor.reset(db.session, user, actor=actor, now=datetime.now(UTC), via="console"):
        flash(_("%(name)s sets up a second factor again at their next sign-in.", name=user.name))
    else:
        flash(_("%(name)s has no second factor to reset.", name=user.name), "info")
    return _back()
