"""Console: a client's intake tokens. Issue one for an integration (its secret is shown this
once), see when each was last used, revoke one that leaked or is no longer needed."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from helpdesk.admin import bp
from helpdesk.extensions import db
from helpdesk.models import INTAKE_TOKEN_NAME_MAX, Client
from helpdesk.services import intake_tokens
from helpdesk.services.errors import ServiceError
from helpdesk.web.guards import roles_required


def _clients() -> list[Client]:
    return list(db.session.scalars(select(Client).order_by(Client.name)))


def _client(slug: str) -> Client:
    client = db.session.scalar(select(Client).where(Client.slug == slug[:64]))
    if client is None:
        abort(404)
    return client


def _page(client: Client | None, *, issued=None, secret=None, name="", error=None, status=200):
    clients = _clients()
    if client is None and clients:
        client = clients[0]
    rows = intake_tokens.tokens_of(db.session, client) if client is not None else []
    return (
        render_template(
            "admin/intake_tokens.html",
            clients=clients,
            client=client,
            rows=rows,
            issued=issued,
            secret=secret,
            name=name,
            error=error,
            name_max=INTAKE_TOKEN_NAME_MAX,
        ),
        status,
    )


@bp.route("/intake-tokens")
@roles_required("admin")
def intake_token_list():
    """The chosen client's tokens (the first client's without a choice)."""
    slug = request.args.get("client")
    return _page(_client(slug) if slug else None)


@bp.route("/intake-tokens/<slug>/issue", methods=["POST"])
@roles_required("admin")
def issue_intake_token(slug: str):
    """Issue a token and show its secret once (the page is not a redirect: nothing keeps it)."""
    client = _client(slug)
    name = request.form.get("name", "")
    try:
        row, secret = intake_tokens.issue(
            db.session,
            client,
            name=name,
            actor=current_user._get_current_object(),
            now=datetime.now(UTC),
        )
    except ServiceError as exc:
        error = next(iter(exc.fields.values()), exc.message) if exc.fields else exc.message
        return _page(client, name=name[:200], error=str(error), status=422)
    return _page(client, issued=row, secret=secret)


@bp.route("/intake-tokens/<slug>/<int:token_id>/revoke", methods=["POST"])
@roles_required("admin")
def revoke_intake_token(slug: str, token_id: int):
    """Revoke one of the client's tokens; integrations using it are refused from now on."""
    client = _client(slug)
    try:
        done = intake_tokens.revoke(
            db.session,
            client,
            token_id,
            actor=current_user._get_current_object(),
            now=datetime.now(UTC),
        )
    except ServiceError:
        abort(404)
    if done:
        flash(_("The token is revoked: it files nothing from now on."), "success")
    return redirect(url_for("admin.intake_token_list", client=client.slug))
