"""Supervisor pages: the client's tickets with live tiles and status counts (and their JSON), a
read-only ticket view, the ticket's printable SLA timeline, and the client's weekly coverage.
The metrics dashboard and its downloads live in helpdesk.supervisor.dashboard."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import jsonify, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from helpdesk.errors import error_response
from helpdesk.extensions import db
from helpdesk.models import ID_MAX, Ticket
from helpdesk.services.scope import (
    get_visible_client,
    visible_clients,
    visible_tickets,
)
from helpdesk.supervisor import bp
from helpdesk.supervisor.forms import SupervisorFilterForm
from helpdesk.supervisor.tiles import live_tiles
from helpdesk.web.coverage import render_coverage
from helpdesk.web.guards import roles_required
from helpdesk.web.lookup import visible_ticket_or_404
from helpdesk.web.ticket_page import (
    clocks_of,
    events_of,
    language_name,
    render_sla_timeline,
    site_names_of,
    staff_page_context,
    thread_of,
)

PER_PAGE = 50


@bp.context_processor
def supervisor_context() -> dict:
    """The viewer and labels for supervisor templates."""
    return staff_page_context()


@bp.route("/tickets")
@roles_required("supervisor", "admin")
def tickets():
    """The client's tickets (admins pick the client with ?client=slug), newest activity first."""
    clients = visible_clients(db.session, current_user)
    form = SupervisorFilterForm(request.args)
    form.set_clients(clients)
    form.validate()
    slug = form.value("client")
    if current_user.role == "supervisor":
        client = current_user.client
    else:
        client = next((c for c in clients if c.slug == slug), None)
    stmt = form.apply(visible_tickets(current_user), viewer=current_user)
    stmt = stmt.options(
        joinedload(Ticket.client), joinedload(Ticket.requester), joinedload(Ticket.assignee)
    ).order_by(Ticket.updated_at.desc(), Ticket.id.desc())
    page = form.value("page")
    pagination = db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)
    if not pagination.items and page > 1 and pagination.pages:
        pagination = db.paginate(stmt, page=pagination.pages, per_page=PER_PAGE, error_out=False)
    tiles = live_tiles(
        db.session, current_user, client, now=datetime.now(UTC), tz=str(get_timezone())
    )
    return render_template(
        "supervisor/tickets.html",
        form=form,
        pagination=pagination,
        client=client,
        counts=tiles["statuses"],
        tiles=tiles,
        pick_client=current_user.role == "admin",
    )


@bp.route("/tiles.json")
def tiles():
    """The dashboard's live tiles: a supervisor's own client; admins name one with ?client=
    (or get every client's). Another client's, or an unknown one, is 404."""
    # A JSON address answers errors in JSON whatever the request accepts.
    if not current_user.is_authenticated:
        return error_response(401, "unauthorized", _("Sign in first."))
    not_found = error_response(404, "not_found", _("Not found."))
    if current_user.role not in ("supervisor", "admin"):
        return not_found
    slug = request.args.get("client") or None
    if current_user.role == "supervisor":
        client = current_user.client
        if slug is not None and slug != client.slug:
            return not_found
    else:
        client = get_visible_client(db.session, current_user, slug) if slug else None
        if slug and client is None:
            return not_found
    figures = live_tiles(
        db.session, current_user, client, now=datetime.now(UTC), tz=str(get_timezone())
    )
    response = jsonify(figures)
    response.cache_control.no_store = True
    return response


@bp.route(f"/tickets/<int(max={ID_MAX}):ticket_id>")
@roles_required("supervisor", "admin")
def ticket(ticket_id: int):
    """One ticket, read-only: the public thread and the event log (internal notes left out)."""
    ticket = visible_ticket_or_404(current_user, ticket_id)
    events, names = events_of(ticket, skip=("note_added",))
    return render_template(
        "supervisor/ticket.html",
        ticket=ticket,
        messages=thread_of(ticket, internal=False),
        events=events,
        user_names=names,
        site_names=site_names_of(events, also=[ticket.site.slug] if ticket.site else []),
        language=language_name(ticket.locale),
        clocks=clocks_of(ticket),
    )


@bp.route(f"/tickets/<int(max={ID_MAX}):ticket_id>/sla")
@roles_required("supervisor", "admin")
def sla_timeline(ticket_id: int):
    """The ticket's SLA timeline for the client's supervisors and for admins."""
    ticket = visible_ticket_or_404(current_user, ticket_id)
    return render_sla_timeline(
        ticket,
        ticket_url=url_for("supervisor.ticket", ticket_id=ticket.id),
        list_url=url_for("supervisor.tickets"),
        list_label=_("Tickets"),
    )


@bp.route("/coverage")
@roles_required("supervisor", "admin")
def coverage():
    """The client's weekly shift coverage: supervisors see their own, admins pick a client."""
    if current_user.role == "supervisor":
        return render_coverage(
            [current_user.client], endpoint="supervisor.coverage", pick_client=False
        )
    return render_coverage(
        visible_clients(db.session, current_user), endpoint="supervisor.coverage", pick_client=True
    )
