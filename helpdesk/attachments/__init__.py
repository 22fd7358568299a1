"""Attachment downloads for the agent, supervisor and portal ticket pages, scoped by ticket."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from babel.units import format_unit
from flask import Blueprint, abort, current_app, g, redirect, request, send_file, url_for
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select

from helpdesk.extensions import db
from helpdesk.models import ID_MAX, Attachment, Client, Ticket
from helpdesk.services.attachments import find_attachment, path_for, ticket_attachments
from helpdesk.services.scope import get_visible_ticket
from helpdesk.web.guards import roles_required

bp = Blueprint("attachments", __name__)
_IDS = f"<int(max={ID_MAX}):ticket_id>/attachments/<int(max={ID_MAX}):attachment_id>"


@dataclass(frozen=True)
class Audience:
    """What one kind of ticket page shows: internal notes' files, original e-mails."""

    endpoint: str
    internal: bool
    originals: bool


AUDIENCES = {
    "agent": Audience("attachments.agent_download", internal=True, originals=True),
    "supervisor": Audience("attachments.supervisor_download", internal=False, originals=True),
    "portal": Audience("attachments.portal_download", internal=False, originals=False),
}


@bp.app_template_global()
def ticket_files(ticket: Ticket) -> list[tuple[Attachment, str]]:
    """The files the current page's viewer may download, each with its download URL."""
    audience = AUDIENCES.get(request.blueprint or "")
    if audience is None:
        return []
    files = ticket_attachments(
        db.session, ticket, internal=audience.internal, originals=audience.originals
    )
    extra = {"client_slug": ticket.client.slug} if request.blueprint == "portal" else {}
    return [
        (f, url_for(audience.endpoint, ticket_id=ticket.id, attachment_id=f.id, **extra))
        for f in files
    ]


@bp.app_template_filter()
def file_size(size: int) -> str:
    """A file size in the viewer's language: "12 kB", "1.4 MB"."""
    if size < 1000 * 1000:
        value, unit = max(size / 1000, 0.1), "digital-kilobyte"
    else:
        value, unit = size / (1000 * 1000), "digital-megabyte"
    return format_unit(round(value, 1), unit, length="short", locale=get_locale())


def _download(ticket: Ticket | None, attachment_id: int, audience: Audience):
    if ticket is None:
        abort(404)
    attachment = find_attachment(
        db.session,
        ticket,
        attachment_id,
        internal=audience.internal,
        originals=audience.originals,
    )
    if attachment is None:
        abort(404)
    path = path_for(current_app.config["ATTACHMENTS_DIR"], attachment.sha256)
    if not Path(path).is_file():
        current_app.logger.error("attachment %s: file %s missing", attachment.id, path)
        abort(404)
    response = send_file(
        path,
        mimetype=attachment.content_type,
        as_attachment=True,
        download_name=attachment.filename,
        max_age=0,
        etag=attachment.sha256,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.cache_control.private = True
    return response


@bp.route(f"/agent/tickets/{_IDS}")
@roles_required("agent", "admin")
def agent_download(ticket_id: int, attachment_id: int):
    """A file of a ticket the agent serves (internal notes' files included)."""
    ticket = get_visible_ticket(db.session, current_user, ticket_id)
    return _download(ticket, attachment_id, AUDIENCES["agent"])


@bp.route(f"/supervisor/tickets/{_IDS}")
@roles_required("supervisor", "admin")
def supervisor_download(ticket_id: int, attachment_id: int):
    """A file of one of the supervisor's client's tickets (not from internal notes)."""
    ticket = get_visible_ticket(db.session, current_user, ticket_id)
    return _download(ticket, attachment_id, AUDIENCES["supervisor"])


@bp.route(f"/c/<client_slug>/tickets/{_IDS}")
def portal_download(client_slug: str, ticket_id: int, attachment_id: int):
    """A file of the signed-in customer's own ticket on this client's portal."""
    client = db.session.scalar(select(Client).where(Client.slug == client_slug[:40]))
    if client is None:
        abort(404)
    g.client = client
    user = current_user
    if not (user.is_authenticated and user.role == "customer" and user.client_id == client.id):
        return redirect(url_for("portal.login", client_slug=client.slug, next=request.path))
    ticket = get_visible_ticket(db.session, user, ticket_id)
    if ticket is not None and ticket.client_id != client.id:
        ticket = None
    return _download(ticket, attachment_id, AUDIENCES["portal"])
