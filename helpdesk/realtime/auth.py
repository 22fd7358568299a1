"""Who is on a socket: authenticated once at connect, looked up again for each event."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError
from sqlalchemy import Select, and_, bindparam, select

from helpdesk.extensions import db
from helpdesk.models import ID_MAX, Message, Ticket, User
from helpdesk.services.auth import user_for_token
from helpdesk.services.scope import get_visible_ticket, is_staff_of, ticket_visibility

SESSION_KEY = "socket_user_id"
SCOPE_KEY = "socket_user_scope"


@dataclass(frozen=True)
class Scope:
    """What ticket visibility depends on, as the user was when last checked (never trusted alone:
    every query also requires the user row to still match it)."""

    id: Any
    role: str
    client_id: Any
    serves_all_clients: bool
    is_authenticated: bool = True
    active: bool = True

    @classmethod
    def of(cls, user: User) -> Scope:
        """The scope of a user as they are now."""
        return cls(user.id, user.role, user.client_id, bool(user.serves_all_clients))


@dataclass
class ChatContext:
    """The user, a ticket they may see, whether they work it as staff, and a prior message."""

    user: User
    ticket: Ticket
    staff: bool
    prior: Message | None


def _remember(user: User) -> None:
    session[SESSION_KEY] = user.id
    session[SCOPE_KEY] = [user.role, user.client_id, bool(user.serves_all_clients)]


def authenticate(auth: object) -> User:
    """The user of a new connection (session cookie or `auth={"token"}`), else refuse it."""
    user = None
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"]:
        if len(auth["token"]) <= 512:
            user = user_for_token(db.session, auth["token"], now=datetime.now(UTC))
    elif current_user.is_authenticated:
        user = current_user._get_current_object()
    if user is None or not user.active:
        raise ConnectionRefusedError("unauthorized")
    # The socket has its own copy of the session: remember who connected.
    _remember(user)
    return user


def socket_user() -> User | None:
    """The user who opened this socket, still active, or None."""
    user_id = session.get(SESSION_KEY)
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.active else None


def socket_scope() -> Scope | None:
    """What the socket remembered of its user at connect (for context_for), or None."""
    user_id, scope = session.get(SESSION_KEY), session.get(SCOPE_KEY)
    if not isinstance(user_id, int) or not isinstance(scope, list) or len(scope) != 3:
        return None
    return Scope(user_id, *scope)


def context_for(scope: Scope, ticket_id: int, msg_id: str | None = None) -> ChatContext | None:
    """The fast path of chat_context with the scope given: one SELECT, no socket needed.

    None when the user no longer matches the scope or may not see the ticket; the caller
    then decides with chat_context (which also refreshes the remembered scope).
    """
    stmt = _context_statement(
        scope.role, scope.client_id is None, scope.serves_all_clients, msg_id is not None
    )
    params = {"uid": scope.id, "cid": scope.client_id, "tid": ticket_id, "mid": msg_id}
    row = db.session.execute(stmt, params).first()
    if row is None:
        return None
    # Visible to an agent means served by them (the same clause as agent_serves).
    staff = scope.role in ("admin", "agent")
    return ChatContext(row[1], row[0], staff, row[2] if msg_id is not None else None)


def valid_id(value: object) -> bool:
    """A positive integer id (not a bool) in range for every database."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= ID_MAX


@functools.lru_cache(maxsize=64)
def _context_statement(role: str, no_client: bool, serves_all: bool, with_prior: bool) -> Select:
    # Built once per shape and run with parameters: building it per event cost more than
    # running it. Only the role and flags shape the clause; ids are bound parameters.
    scope = Scope(bindparam("uid"), role, None if no_client else bindparam("cid"), serves_all)
    same_user = and_(
        User.id == scope.id,
        User.active.is_(True),
        User.role == role,
        User.client_id.is_(None) if no_client else User.client_id == scope.client_id,
        User.serves_all_clients.is_(serves_all),
    )
    stmt = (
        select(Ticket, User)
        .join_from(Ticket, User, same_user)
        .where(Ticket.id == bindparam("tid"), ticket_visibility(scope))
    )
    if with_prior:
        stmt = stmt.add_columns(Message).outerjoin(
            Message,
            and_(
                Message.ticket_id == Ticket.id,
                Message.author_id == User.id,
                Message.client_msg_id == bindparam("mid"),
            ),
        )
    return stmt


def chat_context(ticket_id: object, client_msg_id: object = None) -> ChatContext | None:
    """The socket's active user and a ticket they may see, in one SELECT; None means 404.

    The same statement finds the message this user already stored with `client_msg_id`.
    The visibility clause is built from the role remembered at connect, and the user row
    must still have that role, client and active flag; if anything changed, the slow path
    (user, then ticket) decides and the remembered scope is refreshed.
    """
    if not valid_id(ticket_id):
        return None
    msg_id = client_msg_id if isinstance(client_msg_id, str) and client_msg_id else None
    scope = socket_scope()
    if scope is not None:
        context = context_for(scope, ticket_id, msg_id)
        if context is not None:
            return context
    user = socket_user()
    if user is None:
        return None
    _remember(user)
    ticket = get_visible_ticket(db.session, user, ticket_id)
    if ticket is None:
        return None
    prior = None
    if msg_id is not None:
        prior = db.session.scalar(
            select(Message).where(
                Message.ticket_id == ticket.id,
                Message.author_id == user.id,
                Message.client_msg_id == msg_id,
            )
        )
    return ChatContext(user, ticket, is_staff_of(user, ticket), prior)
