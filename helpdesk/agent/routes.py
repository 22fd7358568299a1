"""Agent pages: the live queue (my tickets, waiting for me, all), one ticket's workspace
(thread, reply, status, take or reassign it, its routing, e-mail replies held for review),
presence and the ticket's SLA timeline. Template filters live in `filters`, the coverage
page in `coverage_page`."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from helpdesk.agent import bp
from helpdesk.agent.forms import (
    PRESENCE_LABELS,
    VIEW_FIELDS,
    VIEW_LABELS,
    PresenceForm,
    QueueFilterForm,
    ReassignForm,
    ReplyForm,
    TakeForm,
    UpdateForm,
)
from helpdesk.agent.queue_rows import row_texts
from helpdesk.agent.queues import pressing_clocks, queue_page, queue_tickets, view_counts
from helpdesk.domain.routing import CalendarMemo
from helpdesk.extensions import db
from helpdesk.models import ID_MAX, Ticket, User
from helpdesk.services import follow_the_sun, held_replies, routing
from helpdesk.services.errors import Conflict, ServiceError
from helpdesk.services.scope import visible_clients
from helpdesk.services.sla_report import (
    pressing_clock,
)
from helpdesk.services.tickets import add_message, update_ticket
from helpdesk.web.guards import roles_required
from helpdesk.web.lookup import visible_ticket_or_404
from helpdesk.web.navigation import safe_next
from helpdesk.web.row_format import RowDates, id_url
from helpdesk.web.ticket_filters import SORT_LABELS
from helpdesk.web.ticket_page import (
    clocks_of,
    events_of,
    language_name,
    read_by_requester,
    render_sla_timeline,
    site_names_of,
    staff_page_context,
    thread_of,
)

PER_PAGE = 50


@bp.context_processor
def agent_context() -> dict:
    """The viewer, labels and SLA helpers for agent templates."""
    return staff_page_context()


@bp.before_request
def note_agent_activity() -> None:
    """Every agent page request counts as activity, so idle agents (only) are set away.

    A live page's own refreshes (`X-Fragment`) are not the agent's doing and do not count.
    """
    if (
        current_user.is_authenticated
        and current_user.role == "agent"
        and not request.headers.get("X-Fragment")
    ):
        follow_the_sun.touch(db.session, current_user, now=datetime.now(UTC))


@bp.app_context_processor
def presence_context() -> dict:
    """Presence labels for every page: the header's presence control and agent lists."""
    return {"presence_labels": PRESENCE_LABELS}


@bp.route("/")
@roles_required("agent")
def queue():
    """The agent's queue in one of three views, filtered, sorted (most urgent first) and paged.

    "My tickets" is the agent's open work, "Waiting for me" the unassigned tickets they
    could take, "All" every ticket of the clients they serve. Without a view in the
    address, agents with work of their own see it, the others what waits for them.
    """
    form = QueueFilterForm(request.args)
    clients = visible_clients(db.session, current_user)
    form.set_clients(clients)
    form.validate()
    open_work = view_counts(db.session, current_user)
    view = form.value("view") or ("mine" if open_work["mine"] else "waiting")
    ignore = form.ignored(view)
    stmt = form.apply(queue_tickets(current_user, view), viewer=current_user, ignore=ignore)
    # Unfiltered, a view's total is the open work its tab counts (the "All" tab shows none).
    narrowed = any(name != "sort" for name in form.query_args(ignore=ignore))
    pagination = queue_page(
        db.session,
        stmt.order_by(*form.ordering()),
        page=form.value("page"),
        per_page=PER_PAGE,
        total=None if narrowed else open_work[view],
    )
    counts = {name: open_work[name] for name in ("mine", "waiting")}
    pressing = pressing_clocks(db.session, [t.id for t in pagination.items])
    fragment = request.headers.get("X-Fragment") == "rows"
    now = datetime.now(UTC)
    html = render_template(
        "agent/_queue_live.html" if fragment else "agent/queue.html",
        form=form,
        view=view,
        view_labels=VIEW_LABELS,
        view_fields=VIEW_FIELDS[view],
        # The live queue's client filter: the clients just read, not the viewer's relation.
        client_slugs="*" if current_user.serves_all_clients else [c.slug for c in clients],
        counts=counts,
        filtered=bool(form.query_args(ignore=ignore)),
        pagination=pagination,
        sort_labels=SORT_LABELS,
        # Per page, not per row: one clock, the viewer's date formats, one URL per link kind.
        now=now,
        shown=row_texts(
            pagination.items,
            pressing,
            dates=RowDates.for_viewer(now),
            ticket_url=id_url("agent.ticket", "ticket_id"),
        ),
        take_url=id_url("agent.take", "ticket_id"),
    )
    response = make_response(html)
    # One address answers the page or, for the live queue's refresh, only its changing parts.
    response.vary.add("X-Fragment")
    if fragment:
        response.cache_control.no_store = True
    return response


