"""The agent queue's views as SQL (my open work, tickets waiting for me, and everything) and its
pages as rows of the shown columns, with a total counted up to a cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Select, case, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from helpdesk.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    AgentLanguage,
    AgentSkill,
    Client,
    Site,
    Ticket,
    User,
)
from helpdesk.services.scope import ticket_visibility
from helpdesk.services.totals import COUNT_CAP, capped_total

VIEWS = ("mine", "waiting", "all")


def _same_language(spoken, locale) -> ColumnElement[bool]:
    """SQL: two normalised locale codes share their language ("pt" / "pt_PT" / "pt_BR").

    Language subtags are two or three letters (`normalize_locale`), so with a "_" appended
    the language ends at the third or the fourth character of both codes.
    """
    a, b = spoken + "_", locale + "_"
    return or_(
        (func.substr(b, 3, 1) == "_") & (func.substr(a, 1, 3) == func.substr(b, 1, 3)),
        (func.substr(b, 4, 1) == "_") & (func.substr(a, 1, 4) == func.substr(b, 1, 4)),
    )


def speaks_ticket_locale(agent: User) -> ColumnElement[bool]:
    """SQL: the agent speaks the ticket's locale exactly or its language (domain language_fit)."""
    spoken = AgentLanguage.language
    return (
        select(AgentLanguage.user_id)
        .where(
            AgentLanguage.user_id == agent.id,
            or_(spoken == Ticket.locale, _same_language(spoken, Ticket.locale)),
        )
        .correlate(Ticket)
        .exists()
    )


def has_ticket_skill(agent: User) -> ColumnElement[bool]:
    """SQL: the ticket has no category, or the agent has it as a skill."""
    skilled = (
        select(AgentSkill.user_id)
        .where(AgentSkill.user_id == agent.id, AgentSkill.skill == Ticket.category)
        .correlate(Ticket)
        .exists()
    )
    return or_(Ticket.category.is_(None), skilled)


def mine(agent: User) -> ColumnElement[bool]:
    """SQL: tickets assigned to the agent."""
    return Ticket.assignee_id == agent.id


def waiting_for(agent: User) -> ColumnElement[bool]:
    """SQL: unassigned new or open tickets the agent could take (client, language, skill).

    The client condition comes from `ticket_visibility`, which callers apply anyway.
    """
    return (
        Ticket.assignee_id.is_(None)
        & Ticket.status.in_(ACTIVE_STATUSES)
        & speaks_ticket_locale(agent)
        & has_ticket_skill(agent)
    )


def view_clause(view: str, agent: User) -> ColumnElement[bool]:
    """SQL for one of VIEWS (the client scope is not part of it)."""
    if view == "mine":
        return mine(agent)
    if view == "waiting":
        return waiting_for(agent)
    return true()


def view_counts(session: Session, agent: User) -> dict[str, int]:
    """Open work per tab, in one query: {"mine": n, "waiting": m}."""
    mine_open = mine(agent) & Ticket.status.in_(OPEN_STATUSES)
    row = session.execute(
        select(
            func.coalesce(func.sum(case((mine_open, 1), else_=0)), 0),
            func.coalesce(func.sum(case((waiting_for(agent), 1), else_=0)), 0),
        ).where(ticket_visibility(agent), Ticket.status.in_(OPEN_STATUSES))
    ).one()
    return {"mine": int(row[0]), "waiting": int(row[1])}


@dataclass(slots=True)
class Named:
    """Someone or something a queue row names: client, requester, assignee, site."""

    name: str
    presence: str | None = None


@dataclass(slots=True)
class QueueRow:
    """What one queue row shows of a ticket, and nothing else (no body, no routing note)."""

    id: int
    reference: str
    subject: str
    status: str
    priority: str
    channel: str
    locale: str
    category: str | None
    assignee_id: int | None
    expected_pickup_at: datetime | None
    created_at: datetime
    updated_at: datetime
    client: Named
    requester: Named
    assignee: Named | None
    site: Named | None

    @property
    def is_open(self) -> bool:
        """Whether the ticket still needs work."""
        return self.status in OPEN_STATUSES


