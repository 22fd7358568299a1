"""Socket.IO handlers (namespace "/"): thin, permission-checked, answering through the ack.

Every client event answers `{"ok": true, ...}` or `{"ok": false, "error": {"code",
"message"}}`. Messages are stored (and committed) before anyone is told of them. A socket
whose session record or API token has ended is answered `unauthorized` and closed.
"""

from __future__ import annotations

import functools
import time
from datetime import UTC, datetime

from flask import current_app, request, session
from flask_babel import gettext as _
from flask_socketio import ConnectionRefusedError, disconnect, emit, join_room, leave_room
from sqlalchemy import select

from helpdesk.extensions import db, socketio
from helpdesk.i18n import Number
from helpdesk.models import ID_MAX, PRESENCE, Message
from helpdesk.notify import rooms
from helpdesk.realtime import linewriter
from helpdesk.realtime.auth import (
    SignedOut,
    authenticate,
    chat_context,
    require_live,
    socket_scope,
    socket_user,
    valid_id,
)
from helpdesk.realtime.limits import SocketLimits
from helpdesk.serializers import message_json
from helpdesk.services import follow_the_sun, receipts, sessions
from helpdesk.services.errors import ServiceError
from helpdesk.services.scope import thread_visibility
from helpdesk.services.tickets import BODY_MAX, add_message

limits = SocketLimits()  # RATELIMIT_CHAT_LINES, RATELIMIT_CHAT_TYPING, RATELIMIT_CHAT_READS
REPLAY_MAX = 500


def ok(**data) -> dict:
    """A successful ack."""
    return {"ok": True, **data}


def fail(code: str, message: str, **extra) -> dict:
    """A refused ack."""
    return {"ok": False, "error": {"code": code, "message": str(message), **extra}}