@bp.route(f"/tickets/<int(max={ID_MAX}):ticket_id>/take", methods=["POST"])
@roles_required("agent")
def take(ticket_id: int):
    """Take a waiting ticket from the queue; if someone was faster, say who and go back."""
    ticket = visible_ticket_or_404(current_user, ticket_id)
    form = TakeForm()
    back = safe_next(form.next.data) or url_for("agent.queue", view="waiting")
    if not form.validate_on_submit():
        abort(400)
    reference = ticket.reference
    try:
        _take_for_viewer(ticket, seen=form.seen_assignee())
    except ServiceError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(back)
    flash(_("You took %(reference)s.", reference=reference), "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket_id))


def _take_for_viewer(ticket: Ticket, *, seen: int | None) -> None:
    """Give the ticket to the signed-in agent unless someone else took it since `seen`.

    An unassigned ticket is taken with the routing service's conditional update, so of
    two agents taking it at once exactly one wins. Taking a ticket from the colleague
    the page showed is a deliberate reassignment.
    """
    if ticket.assignee_id is None:
        routing.take_ticket(db.session, ticket, current_user, now=datetime.now(UTC))
    elif ticket.assignee_id == current_user.id:
        return
    elif ticket.assignee_id == seen:
        update_ticket(
            db.session,
            ticket=ticket,
            actor=current_user,
            now=datetime.now(UTC),
            assignee_id=current_user.id,
        )
    else:
        raise Conflict(
            _("%(name)s already took this ticket.", name=ticket.assignee.name),
            code="already_taken",
        )


def _reply(ticket: Ticket, form: ReplyForm):
    """Post a reply or note; a redirect on success, else the status to re-render with."""
    if not form.validate_on_submit():
        return 422
    refused = form.attempt(
        lambda: add_message(
            db.session,
            ticket=ticket,
            author=current_user,
            body=form.body.data,
            now=datetime.now(UTC),
            internal=form.internal.data,
            channel="chat" if ticket.channel == "chat" else "portal",
        )
    )
    if refused:
        return refused
    flash(_("Internal note added.") if form.internal.data else _("Reply sent."), "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket.id, _anchor="latest"))


def _change(ticket: Ticket, form, **changes) -> int | None:
    """update_ticket as the signed-in agent; None when done, else the status to re-render."""
    return form.attempt(
        lambda: update_ticket(
            db.session, ticket=ticket, actor=current_user, now=datetime.now(UTC), **changes
        )
    )


def _update(ticket: Ticket, form: UpdateForm):
    """Change status and priority; a redirect on success, else the status to re-render with."""
    if not form.validate_on_submit():
        return 422
    refused = _change(ticket, form, status=form.status.data, priority=form.priority.data)
    if refused:
        return refused
    flash(_("Ticket %(reference)s updated.", reference=ticket.reference), "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket.id))


def _take(ticket: Ticket, form: TakeForm):
    """Assign the ticket to the signed-in agent."""
    if not form.validate_on_submit():
        return 400
    refused = form.attempt(lambda: _take_for_viewer(ticket, seen=form.seen_assignee()))
    if refused:
        return refused
    flash(_("You took %(reference)s.", reference=ticket.reference), "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket.id))


def _reassign(ticket: Ticket, form: ReassignForm):
    """Give the ticket to another agent serving its client, or to nobody."""
    if not form.validate_on_submit():
        return 422
    refused = _change(ticket, form, assignee_id=form.assignee_id.data)
    if refused:
        return refused
    if ticket.assignee is None:
        flash(_("%(reference)s is unassigned.", reference=ticket.reference), "success")
    else:
        flash(
            _(
                "%(reference)s is assigned to %(name)s.",
                reference=ticket.reference,
                name=ticket.assignee.name,
            ),
            "success",
        )
    return redirect(url_for("agent.ticket", ticket_id=ticket.id))


def agents_for(ticket: Ticket, now: datetime) -> list[dict]:
    """The agents serving the ticket's client (one query): name, site, presence, shift, load."""
    views, _sites = routing.agent_views(db.session, client_id=ticket.client_id)
    on_shift = CalendarMemo(lambda calendar: calendar.is_open(now))  # once per distinct shift
    order = {"online": 0, "away": 1, "offline": 2}
    views.sort(key=lambda v: (order.get(v.presence, 3), v.name.casefold(), v.id))
    return [
        {
            "id": v.id,
            "name": v.name,
            "site": v.site,
            "presence": v.presence,
            "on_shift": v.shift is not None and on_shift(v.shift),
            "load": v.load,
            "capacity": v.capacity,
        }
        for v in views
    ]


def agent_option(agent: dict, site_names: dict[str, str]) -> str:
    """One agent as a select option: name, site, presence, shift and load."""
    return _(
        "%(name)s · %(site)s · %(presence)s%(shift)s · %(load)d/%(capacity)d tickets",
        name=agent["name"],
        site=site_names.get(agent["site"], agent["site"]) if agent["site"] else _("no site"),
        presence=PRESENCE_LABELS.get(agent["presence"], agent["presence"]),
        shift=", " + (_("on shift") if agent["on_shift"] else _("off shift")),
        load=agent["load"],
        capacity=agent["capacity"],
    )


def _action() -> str | None:
    """Which form was sent: the submit button's `action`, else guessed from the fields."""
    action = request.form.get("action")
    if action in ("reply", "update", "take", "reassign"):
        return action
    if "body" in request.form:
        return "reply"
    if "assignee_id" in request.form:
        return "reassign"
    if "status" in request.form or "priority" in request.form:
        return "update"
    return None


@bp.route(f"/tickets/<int(max={ID_MAX}):ticket_id>", methods=["GET", "POST"])
@roles_required("agent")
def ticket(ticket_id: int):
    """One ticket: thread with internal notes, facts, routing, reply, status, take, reassign."""
    ticket = visible_ticket_or_404(current_user, ticket_id)
    reply_form = ReplyForm()
    update_form = UpdateForm(obj=ticket)
    take_form = TakeForm()
    reassign_form = ReassignForm()
    status, action = 200, None
    if request.method == "POST":
        handlers = {
            "reply": (_reply, reply_form),
            "update": (_update, update_form),
            "take": (_take, take_form),
            "reassign": (_reassign, reassign_form),
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
    now = datetime.now(UTC)
    events, names = events_of(ticket)
    agents = agents_for(ticket, now)
    also = {a["site"] for a in agents if a["site"]} | ({ticket.site.slug} if ticket.site else set())
    site_names = site_names_of(events, also=also)
    options = [(str(a["id"]), agent_option(a, site_names)) for a in agents]
    if ticket.assignee_id is not None and all(a["id"] != ticket.assignee_id for a in agents):
        options.append((str(ticket.assignee_id), ticket.assignee.name))  # no longer serving
    reassign_form.set_agents(options)
    if action != "reassign":
        reassign_form.assignee_id.data = ticket.assignee_id
    clocks = clocks_of(ticket)
    return render_template(
        "agent/ticket.html",
        ticket=ticket,
        messages=thread_of(ticket, internal=True),
        held_replies=held_replies.waiting(db.session, ticket),
        events=events,
        user_names=names,
        site_names=site_names,
        language=language_name(ticket.locale),
        clocks=clocks,
        pressing=pressing_clock(clocks),
        reply_form=reply_form,
        update_form=update_form,
        take_form=take_form,
        reassign_form=reassign_form,
        assignee_view=next((a for a in agents if a["id"] == ticket.assignee_id), None),
        seen_up_to=read_by_requester(ticket),
    ), status


HELD = f"/tickets/<int(max={ID_MAX}):ticket_id>/held/<int(max={ID_MAX}):message_id>"


@bp.route(f"{HELD}/accept", methods=["POST"])
@roles_required("agent")
def accept_held_reply(ticket_id: int, message_id: int):
    """Accept a held e-mail reply as the customer's: it joins the thread as if just arrived."""
    ticket = visible_ticket_or_404(current_user, ticket_id)
    try:
        held_replies.accept(
            db.session,
            ticket=ticket,
            message_id=message_id,
            actor=current_user,
            now=datetime.now(UTC),
        )
    except Conflict as exc:  # the ticket was closed meanwhile
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("agent.ticket", ticket_id=ticket.id))
    flash(_("The e-mail was added as %(name)s's reply.", name=ticket.requester.name), "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket.id, _anchor="latest"))


@bp.route(f"{HELD}/discard", methods=["POST"])
@roles_required("agent")
def discard_held_reply(ticket_id: int, message_id: int):
    """Discard a held e-mail reply: it stays out of the thread, its original kept."""
    ticket = visible_ticket_or_404(current_user, ticket_id)
    held_replies.discard(
        db.session, ticket=ticket, message_id=message_id, actor=current_user, now=datetime.now(UTC)
    )
    flash(_("The held e-mail was discarded."), "success")
    return redirect(url_for("agent.ticket", ticket_id=ticket.id))


@bp.route(f"/tickets/<int(max={ID_MAX}):ticket_id>/sla")
@roles_required("agent", "admin")
def sla_timeline(ticket_id: int):
    """The ticket's SLA timeline for agents serving its client and for admins."""
    ticket = visible_ticket_or_404(current_user, ticket_id)
    if current_user.role == "agent":
        ticket_url, list_url = url_for("agent.ticket", ticket_id=ticket.id), url_for("agent.queue")
        list_label = _("Queue")
    else:  # admins work from the supervisor pages
        ticket_url = url_for("supervisor.ticket", ticket_id=ticket.id)
        list_url, list_label = url_for("supervisor.tickets"), _("Tickets")
    return render_sla_timeline(
        ticket, ticket_url=ticket_url, list_url=list_url, list_label=list_label
    )


@bp.route("/presence", methods=["POST"])
@roles_required("agent")
def presence():
    """Set the signed-in agent's presence; going online picks up waiting tickets at once."""
    form = PresenceForm()
    if not form.validate_on_submit():
        message = _("Choose online, away or offline.")
        return render_template("errors/error.html", status=400, message=message), 400
    now = datetime.now(UTC)
    status = form.status.data
    change = follow_the_sun.set_presence(db.session, current_user, status, now=now)
    flash(_presence_said()[status], "success")
    if change.handed_off:
        flash(
            ngettext(
                "%(num)d open ticket went to colleagues or back to the queue.",
                "%(num)d open tickets went to colleagues or back to the queue.",
                len(change.handed_off),
            ),
            "info",
        )
    if status == "online":
        mine = len(change.picked_up)
        if mine:
            flash(
                ngettext(
                    "%(num)d waiting ticket was assigned to you.",
                    "%(num)d waiting tickets were assigned to you.",
                    mine,
                ),
                "info",
            )
        if not _on_shift(current_user, now):
            flash(_("You are off shift: new tickets come to you during your shifts."), "info")
    return redirect(safe_next(form.next.data) or url_for("agent.queue"))


def _presence_said() -> dict[str, str]:
    return {
        "online": _("You are online."),
        "away": _("You are away: no new tickets come to you."),
        "offline": _("You are offline: your open tickets go to colleagues on shift."),
    }


def _on_shift(agent: User, now: datetime) -> bool:
    site = agent.site
    calendar = routing.shift_calendar(
        site.timezone if site else None,
        site.shifts if site else None,
        site.holidays if site else None,
        agent.shift_override,
    )
    return calendar is not None and calendar.is_open(now)
