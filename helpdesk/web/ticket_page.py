"""The ticket page's pieces that agents' and supervisors' pages share: thread, event log with
names, SLA clocks and timeline, site names, language names."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from babel import Locale, UnknownLocaleError
from flask import render_template
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from helpdesk.extensions import db
from helpdesk.models import Message, Site, SlaClock, Ticket, TicketEvent, TicketRead, User
from helpdesk.services.scope import thread_visibility
from helpdesk.services.sla_report import SLA_EVENT_KINDS, build_timeline, countdown_state
from helpdesk.web.forms import PRIORITY_LABELS, STATUS_LABELS

# Event data keys that hold user ids, per event kind, so the log can show names.
USER_ID_KEYS = ("old", "new", "agent_id", "from_agent_id", "to_agent_id")


def staff_page_context() -> dict:
    """What staff templates share: the viewer, status and priority labels, SLA helpers."""
    viewer = current_user if current_user.is_authenticated else None
    return {
        "viewer": viewer,
        "status_labels": STATUS_LABELS,
        "priority_labels": PRIORITY_LABELS,
        **sla_context(),
    }


def sla_context() -> dict:
    """What SLA templates need: one `now` per page and the countdown state function."""
    return {"now": datetime.now(UTC), "sla_state": countdown_state}


def language_name(code: str | None) -> str:
    """A locale code as a language name in the viewer's language ("ja" -> "Japanese")."""
    if not code:
        return ""
    try:
        return Locale.parse(code).get_display_name(get_locale()) or code
    except (UnknownLocaleError, ValueError, TypeError):
        return code


def thread_of(ticket: Ticket, *, internal: bool) -> list[Message]:
    """The ticket's messages oldest first, authors loaded; internal notes only if asked.

    Held e-mail replies are never in the thread: staff see them apart, to accept or discard
    (services.held_replies), and they are internal, so nobody else sees them at all.
    """
    stmt = select(Message).where(Message.ticket_id == ticket.id, thread_visibility(staff=internal))
    stmt = stmt.options(joinedload(Message.author)).order_by(Message.id)
    return list(db.session.scalars(stmt))


def events_of(ticket: Ticket, *, skip: tuple[str, ...] = ()) -> tuple[list[TicketEvent], dict]:
    """The ticket's event log oldest first, and the names of the users its data mentions.

    Steps of one routing decision are shown once: the `assigned` event routing records
    beside its `routed` event, and the `routed` event beside a `handed_off` one, are left out.
    """
    stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket.id)
    if skip:
        stmt = stmt.where(TicketEvent.kind.not_in(skip))
    events = _without_repeats(
        list(
            db.session.scalars(stmt.options(joinedload(TicketEvent.actor)).order_by(TicketEvent.id))
        )
    )
    ids = set()
    for event in events:
        if event.kind not in ("assigned", "handed_off", "routed"):
            continue
        data = event.data or {}
        params = data.get("params") if isinstance(data.get("params"), dict) else {}
        for value in [data.get(key) for key in USER_ID_KEYS] + [
            params.get("agent_id"),
            params.get("next_agent_id"),
        ]:
            if isinstance(value, int) and not isinstance(value, bool):
                ids.add(value)
    names = {}
    if ids:
        names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all())
    return events, names


ROUTING_WHYS = ("created", "pickup", "handoff")


def _without_repeats(events: list[TicketEvent]) -> list[TicketEvent]:
    """The log without the events that repeat a routing decision shown by another event."""
    handed_off_at = {e.at for e in events if e.kind == "handed_off"}
    routed_at = {e.at for e in events if e.kind == "routed"}
    kept = []
    for event in events:
        why = (event.data or {}).get("why")
        if event.kind == "routed" and why == "handoff" and event.at in handed_off_at:
            continue
        if (
            event.kind == "assigned"
            and event.actor_id is None
            and why in ROUTING_WHYS
            and event.at in routed_at
        ):
            continue
        kept.append(event)
    return kept


def site_names_of(events: list[TicketEvent], *, also: Iterable[str] = ()) -> dict[str, str]:
    """Site slug -> name for the sites routing events mention and those in `also` (one query)."""
    slugs = set(also)
    for event in events:
        params = (event.data or {}).get("params")
        site = params.get("site") if isinstance(params, dict) else None
        if event.kind in ("routed", "handed_off") and isinstance(site, str):
            slugs.add(site)
    return names_of_sites(slugs)


def read_by_requester(ticket: Ticket) -> int:
    """The furthest message id the customer has read on the ticket (0 if none)."""
    return (
        db.session.scalar(
            select(TicketRead.message_id).where(
                TicketRead.ticket_id == ticket.id, TicketRead.user_id == ticket.requester_id
            )
        )
        or 0
    )


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


def names_of_sites(slugs: set[str]) -> dict[str, str]:
    """Site slug -> name for the given slugs (one query, or none)."""
    if not slugs:
        return {}
    return dict(db.session.execute(select(Site.slug, Site.name).where(Site.slug.in_(slugs))).all())
