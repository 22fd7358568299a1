"""The agent queue's views as SQL (my open work, tickets waiting for me, and everything) and its
pages as rows of the shown columns, with a total counted up to a cap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import ColumnElement, Row, Select, bindparam, case, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from helpdesk.models import (
    ACTIVE_STATUSES,
    OPEN_STATUSES,
    AgentLanguage,
    AgentSkill,
    Client,
    Site,
    SlaClock,
    Ticket,
    User,
)
from helpdesk.models.types import likely
from helpdesk.services.scope import ticket_visibility
from helpdesk.services.sla_report import live_clause, pressing_clock
from helpdesk.services.totals import COUNT_CAP, Total, capped_total

VIEWS = ("mine", "waiting", "all")


def _language_part(code, width: int) -> ColumnElement[str]:
    """SQL: the first `width` characters of a locale code with "_" appended ("pt_", "pt_B")."""
    return func.substr(code + "_", 1, width)


def speaks_ticket_locale(agent: User) -> ColumnElement[bool]:
    """SQL: the agent speaks the ticket's locale exactly or its language (domain language_fit).

    Language subtags are two or three letters (`normalize_locale`), so with a "_" appended a
    code's language ends at its third or fourth character: "pt_BR" shares "pt_" with "pt".
    The agent's languages are read once per statement (uncorrelated subqueries), not once
    per ticket.
    """
    spoken = select(AgentLanguage.language).where(AgentLanguage.user_id == agent.id)
    return or_(
        Ticket.locale.in_(spoken),
        *(
            _language_part(Ticket.locale, width).in_(
                spoken.with_only_columns(_language_part(AgentLanguage.language, width)).where(
                    func.substr(AgentLanguage.language + "_", width, 1) == "_"
                )
            )
            for width in (3, 4)
        ),
    )


def has_ticket_skill(agent: User) -> ColumnElement[bool]:
    """SQL: the ticket has no category, or the agent has it as a skill."""
    skills = select(AgentSkill.skill).where(AgentSkill.user_id == agent.id)
    return or_(Ticket.category.is_(None), Ticket.category.in_(skills))


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


def queue_tickets(agent: User, view: str) -> Select:
    """SELECT of the tickets of one of VIEWS that the agent may see.

    "All" is most of the agent's clients' tickets, and the planner is told so (`likely`): it
    then reads a page from the order's index rather than sorting all those tickets. The
    other views are narrow (an assignee's, the unassigned) and read their own indexes.
    """
    visible = ticket_visibility(agent)
    return select(Ticket).where(
        likely(visible) if view == "all" else visible, view_clause(view, agent)
    )


# The tab counts' statement per agent. Its SQL depends on these attributes of the agent only
# (clients, languages and skills are subqueries), and SQLAlchemy's cache key of a statement
# with five subqueries, computed afresh for a new statement, costs more than running it.
_COUNTS_OF: dict[tuple, Select] = {}
_COUNTS_KEPT = 1024


def _counts_select(agent: User) -> Select:
    key = (agent.id, agent.role, agent.active, agent.serves_all_clients)
    stmt = _COUNTS_OF.get(key)
    if stmt is None:
        if len(_COUNTS_OF) >= _COUNTS_KEPT:
            _COUNTS_OF.clear()
        mine_open = mine(agent) & Ticket.status.in_(OPEN_STATUSES)
        stmt = _COUNTS_OF[key] = select(
            func.coalesce(func.sum(case((mine_open, 1), else_=0)), 0),
            func.coalesce(func.sum(case((waiting_for(agent), 1), else_=0)), 0),
            func.count(),
        ).where(ticket_visibility(agent), Ticket.status.in_(OPEN_STATUSES))
    return stmt


def view_counts(session: Session, agent: User) -> dict[str, int]:
    """Open work per view, in one query: {"mine": n, "waiting": m, "all": every open ticket}.

    Each is also the total of its view without filters, so that page needs no count of its own.
    """
    row = session.execute(_counts_select(agent)).one()
    return {"mine": int(row[0]), "waiting": int(row[1]), "all": int(row[2])}


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


# Built once: a statement's cache key is worked out per statement object, and these differ
# per page only in their ids.
_ROWS_OF_IDS = (
    select(*_ROW_COLUMNS)
    .join(Client, Client.id == Ticket.client_id)
    .join(_requester, _requester.id == Ticket.requester_id)
    .outerjoin(_assignee, _assignee.id == Ticket.assignee_id)
    .outerjoin(Site, Site.id == Ticket.site_id)
    .where(Ticket.id.in_(bindparam("ids", expanding=True)))
)


def queue_rows(session: Session, stmt: Select, *, offset: int, limit: int) -> list[QueueRow]:
    """One page of `stmt` (a filtered, ordered ticket SELECT) as the rows the queue shows.

    The page's ids come first (the sort handles ids, not whole rows), then their shown
    columns and names in one select: two statements whatever the page size.
    """
    ids = list(session.scalars(stmt.with_only_columns(Ticket.id).offset(offset).limit(limit)))
    if not ids:
        return []
    found = session.execute(_ROWS_OF_IDS, {"ids": ids}).all()
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


# What a row's SLA cell reads of a clock (pressing_clock and countdown_state need no more).
_CLOCK_COLUMNS = (
    SlaClock.id,
    SlaClock.ticket_id,
    SlaClock.metric,
    SlaClock.state,
    SlaClock.started_at,
    SlaClock.paused_since,
    SlaClock.warn_at,
    SlaClock.due_at,
    SlaClock.fulfilled_at,
)


_LIVE_CLOCKS_OF_IDS = (
    select(*_CLOCK_COLUMNS)
    .where(SlaClock.ticket_id.in_(bindparam("ids", expanding=True)), live_clause())
    .order_by(SlaClock.id)
)


def pressing_clocks(session: Session, ticket_ids: list[int]) -> dict[int, Row]:
    """Each ticket's most pressing live clock (`pressing_clock`), as rows of the shown columns.

    One select for the page, and plain rows rather than clock objects the page never changes.
    """
    if not ticket_ids:
        return {}
    live: dict[int, list[Row]] = {}
    for clock in session.execute(_LIVE_CLOCKS_OF_IDS, {"ids": sorted(set(ticket_ids))}):
        live.setdefault(clock.ticket_id, []).append(clock)
    return {ticket_id: pressing_clock(clocks) for ticket_id, clocks in live.items()}


class QueuePage(Pagination):
    """A page of queue rows; the total is exact up to COUNT_CAP, past it at least that."""

    total_exact: bool = True

    def _query_items(self) -> list[QueueRow]:
        args = self._query_args
        offset = (self.page - 1) * self.per_page
        return queue_rows(args["session"], args["select"], offset=offset, limit=self.per_page)

    def _query_count(self) -> int:
        known = self._query_args["total"]
        if known is None:
            total = capped_total(self._query_args["session"], self._query_args["select"])
        else:
            total = Total(known, exact=known <= COUNT_CAP)
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


def queue_page(
    session: Session, stmt: Select, *, page: int, per_page: int, total: int | None = None
) -> QueuePage:
    """Page `page` of the queue's filtered, ordered ticket SELECT, or its last page if past it.

    `total`, when the caller knows how many tickets `stmt` matches, spares counting them.
    """
    args = {"session": session, "select": stmt, "total": total}
    found = QueuePage(page=page, per_page=per_page, error_out=False, **args)
    if not found.items and page > 1 and found.pages:
        found = QueuePage(page=found.pages, per_page=per_page, error_out=False, **args)
    return found
