"""The audit log, read-only: admins see every event, a supervisor only those about their client."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import AUDIT_KINDS, User
from helpdesk.services import audit
from helpdesk.supervisor import bp
from helpdesk.supervisor.choice import chosen_client
from helpdesk.web.guards import roles_required

PAGE = 200
KIND_LABELS = {
    "login": _l("Signed in"),
    "login_failed": _l("Failed sign-in"),
    "logout": _l("Signed out"),
    "registered": _l("Registered"),
    "settings_changed": _l("Settings changed"),
    "password_reset_requested": _l("Password link asked for"),
    "password_set": _l("Password set"),
    "token_issued": _l("API token issued"),
    "token_revoked": _l("API token revoked"),
    "email_confirmed": _l("E-mail address confirmed"),
    "confirmation_requested": _l("Confirmation link asked for"),
    "registration_voided": _l("Unconfirmed registration voided"),
    "sessions_ended": _l("Sessions ended"),
    "second_factor_enrolled": _l("Second factor enrolled"),
    "second_factor_removed": _l("Second factor removed"),
    "second_factor_reset": _l("Second factor reset by an admin"),
    "second_factor_failed": _l("Wrong second-factor code"),
    "recovery_code_used": _l("Recovery code used"),
    "second_factor_policy": _l("Second-factor rule changed"),
    "reply_held": _l("E-mail reply held for review"),
    "reply_accepted": _l("Held reply accepted"),
    "reply_discarded": _l("Held reply discarded"),
    "provision": _l("Provisioning"),
    "export": _l("Export"),
    "user_deactivated": _l("Account deactivated"),
    "user_reactivated": _l("Account reactivated"),
    "client_branding": _l("Branding changed"),
}


@bp.route("/audit")
@roles_required("supervisor", "admin")
def audit_log():
    """The latest events, newest first; filter by kind and (admins) by client."""
    slug = request.args.get("client") or None
    kind = request.args.get("kind") or None
    if kind not in AUDIT_KINDS:
        kind = None
    client, clients = chosen_client(slug)
    rows = audit.events(db.session, kind=kind, client_id=client.id if client else None, limit=PAGE)
    ids = {r.actor_id for r in rows if r.actor_id is not None}
    actors = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    return render_template(
        "supervisor/audit.html",
        rows=rows,
        actors=actors,
        clients={c.id: c for c in clients},
        client=client,
        kind=kind,
        kind_labels=KIND_LABELS,
        pick_client=current_user.role == "admin",
        page_size=PAGE,
    )
