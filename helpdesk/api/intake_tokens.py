"""API intake tokens: an admin issues (shown once), lists and revokes a client's tokens."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import jsonify
from flask_babel import gettext as _
from sqlalchemy import select

from helpdesk.api import bp
from helpdesk.api.openapi import operation
from helpdesk.api.parsing import parse_body
from helpdesk.api.principal import current_user
from helpdesk.extensions import db
from helpdesk.models import ID_MAX, Client, IntakeToken
from helpdesk.schemas import IntakeTokenCreate, IntakeTokenIssued, IntakeTokenList
from helpdesk.serializers import iso
from helpdesk.services import intake_tokens
from helpdesk.services.errors import NotFound

_ID = re.compile(r"[1-9][0-9]{0,9}")


def _client(slug: str) -> Client:
    client = db.session.scalar(select(Client).where(Client.slug == slug[:64]))
    if client is None:
        raise NotFound(_("No such client."))
    return client


def token_json(row: IntakeToken) -> dict:
    """An issued token without its secret."""
    return {
        "id": row.id,
        "name": row.name,
        "created_at": iso(row.created_at),
        "last_used_at": iso(row.last_used_at),
        "revoked_at": iso(row.revoked_at),
        "live": row.live,
    }


@bp.get("/admin/clients/<slug>/intake-tokens")
@operation(
    summary="List a client's intake tokens (admins).",
    description="Without their secrets; live first, then revoked, newest first.",
    responses={200: IntakeTokenList},
    errors=(403, 404),
)
def list_intake_tokens(slug: str):
    """The client's issued tokens."""
    current_user("admin")
    client = _client(slug)
    rows = intake_tokens.tokens_of(db.session, client)
    return jsonify(client=client.slug, tokens=[token_json(row) for row in rows])


@bp.post("/admin/clients/<slug>/intake-tokens")
@operation(
    summary="Issue an intake token for a client (admins).",
    description=(
        "The answer's `token` is shown this once: only its digest is stored. The client's "
        "integrations send it as `Authorization: Bearer TOKEN` to file tickets."
    ),
    body=IntakeTokenCreate,
    responses={201: IntakeTokenIssued},
    errors=(403, 404),
)
def issue_intake_token(slug: str):
    """A new named token for the client."""
    admin = current_user("admin")
    client = _client(slug)
    data = parse_body(IntakeTokenCreate)
    row, secret = intake_tokens.issue(
        db.session, client, name=data.name, actor=admin, now=datetime.now(UTC)
    )
    body = {"id": row.id, "token": secret, "name": row.name, "created_at": iso(row.created_at)}
    return jsonify(body), 201


@bp.delete("/admin/clients/<slug>/intake-tokens/<token_id>")
@operation(
    summary="Revoke a client's intake token (admins).",
    description="It stops filing at once on this server, within a second on the others.",
    responses={204: None},
    errors=(403, 404),
)
def revoke_intake_token(slug: str, token_id: str):
    """Revoke one token (again: nothing changes)."""
    admin = current_user("admin")
    client = _client(slug)
    if not _ID.fullmatch(token_id) or int(token_id) > ID_MAX:
        raise NotFound(_("No such intake token."))
    intake_tokens.revoke(db.session, client, int(token_id), actor=admin, now=datetime.now(UTC))
    return "", 204
