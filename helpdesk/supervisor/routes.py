"""Supervisor pages: a client's tickets with status counts, a read-only ticket view, the
ticket's printable SLA timeline, and the client's weekly shift coverage."""

from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from helpdesk.agent.coverage_page import render_coverage
from helpdesk.agent.routes import (
    clocks_of,
    events_of,
    language_name,
    render_sla_timeline,
    site_names_of,
    sla_context,
    thread_of,
)
from helpdesk.auth.guards import roles_required
from helpdesk.extensions import db
from helpdesk.models import Client, Ticket
from helpdesk.portal.forms import ID_MAX, PRIORITY_LABELS, STATUS_LABELS
from helpdesk.services.scope import (
    get_visible_ticket,
    ticket_visibility,
    visible_clients,
    visible_tickets,
)
from helpdesk.supervisor import bp
from helpdesk.supervisor.forms import SupervisorFilterForm

PER_PAGE = 50


@bp.context_processor
def supervisor_context() -> dict:
    """The viewer and labels for supervisor templates."""
    viewer = current_user if current_user.is_authenticated else None
    return {
        "viewer": viewer,
        "status_labels": STATUS_LABELS,
        "priority_labels": PRIORITY_LABELS,
        **sla_context(),
    }


def status_counts(client: Client | None) -> dict[str, int]:
    """Tickets per status that the viewer may see, for one client or all of them."""
    stmt = select(Ticket.status, func.count(Ticket.id)).where(ticket_visibility(current_user))
    if client is not None:
        stmt = stmt.where(Ticket.client_id == client.id)
    counts = dict(db.session.execute(stmt.group_by(Ticket.status)).all())
    return {status: counts.get(status, 0) for status in STATUS_LABELS}


@bp.route("/")
@roles_required("supervisor", "admin")
def dashboard():
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
    return render_template(
        "supervisor/dashboard.html",
        form=form,
        pagination=pagination,
        client=client,
        counts=status_counts(client),
        pick_client=current_user.role == "admin",
    )


@bp.route(f"/tickets/<int(max={ID_MAX}):ticket_id>")
@roles_required("supervisor", "admin")
def ticket(ticket_id: int):
    """One ticket, read-only: the public thread and the event log (internal notes left out)."""
    ticket = get_visible_ticket(db.session, current_user, ticket_id)
    if ticket is None:
        abort(404)
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
    ticket = get_visible_ticket(db.session, current_user, ticket_id)
    if ticket is None:
        abort(404)
    return render_sla_timeline(
        ticket,
        ticket_url=url_for("supervisor.ticket", ticket_id=ticket.id),
        list_url=url_for("supervisor.dashboard"),
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
