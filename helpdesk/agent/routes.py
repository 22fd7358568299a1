"""Agent pages: the live queue, one ticket's workspace (thread, reply, status, take it), and
the ticket's SLA timeline; also the template filters SLA countdowns and figures use."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from babel import Locale, UnknownLocaleError
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_timedelta, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from helpdesk.agent import bp
from helpdesk.agent.forms import SORT_LABELS, ReplyForm, TakeForm, TicketFilterForm, UpdateForm
from helpdesk.auth.guards import roles_required
from helpdesk.extensions import db
from helpdesk.models import Message, SlaClock, Ticket, TicketEvent, User
from helpdesk.portal.forms import ID_MAX, PRIORITY_LABELS, STATUS_LABELS
from helpdesk.services.errors import ServiceError
from helpdesk.services.scope import get_visible_ticket, visible_clients, visible_tickets
from helpdesk.services.sla_report import (
    SLA_EVENT_KINDS,
    build_timeline,
    countdown_state,
    live_clocks_by_ticket,
    pressing_clock,
)
from helpdesk.services.tickets import add_message, update_ticket

PER_PAGE = 50
# Event data keys that hold user ids, per event kind, so the log can show names.
USER_ID_KEYS = ("old", "new", "agent_id", "from_agent_id", "to_agent_id")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


def sla_context() -> dict:
    """What SLA templates need: one `now` per page and the countdown state function."""
    return {"now": datetime.now(UTC), "sla_state": countdown_state}


@bp.context_processor
def agent_context() -> dict:
    """The viewer, labels and SLA helpers for agent templates."""
    viewer = current_user if current_user.is_authenticated else None
    return {
        "viewer": viewer,
        "status_labels": STATUS_LABELS,
        "priority_labels": PRIORITY_LABELS,
        **sla_context(),
    }


def countdown_parts(due_at: datetime, now: datetime) -> tuple[int, str]:
    """Whole units to a due time (negative: past) and the unit, rounded as countdown.js does."""
    seconds = (due_at - now).total_seconds()
    # Half up, as the browser's Math.round; at least one so nothing reads "in 0 minutes".
    minutes = max(1, math.floor(abs(seconds) / 60 + 0.5))
    sign = 1 if seconds > 0 else -1
    if minutes < 90:
        return sign * minutes, "minute"
    if minutes < 48 * 60:
        return sign * math.floor(minutes / 60 + 0.5), "hour"
    return sign * math.floor(minutes / 1440 + 0.5), "day"


@bp.app_template_filter("countdown")
def countdown_filter(due_at: datetime | None, now: datetime | None = None) -> str:
    """A due time as "in 23 minutes" / "5 minutes ago" in the viewer's language."""
    if due_at is None:
        return ""
    value, unit = countdown_parts(due_at, now or datetime.now(UTC))
    return format_timedelta(
        timedelta(seconds=value * _UNIT_SECONDS[unit]),
        granularity=unit,
        threshold=math.inf,  # keep the chosen unit; Babel would otherwise pick the largest
        add_direction=True,
    )


@bp.app_template_filter("fromiso")
def fromiso_filter(value: object) -> datetime | None:
    """An ISO 8601 string from event data as an aware datetime (None if it is not one)."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


@bp.app_template_filter("num")
def num_filter(value: float | int | None) -> str:
    """A figure such as business minutes in the viewer's number format, at most 2 decimals."""
    if value is None:
        return ""
    return format_decimal(round(value, 2) + 0.0, format="#,##0.##")


@bp.app_template_filter("utc")
def utc_filter(value: datetime | None) -> str:
    """An instant in UTC as evidence shows it: 2026-03-09 15:05:00 UTC."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


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
    ).order_by(*form.ordering())
    page = form.value("page")
    pagination = db.paginate(stmt, page=page, per_page=PER_PAGE, error_out=False)
    if not pagination.items and page > 1 and pagination.pages:
        pagination = db.paginate(stmt, page=pagination.pages, per_page=PER_PAGE, error_out=False)
    live = live_clocks_by_ticket(db.session, [t.id for t in pagination.items])
    return render_template(
        "agent/queue.html",
        form=form,
        pagination=pagination,
        pressing={ticket_id: pressing_clock(clocks) for ticket_id, clocks in live.items()},
        sort_labels=SORT_LABELS,
    )


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
    clocks = clocks_of(ticket)
    return render_template(
        "agent/ticket.html",
        ticket=ticket,
        messages=thread_of(ticket, internal=True),
        events=events,
        user_names=names,
        language=language_name(ticket.locale),
        clocks=clocks,
        pressing=pressing_clock(clocks),
        reply_form=reply_form,
        update_form=update_form,
        take_form=take_form,
    ), status


def clocks_of(ticket: Ticket) -> list[SlaClock]:
    """Every SLA clock of the ticket in start order, calendars loaded."""
    stmt = (
        select(SlaClock)
        .where(SlaClock.ticket_id == ticket.id)
        .options(joinedload(SlaClock.calendar))
        .order_by(SlaClock.started_at, SlaClock.id)
    )
    return list(db.session.scalars(stmt))


def render_sla_timeline(ticket: Ticket, *, ticket_url: str, list_url: str, list_label: str):
    """The printable SLA timeline of a ticket (shared by the agent and supervisor pages)."""
    events = db.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_(SLA_EVENT_KINDS))
        .options(joinedload(TicketEvent.actor))
        .order_by(TicketEvent.at, TicketEvent.id)
    ).all()
    timeline = build_timeline(ticket, clocks_of(ticket), events, now=datetime.now(UTC))
    return render_template(
        "agent/sla_timeline.html",
        ticket=ticket,
        timeline=timeline,
        ticket_url=ticket_url,
        list_url=list_url,
        list_label=list_label,
    )


@bp.route(f"/tickets/<int(max={ID_MAX}):ticket_id>/sla")
@roles_required("agent", "admin")
def sla_timeline(ticket_id: int):
    """The ticket's SLA timeline for agents serving its client and for admins."""
    ticket = get_visible_ticket(db.session, current_user, ticket_id)
    if ticket is None:
        abort(404)
    if current_user.role == "agent":
        ticket_url, list_url = url_for("agent.ticket", ticket_id=ticket.id), url_for("agent.queue")
        list_label = _("Queue")
    else:  # admins work from the supervisor pages
        ticket_url = url_for("supervisor.ticket", ticket_id=ticket.id)
        list_url, list_label = url_for("supervisor.dashboard"), _("Tickets")
    return render_sla_timeline(
        ticket, ticket_url=ticket_url, list_url=list_url, list_label=list_label
    )