_requester = aliased(User, name="requester")
_assignee = aliased(User, name="assignee")
_ROW_COLUMNS = (
    Ticket.id,
    Ticket.number,
    Ticket.subject,
    Ticket.status,
    Ticket.priority,
    Ticket.channel,
    Ticket.locale,
    Ticket.category,
    Ticket.assignee_id,
    Ticket.expected_pickup_at,
    Ticket.created_at,
    Ticket.updated_at,
    Client.slug.label("client_slug"),
    Client.name.label("client_name"),
    _requester.name.label("requester_name"),
    _assignee.name.label("assignee_name"),
    _assignee.presence.label("assignee_presence"),
    Site.name.label("site_name"),
)


def queue_rows(session: Session, stmt: Select, *, offset: int, limit: int) -> list[QueueRow]:
    """One page of `stmt` (a filtered, ordered ticket SELECT) as the rows the queue shows.

    The page's ids come first (the sort handles ids, not whole rows), then their shown
    columns and names in one select: two statements whatever the page size.
    """
    ids = list(session.scalars(stmt.with_only_columns(Ticket.id).offset(offset).limit(limit)))
    if not ids:
        return []
    found = session.execute(
        select(*_ROW_COLUMNS)
        .join(Client, Client.id == Ticket.client_id)
        .join(_requester, _requester.id == Ticket.requester_id)
        .outerjoin(_assignee, _assignee.id == Ticket.assignee_id)
        .outerjoin(Site, Site.id == Ticket.site_id)
        .where(Ticket.id.in_(ids))
    ).all()
    by_id = {row.id: row for row in found}
    return [_queue_row(by_id[i]) for i in ids if i in by_id]


def _queue_row(row) -> QueueRow:
    return QueueRow(
        id=row.id,
        reference=f"{row.client_slug.upper()}-{row.number}",
        subject=row.subject,
        status=row.status,
        priority=row.priority,
        channel=row.channel,
        locale=row.locale,
        category=row.category,
        assignee_id=row.assignee_id,
        expected_pickup_at=row.expected_pickup_at,
        created_at=row.created_at,
        updated_at=row.updated_at,
        client=Named(row.client_name),
        requester=Named(row.requester_name),
        assignee=(Named(row.assignee_name, row.assignee_presence) if row.assignee_id else None),
        site=Named(row.site_name) if row.site_name is not None else None,
    )


class QueuePage(Pagination):
    """A page of queue rows; the total is exact up to COUNT_CAP, past it at least that."""

    total_exact: bool = True

    def _query_items(self) -> list[QueueRow]:
        args = self._query_args
        offset = (self.page - 1) * self.per_page
        return queue_rows(args["session"], args["select"], offset=offset, limit=self.per_page)

    def _query_count(self) -> int:
        total = capped_total(self._query_args["session"], self._query_args["select"])
        self.total_exact = total.exact
        # Past the cap the page says "10,000+", not an estimate that reads like a count.
        return total.value if total.exact else COUNT_CAP

    @property
    def pages(self) -> int:
        """Pages to offer: past an inexact total, one more while this page is full."""
        counted = super().pages
        if self.total_exact:
            return counted
        return max(counted, self.page + (len(self.items) == self.per_page))


def queue_page(session: Session, stmt: Select, *, page: int, per_page: int) -> QueuePage:
    """Page `page` of the queue's filtered, ordered ticket SELECT, or its last page if past it."""
    found = QueuePage(page=page, per_page=per_page, error_out=False, session=session, select=stmt)
    if not found.items and page > 1 and found.pages:
        found = QueuePage(
            page=found.pages, per_page=per_page, error_out=False, session=session, select=stmt
        )
    return found
