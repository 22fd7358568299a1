"""Agent pages: the live queue and one ticket's workspace (thread, reply, status, take it)."""

from __future__ import annotations

from datetime import UTC, datetime

from babel import Locale, UnknownLocaleError
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import case, select
from sqlalchemy.orm import joinedload

from helpdesk.agent import bp
from helpdesk.agent.forms import ReplyForm, TakeForm, TicketFilterForm, UpdateForm
from helpdesk.auth.guards import roles_required
from helpdesk.extensions import db
from helpdesk.models import Message, Ticket, TicketEvent, User
from helpdesk.portal.forms import ID_MAX, PRIORITY_LABELS, STATUS_LABELS
from helpdesk.services.errors import ServiceError
from helpdesk.services.scope import get_visible_ticket, visible_clients, visible_tickets
from helpdesk.services.tickets import add_message, update_ticket

PER_PAGE = 50
PRIORITY_RANK = case(
    {"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=Ticket.priority, else_=4
)
# Event data keys that hold user ids, per event kind, so the log can show names.
USER_ID_KEYS = ("old", "new", "agent_id", "from_agent_id", "to_agent_id")


@bp.context_processor
def agent_context() -> dict:
    """The viewer and labels for agent templates."""
    viewer = current_user if current_user.is_authenticated else None
    return {"viewer": viewer, "status_labels": STATUS_LABELS, "priority_labels": PRIORITY_LABELS}


def language_name(code: str | None) -> str:
    """A locale code as a language name in the viewer's language ("ja" -> "Japanese")."""
    if not code:
        return ""
    try:
        return Locale.parse(code).get_display_name(get_locale()) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code


def thread_of(ticket: Ticket, *, internal: bool) -> list[Message]:
    """The ticket's messages oldest first, authors loaded; internal notes only if asked."""
    stmt = select(Message).where(Message.ticket_id == ticket.id)
    if not internal:
        stmt = stmt.where(Message.internal.is_(False))
    stmt = stmt.options(joinedload(Message.author)).order_by(Message.id)
    return list(db.session.scalars(stmt))


def events_of(ticket: Ticket, *, skip: tuple[str, ...] = ()) -> tuple[list[TicketEvent], dict]:
    """The ticket's event log oldest first, and the names of the users its data mentions."""
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if skip:
        stmt = stmt.where(TicketEvent.kind.not_in(skip))
    events = list(
        db.session.scalars(stmt.options(joinedload(TicketEvent.actor)).order_by(TicketEvent.id))
    )
    ids = {
        value
        for event in events
        if event.kind in ("assigned", "handed_off", "routed")
        for key in USER_ID_KEYS
        if isinstance(value := (event.data or {}).get(key), int) and not isinstance(value, bool)
    }
    names = {}
    if ids:
        names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    return events, names


@bp.route("/")
@roles_required("agent")
def queue():
    """The tickets this agent may work, most urgent and oldest first, filtered and paged."""
    form = TicketFilterForm(request.args)
    form.set_clients(visible_clients(db.session, current_user))
    form.validate()
    stmt = form.apply(visible_tickets(current_user), viewer=current_user)
    stmt = stmt.options(
        joinedload(Ticket.client), joinedload(Ticket.requester), joinedload(Ticket.assignee)
    ).order_by(PRIORITY_RANK, Ticket.created_at, Ticket.id)
    page = form.value("page")
    pagination = db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)
    if not pagination.items and page > 1 and pagination.pages:
        pagination = db.paginate(stmt, page=pagination.pages, per_page=PER_PAGE, error_out=False)
    return render_template("agent/queue.html", form=form, pagination=pagination)


def _reply(ticket: Ticket, form: ReplyForm):
    """Post a reply or note; a redirect on success, else the status to re-render with."""
    if not form.validate_on_submit():
        return 422
    try:
        add_message(
            db.session,
            ticket=ticket,
            author=current_user,
            body=form.body.data,
            now=datetime.now(UTC),
            internal=form.internal.data,
            channel="portal",
        )
    except ServiceError as exc:
        db.session.rollback()
        return form.add_service_error(exc)
    flash(_("Internal note added.") if form.internal.data else _("Reply sent."), "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket.id, _anchor="latest"))


def _update(ticket: Ticket, form: UpdateForm):
    """Change status and priority; a redirect on success, else the status to re-render with."""
    if not form.validate_on_submit():
        return 422
    try:
        update_ticket(
            db.session,
            ticket=ticket,
            actor=current_user,
            now=datetime.now(UTC),
            status=form.status.data,
            priority=form.priority.data,
        )
    except ServiceError as exc:
        db.session.rollback()
        return form.add_service_error(exc)
    flash(_("Ticket %(reference)s updated.", reference=ticket.reference), "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket.id))


def _take(ticket: Ticket, form: TakeForm):
    """Assign the ticket to the signed-in agent."""
    if not form.validate_on_submit():
        return 400
    try:
        update_ticket(
            db.session,
            ticket=ticket,
            actor=current_user,
            now=datetime.now(UTC),
            assignee_id=current_user.id,
        )
    except ServiceError as exc:
        db.session.rollback()
        return form.add_service_error(exc)
    flash(_("You took %(reference)s.", reference=ticket.reference), "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket.id))


def _action() -> str | None:
    """Which form was sent: the submit button's `action`, else guessed from the fields."""
    action = request.form.get("action")
    if action in ("reply", "update", "take"):
        return action
    if "body" in request.form:
        return "reply"
    if "status" in request.form or "priority" in request.form:
        return "update"
    return None


@bp.route(f"/tickets/<int(max={ID_MAX}):ticket_id>", methods=["GET", "POST"])
@roles_required("agent")
def ticket(ticket_id: int):
    """One ticket: the whole thread with internal notes, facts, reply, status and take it."""
    ticket = get_visible_ticket(db.session, current_user, ticket_id)
    if ticket is None:
        abort(404)
    reply_form = ReplyForm()
    update_form = UpdateForm(obj=ticket)
    take_form = TakeForm()
    status = 200
    if request.method == "POST":
        handlers = {
            "reply": (_reply, reply_form),
            "update": (_update, update_form),
            "take": (_take, take_form),
        }
        action = _action()
        if action is None:
            abort(400)
        handler, form = handlers[action]
        result = handler(ticket, form)
        if not isinstance(result, int):
            return result
        status = result
        if action != "update":
            # Show the stored values, not whatever the failed form did not send.
            update_form = UpdateForm(formdata=None, obj=ticket)
    events, names = events_of(ticket)
    return render_template(
        "agent/ticket.html",
        ticket=ticket,
        messages=thread_of(ticket, internal=True),
        events=events,
        user_names=names,
        language=language_name(ticket.locale),
        reply_form=reply_form,
        update_form=update_form,
        take_form=take_form,
    ), status