def _ticket_id(payload: object):
    if not isinstance(payload, dict):
        return None
    value = payload.get("ticket_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


# Events that check the socket's session record or token themselves (the chat fast path
# inside its one SELECT); every other event checks it before its handler runs.
CHECKED_INSIDE = frozenset(
    {"connect", "disconnect", "join_ticket", "send_message", "typing", "read", "set_status"}
)


def on(event: str):
    """Register a handler like socketio.on, first dropping the request's routing error.

    Flask-SocketIO runs each event in a request context for the connection's URL
    (/socket.io/), which matches no route. Flask keeps the NotFound on the request, and
    its traceback holds the request context: a reference cycle of a hundred-odd objects
    per event, left for the garbage collector, whose passes then stalled every socket of
    the worker for 30 ms and more (bench/chat.py). Without the error it is freed at once.
    """

    def register(handler):
        @functools.wraps(handler)
        def run(*args):
            request.routing_exception = None
            try:
                if event not in CHECKED_INSIDE:
                    require_live()
                answer = handler(*args)
            except SignedOut:
                db.session.rollback()
                disconnect()
                return fail("unauthorized", _("You are signed out. Sign in again."))
            if event != "disconnect":
                _note_activity()
            return answer

        return socketio.on(event)(run)

    return register


SEEN_EVERY = 60.0  # seconds: an agent's socket activity is written at most this often
SEEN_KEY = "socket_seen_at"


def _note_activity() -> None:
    """An agent's socket event is activity (idle agents become away); written once a minute.

    The socket's own session remembers the last write, so most events cost a dict lookup.
    """
    scope = socket_scope()
    if scope is None or scope.role != "agent":
        return
    now = time.monotonic()
    if now - session.get(SEEN_KEY, -SEEN_EVERY) < SEEN_EVERY:
        return
    session[SEEN_KEY] = now
    follow_the_sun.seen(db.session, scope.id, now=datetime.now(UTC))


def _limited(event: str):
    wait = limits.check(request.sid, event, current_app.config)
    if wait:
        return fail("rate_limited", _("Too many messages; slow down."), retry_after=round(wait, 1))
    return None


@on("connect")
def on_connect(auth=None):
    """Authenticate once, record the socket; join the user's own room and their audience's.

    The socket is recorded before its grant is checked again: an ending committed in between
    either finds the socket's row (and disconnects it) or is seen here.
    """
    user, session_id, token_id = authenticate(auth)
    now = datetime.now(UTC)
    sessions.socket_opened(
        db.session,
        request.sid,
        user_id=user.id,
        session_id=session_id,
        token_id=token_id,
        now=now,
    )
    if not sessions.grant_live(db.session, session_id=session_id, token_id=token_id, now=now):
        sessions.socket_closed(db.session, request.sid)
        raise ConnectionRefusedError("unauthorized")
    join_room(rooms.user_room(user.id))
    if user.role in ("agent", "admin"):
        join_room(rooms.agents_room())
        # Queue feeds carry ticket data: only of the clients this user may see.
        if user.role == "admin" or user.serves_all_clients:
            join_room(rooms.all_queues_room())
        else:
            for client in user.served_clients:
                join_room(rooms.client_queue_room(client.id))
    elif user.role == "supervisor":
        join_room(rooms.supervisors_room(user.client_id))
    db.session.rollback()  # end the reads' transaction


@on("disconnect")
def on_disconnect(*_args):
    """Forget the socket: its record and its rate-limit state."""
    limits.forget(request.sid)
    sessions.socket_closed(db.session, request.sid)


@on("join_ticket")
def on_join_ticket(payload=None):
    """Follow a ticket: join its rooms and get its thread (or what came after `since_id`)."""
    context = chat_context(_ticket_id(payload))
    if context is None:
        return fail("not_found", _("Not found."))
    ticket, staff = context.ticket, context.staff
    since = payload.get("since_id", 0)
    if since is None:
        since = 0
    if not isinstance(since, int) or isinstance(since, bool) or since < 0:
        return fail("validation_error", _("since_id must be a message id."))
    join_room(rooms.ticket_room(ticket.id))
    if staff:
        join_room(rooms.ticket_staff_room(ticket.id))
    stmt = select(Message).where(
        Message.ticket_id == ticket.id, Message.id > since, thread_visibility(staff=staff)
    )
    messages = db.session.scalars(stmt.order_by(Message.id).limit(REPLAY_MAX)).all()
    return ok(
        ticket_id=ticket.id,
        messages=[message_json(m) for m in messages],
        more=len(messages) == REPLAY_MAX,
    )


@on("leave_ticket")
def on_leave_ticket(payload=None):
    """Stop following a ticket."""
    ticket_id = _ticket_id(payload)
    if ticket_id is None:
        return fail("validation_error", _("ticket_id must be a ticket id."))
    leave_room(rooms.ticket_room(ticket_id))
    leave_room(rooms.ticket_staff_room(ticket_id))
    return ok()


@on("send_message")
def on_send_message(payload=None):
    """Store a chat line (once per client_msg_id), then it is pushed to the ticket's room.

    With CHAT_GROUP_COMMIT (the default outside tests) the process's line writer stores
    it together with the lines other sockets sent meanwhile (realtime/linewriter.py); it
    makes the same checks in the same order, and hands back what it cannot decide alone.
    """
    if not isinstance(payload, dict):
        return fail("not_found", _("Not found."))
    ticket_id, msg_id = payload.get("ticket_id"), payload.get("client_msg_id")
    writer = linewriter.writer_for(current_app._get_current_object(), limits)
    scope = socket_scope()
    if writer is not None and scope is not None and valid_id(ticket_id) and isinstance(msg_id, str):
        line = linewriter.Line(
            scope=scope,
            sid=request.sid,
            ticket_id=ticket_id,
            body=payload.get("body"),
            client_msg_id=msg_id,
            internal=payload.get("internal", False),
            invalid=_invalid_line(payload),
        )
        answer = _answer(writer.submit(line))
        if answer is not None:
            return answer
    context = chat_context(ticket_id, msg_id)
    if context is None:
        return fail("not_found", _("Not found."))
    refused = linewriter.refusal(limits, request.sid, _invalid_line(payload), current_app.config)
    if refused is not None:
        return _answer(refused)
    try:
        message = add_message(
            db.session,
            ticket=context.ticket,
            author=context.user,
            body=payload.get("body"),
            internal=payload.get("internal", False),
            channel="chat",
            client_msg_id=msg_id,
            now=datetime.now(UTC),
            staff=context.staff,
            prior=context.prior,
        )
    except ServiceError as exc:
        db.session.rollback()
        return fail(exc.code, exc.message, fields=exc.fields)
    return ok(message=message_json(message))


def _invalid_line(payload: dict) -> dict | None:
    """The refusal of a malformed chat line (checked after the ticket and the rate limit)."""
    body, msg_id = payload.get("body"), payload.get("client_msg_id")
    if isinstance(body, str) and len(body) > BODY_MAX:
        return fail(
            "too_long", _("A message has at most %(limit)s characters.", limit=Number(BODY_MAX))
        )
    if not isinstance(msg_id, str) or not msg_id:
        return fail("validation_error", _("client_msg_id is required."))
    if not isinstance(payload.get("internal", False), bool):
        return fail("validation_error", _("internal must be true or false."))
    return None


def _answer(outcome: linewriter.Outcome) -> dict | None:
    """The ack for what the line writer did; None leaves the line to the handler."""
    if outcome.slow:
        return None
    if outcome.crashed:
        # Answered server_error by on_error (logged); a resend with the same id is safe.
        raise RuntimeError("chat line not stored")
    if outcome.wait:
        return fail(
            "rate_limited", _("Too many messages; slow down."), retry_after=round(outcome.wait, 1)
        )
    if outcome.invalid is not None:
        return outcome.invalid
    if outcome.error is not None:
        exc = outcome.error
        return fail(exc.code, exc.message, fields=exc.fields)
    return ok(message=outcome.message)


@on("typing")
def on_typing(payload=None):
    """Tell the others in the ticket's room that this user is typing (no ack)."""
    context = chat_context(_ticket_id(payload))
    if context is None or _limited("typing"):
        return None
    user, ticket = context.user, context.ticket
    emit(
        "typing",
        {"ticket_id": ticket.id, "user": {"id": user.id, "name": user.name}},
        to=rooms.ticket_room(ticket.id),
        include_self=False,
    )
    return None


@on("read")
def on_read(payload=None):
    """Record how far this user has read, and tell the ticket's room."""
    context = chat_context(_ticket_id(payload))
    if context is None:
        return fail("not_found", _("Not found."))
    user, ticket = context.user, context.ticket
    limited = _limited("read")
    if limited:
        return limited
    message_id = payload.get("message_id")
    message = (
        db.session.get(Message, message_id)
        if isinstance(message_id, int)
        and not isinstance(message_id, bool)
        and 0 < message_id <= ID_MAX
        else None
    )
    if (
        message is None
        or message.ticket_id != ticket.id
        or (message.internal and not context.staff)
    ):
        return fail("not_found", _("Not found."))
    receipts.mark_read(db.session, user=user, message=message, now=datetime.now(UTC))
    room = rooms.ticket_staff_room(ticket.id) if message.internal else rooms.ticket_room(ticket.id)
    emit(
        "read",
        {
            "ticket_id": ticket.id,
            "message_id": message.id,
            "user": {"id": user.id, "name": user.name},
        },
        to=room,
    )
    return ok()


@on("set_status")
def on_set_status(payload=None):
    """An agent goes online, away or offline (going online picks up waiting tickets)."""
    user = socket_user()
    if user is None or user.role != "agent":
        return fail("forbidden", _("Only agents have a presence status."))
    status = payload.get("status") if isinstance(payload, dict) else None
    if status not in PRESENCE:
        return fail("validation_error", _("status must be online, away or offline."))
    now = datetime.now(UTC)
    follow_the_sun.set_presence(db.session, user, status, now=now)
    return ok(status=status)


@on("activity")
def on_activity(payload=None):
    """The page saw the agent at work (keys, pointer, scrolling): they are not idle."""
    return ok()


@socketio.on_error_default
def on_error(exc):
    """An unexpected failure answers like any refusal and is logged, never a dropped ack."""
    current_app.logger.exception("socket event failed", exc_info=exc)
    db.session.rollback()
    return fail("server_error", _("Something went wrong on our side. It has been logged."))
