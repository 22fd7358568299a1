"""Tenant scoping: the one place that decides which tickets and clients a user may see."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, false, select, true
from sqlalchemy.orm import Session

from helpdesk.models import ID_MAX, Client, Message, Ticket, User, agent_clients


def served_client_ids(user: User) -> Select:
    """A subquery of the client ids an agent serves."""
    return select(agent_clients.c.client_id).where(agent_clients.c.user_id == user.id)


def ticket_visibility(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting exactly the tickets `user` may see."""
    if user is None or not user.is_authenticated or not user.active:
        return false()
    if user.role == "admin":
        return true()
    if user.role == "supervisor":
        return Ticket.client_id == user.client_id
    if user.role == "customer":
        return (Ticket.requester_id == user.id) & (Ticket.client_id == user.client_id)
    if user.role == "agent":
        if user.serves_all_clients:
            return true()
        return Ticket.client_id.in_(served_client_ids(user))
    return false()


def visible_tickets(user: User) -> Select[tuple[Ticket]]:
    """SELECT of the tickets the user may see."""
    return select(Ticket).where(ticket_visibility(user))


def get_visible_ticket(session: Session, user: User, ticket_id: object) -> Ticket | None:
    """The ticket if it exists and the user may see it, else None (callers answer 404)."""
    if not isinstance(ticket_id, int) or isinstance(ticket_id, bool):
        return None
    if not 0 < ticket_id <= ID_MAX:  # INTEGER columns: larger ids cannot exist (PG would raise)
        return None
    return session.scalar(visible_tickets(user).where(Ticket.id == ticket_id))


def thread_visibility(*, staff: bool) -> ColumnElement[bool]:
    """A WHERE clause for the messages of a thread as a reader sees it: internal ones (notes,
    held e-mail replies) only for staff, and held replies in nobody's thread (staff review
    them apart: services.held_replies)."""
    shown = Message.held.is_(False)
    return shown if staff else shown & Message.internal.is_(False)


def client_visibility(user: User) -> ColumnElement[bool]:
    """A WHERE clause selecting the clients whose data the user may see."""
    if user is None or not user.is_authenticated or not user.active:
        return false()
    if user.role == "admin" or (user.role == "agent" and user.serves_all_clients):
        return true()
    if user.role == "agent":
        return Client.id.in_(served_client_ids(user))
    return Client.id == user.client_id


def get_visible_client(session: Session, user: User, slug: str) -> Client | None:
    """The client by slug if the user may see its data, else None."""
    return session.scalar(select(Client).where(Client.slug == slug, client_visibility(user)))


def visible_clients(session: Session, user: User) -> list[Client]:
    """The clients the user may see, by name."""
    return list(
        session.scalars(select(Client).where(client_visibility(user)).order_by(Client.name))
    )


def agent_serves(user: User, client_id: int) -> bool:
    """Whether an agent may work tickets of the client."""
    if user.role != "agent":
        return False
    return user.serves_all_clients or any(c.id == client_id for c in user.served_clients)


def is_staff_of(user: User, ticket: Ticket) -> bool:
    """Whether the user works this ticket as provider staff (agent serving it, or admin)."""
    return user.role == "admin" or agent_serves(user, ticket.client_id)


__all__ = [
    "agent_serves",
    "client_visibility",
    "get_visible_client",
    "get_visible_ticket",
    "is_staff_of",
    "thread_visibility",
    "ticket_visibility",
    "visible_clients",
    "visible_tickets",
]
