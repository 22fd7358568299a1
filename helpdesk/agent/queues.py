"""The agent queue's views as SQL: my open work, tickets waiting for me, and everything."""

from __future__ import annotations

from sqlalchemy import ColumnElement, case, func, or_, select, true
from sqlalchemy.orm import Session

from helpdesk.models import ACTIVE_STATUSES, OPEN_STATUSES, AgentLanguage, AgentSkill, Ticket, User
from helpdesk.services.scope import ticket_visibility

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
