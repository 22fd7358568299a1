"""Who is on a socket: authenticated once at connect, looked up again for each event.

A socket lives on what it was opened with, a browser's session record or an API token:
every event checks that it is still live (the chat fast path inside its one SELECT), so a
socket whose disconnect was missed is refused and closed at its next event.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import session
from flask_login import current_user
from flask_socketio import ConnectionRefusedError
from sqlalchemy import Select, and_, bindparam, exists, select

from helpdesk.extensions import db
from helpdesk.models import ID_MAX, ApiToken, Message, Ticket, User, UserSession
from helpdesk.services import sessions
from helpdesk.services.auth import token_for
from helpdesk.services.scope import get_visible_ticket, is_staff_of, ticket_visibility
from helpdesk.web import browser_session

SESSION_KEY = "socket_user_id"
SCOPE_KEY = "socket_user_scope"
GRANT_KEY = "socket_grant"  # [session record id, API token id]: what the socket was opened with


class SignedOut(Exception):
    """The socket's session record or token has ended: refuse the event, close the socket."""


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
    session_id: Any = None  # the socket lives while this session record
    token_id: Any = None  # or this API token does

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


def authenticate(auth: object) -> tuple[User, int | None, int | None]:
    """The user of a new connection (session cookie or `auth={"token"}`) and the session
    record or token it lives on; else refuse it."""
    user, session_id, token_id = None, None, None
    if isinstance(auth, dict) and isinstance(auth.get("token"), str) and auth["token"]:
        if len(auth["token"]) <= 512:
            row = token_for(db.session, auth["token"], now=datetime.now(UTC))
            if row is not None:
                user, token_id = row.user, row.id
    elif current_user.is_authenticated:
        # The user loader accepted the cookie only with a live session record.
        record = browser_session.current_record()
        if record is not None:
            user, session_id = current_user._get_current_object(), record.id
    if user is None or not user.active:
        raise ConnectionRefusedError("unauthorized")
    # The socket has its own copy of the session: remember who connected, and on what.
    _remember(user)
    session[GRANT_KEY] = [session_id, token_id]
    return user, session_id, token_id


def _grant() -> tuple[int | None, int | None] | None:
    grant = session.get(GRANT_KEY)
    if not isinstance(grant, list) or len(grant) != 2 or grant == [None, None]:
        return None
    return grant[0], grant[1]


def require_live() -> None:
    """Raise SignedOut unless the socket's session record or token is still live."""
    grant = _grant()
    if grant is None or not sessions.grant_live(
        db.session, session_id=grant[0], token_id=grant[1], now=datetime.now(UTC)
    ):
        raise SignedOut


def socket_user() -> User | None:
    """The user who opened this socket, still active, or None; SignedOut if its session
    record or token has ended."""
    require_live()
    user_id = session.get(SESSION_KEY)
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    return user if user is not None and user.active else None


def socket_scope() -> Scope | None:
    """What the socket remembered of its user at connect (for context_for), or None."""
    user_id, scope, grant = session.get(SESSION_KEY), session.get(SCOPE_KEY), _grant()
    if not isinstance(user_id, int) or not isinstance(scope, list) or len(scope) != 3:
        return None
    if grant is None:
        return None
    return Scope(user_id, *scope, session_id=grant[0], token_id=grant[1])


def context_for(scope: Scope, ticket_id: int, msg_id: str | None = None) -> ChatContext | None:
    """The fast path of chat_context with the scope given: one SELECT, no socket needed.

    None when the user no longer matches the scope, may not see the ticket, or the socket's
    session record or token has ended; the caller then decides with chat_context (which
    also refreshes the remembered scope, and raises SignedOut for an ended one).
    """
    if scope.session_id is None and scope.token_id is None:
        return None
    stmt = _context_statement(
        scope.role,
        scope.client_id is None,
        scope.serves_all_clients,
        msg_id is not None,
        "session" if scope.session_id is not None else "token",
    )
    params = {
        "uid": scope.id,
        "cid": scope.client_id,
        "tid": ticket_id,
        "mid": msg_id,
        "gid": scope.session_id if scope.session_id is not None else scope.token_id,
        "now": datetime.now(UTC),
    }
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
def _context_statement(
    role: str, no_client: bool, serves_all: bool, with_prior: bool, grant: str
) -> Select:
    # Built once per shape and run with parameters: building it per event cost more than
    # running it. Only the role and flags shape the clause; ids are bound parameters.
    scope = Scope(bindparam("uid"), role, None if no_client else bindparam("cid"), serves_all)
    if grant == "session":
        live = exists().where(
            UserSession.id == bindparam("gid"),
            UserSession.user_id == User.id,
            UserSession.ended_at.is_(None),
        )
    else:
        live = exists().where(
            ApiToken.id == bindparam("gid"),
            ApiToken.user_id == User.id,
            ApiToken.expires_at > bindparam("now"),
        )
    same_user = and_(
        User.id == scope.id,
        User.active.is_(True),
        User.role == role,
        User.client_id.is_(None) if no_client else User.client_id == scope.client_id,
        User.serves_all_clients.is_(serves_all),
        live,
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
    must still have that role, client and active flag and the socket's session record or
    token must be live; if anything changed, the slow path (liveness, user, then ticket)
    decides and the remembered scope is refreshed. An ended one raises SignedOut.
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
