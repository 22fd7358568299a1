"""Console: a client's branding. Its accent colour (checked for contrast with white text) and
logo, shown on its portal and in its mails."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from helpdesk.admin import bp
from helpdesk.domain import colors
from helpdesk.extensions import db
from helpdesk.models import Client
from helpdesk.services import branding
from helpdesk.services.errors import ServiceError
from helpdesk.web.guards import roles_required


def _client(slug: str) -> Client:
    client = db.session.scalar(select(Client).where(Client.slug == slug[:64]))
    if client is None:
        abort(404)
    return client


def _render(client: Client, *, accent: str, errors: dict | None = None, status: int = 200):
    shown = colors.normalize(accent) if accent else None
    return (
        render_template(
            "admin/branding.html",
            client=client,
            accent=accent,
            swatch=shown,
            ratio=colors.contrast(shown, colors.WHITE) if shown else None,
            minimum=colors.MIN_CONTRAST,
            logo_kb=branding.LOGO_MAX_BYTES // 1024,
            errors=errors or {},
        ),
        status,
    )


@bp.route("/clients/<slug>/branding", methods=["GET", "POST"])
@roles_required("admin")
def client_branding(slug: str):
    """The client's accent colour and logo; a refused value is a form error, nothing stored."""
    client = _client(slug)
    if request.method == "GET":
        return _render(client, accent=client.accent_color or "")
    accent = (request.form.get("accent_color") or "")[:32]
    upload = request.files.get("logo")
    logo = upload.read(branding.LOGO_MAX_BYTES + 1) if upload and upload.filename else None
    try:
        changed = branding.set_branding(
            db.session,
            client,
            accent=accent,
            logo=logo,
            remove_logo=request.form.get("remove_logo") == "1",
            actor=current_user._get_current_object(),
            now=datetime.now(UTC),
        )
    except ServiceError as exc:
        db.session.rollback()
        return _render(client, accent=accent, errors=exc.fields, status=422)
    if changed:
        flash(
            _(
                "The branding of %(name)s is saved: its portal and mails use it now.",
                name=client.name,
            ),
            "success",
        )
    else:
        flash(_("Nothing to change: these are the stored values."), "info")
    return redirect(url_for("admin.client_branding", slug=client.slug))
