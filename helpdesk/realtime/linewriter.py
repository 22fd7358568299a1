"""Group commit for chat lines: one writer stores every line waiting, in one transaction.

A chat line costs the server little besides storing it, and most of storing is the
transaction: the ORM's flush plan, one INSERT per row, the commit. When lines arrive
faster than one transaction each can keep up with, the writer takes all the lines that
queued while it was busy and stores them together, each with its checks, events and SLA
clocks, then commits once; only then are they pushed and acknowledged (stored before
anyone is told). At a trickle every batch holds one line and nothing changes. Nothing is
flushed before the commit, and the batch's reads do not grow with its lines: a socket's
context on a ticket is read once, the earlier messages of its other lines in one SELECT,
every ticket's clocks in one more, held; so the lines of one ticket (a room's customer and
agent, say) cost one flush and four reads, not one each.

One writer per process (a greenlet under gevent, a thread under the threading server),
started with the first line. A line the fast checks cannot decide (the socket's
remembered scope no longer matches its user, or the ticket is not visible) comes back
`slow` and the event handler decides it the usual way. If the batch's commit fails, each
line is stored again in its own transaction, so one bad line never costs the others.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy import bindparam, select, tuple_
from sqlalchemy.orm import Session

from helpdesk.extensions import db, socketio
from helpdesk.models import Message, Ticket
from helpdesk.realtime.auth import ChatContext, Scope, context_for
from helpdesk.realtime.limits import SocketLimits
from helpdesk.serializers import message_json
from helpdesk.services import chat_rows, sla
from helpdesk.services.errors import ServiceError
from helpdesk.services.tickets import add_message, announce_message

log = logging.getLogger(__name__)

MAX_BATCH = 64  # lines per transaction at most: keeps one commit's write lock short
WAIT_SECONDS = 60.0  # then the handler answers server_error (a resend is deduplicated)
EXTENSION = "helpdesk_line_writer"


@dataclass
class Line:
    """One send_message event, with what the handler knew from the socket."""

    scope: Scope  # remembered at connect
    sid: str
    ticket_id: int
    body: object
    client_msg_id: str
    internal: bool
    invalid: dict | None = None  # the handler's refusal of a malformed payload, if any
    outcome: Outcome | None = None
    done: Any = None


@dataclass
class Outcome:
    """What became of a line: exactly one of the fields below says so."""

    slow: bool = False  # decide in the handler (context not found on the fast path)
    wait: float = 0.0  # rate limited: seconds until the socket may send again
    invalid: dict | None = None
    error: ServiceError | None = None
    crashed: bool = False
    message: dict | None = None  # the stored (or earlier) message's JSON


def refusal(
    limits: SocketLimits, sid: str, invalid: dict | None, config: Mapping
) -> Outcome | None:
    """The checks of a chat line on a ticket its author may see, in their one order: the
    socket's rate limit, then the line itself. None: it may be stored.

    The handler (one transaction per line) and the writer (group commit) both ask here.
    """
    wait = limits.check(sid, "send_message", config)
    if wait:
        return Outcome(wait=wait)
    if invalid is not None:
        return Outcome(invalid=invalid)
    return None


@dataclass
class _Staged:
    line: Line
    ticket: Ticket
    message: Message
    new: bool
    status_changed: bool


class LineWriter:
    """The process's writer of chat lines for one app."""

    def __init__(self, app: Flask, limits: SocketLimits):
        self.app = app
        self.limits = limits
        self._queue = None
        self._start = threading.Lock()

    def submit(self, line: Line) -> Outcome:
        """Queue the line and wait until it is stored (or refused)."""
        queue = self._queue or self._started()
        line.done = socketio.server.eio.create_event()
        queue.put(line)
        if not line.done.wait(WAIT_SECONDS):
            raise TimeoutError("the chat line writer did not answer")
        return line.outcome

    def _started(self):
        with self._start:
            if self._queue is None:
                queue = socketio.server.eio.create_queue()
                socketio.start_background_task(self._run, queue)
                self._queue = queue
        return self._queue

    def _run(self, queue) -> None:
        while True:
            batch = [queue.get()]
            while len(batch) < MAX_BATCH and not queue.empty():
                batch.append(queue.get())
            try:
                with self.app.app_context():
                    try:
                        self.write(batch)
                    finally:
                        db.session.remove()
            except Exception:  # the writer outlives any batch; its lines are answered below
                log.exception("chat line writer failed on a batch of %d", len(batch))
            for line in batch:
                if line.outcome is None:
                    line.outcome = Outcome(crashed=True)
                line.done.set()

    def write(self, batch: list[Line]) -> None:
        """Store the batch in one transaction, else each line alone; then push the new ones."""
        session = db.session
        try:
            staged = self._stage_all(session, batch)
            session.commit()
        except Exception:
            session.rollback()
            if len(batch) == 1:
                raise
            log.warning("a batch of %d chat lines failed; storing them one by one", len(batch))
            staged = []
            for line in batch:
                try:
                    staged += self._stage_all(session, [line])
                    session.commit()
                except Exception:
                    session.rollback()
                    log.exception("chat line for ticket %s not stored", line.ticket_id)
                    line.outcome = Outcome(crashed=True)
        for item in staged:
            # One JSON of the message for the ack and the push alike.
            data = message_json(item.message)
            item.line.outcome = Outcome(message=data)
            if item.new:
                announce_message(
                    item.ticket,
                    item.message,
                    status_changed=item.status_changed,
                    message_data=data,
                )

    def _stage_all(self, session: Session, batch: list[Line]) -> list[_Staged]:
        """Stage every line with no flush in between: one flush, at the commit.

        The batch's reads come first and do not grow with its lines: one context SELECT
        per socket and ticket (a room's customer and agent: two), one for the earlier
        messages of the lines repeated within it, one for every ticket's SLA clocks
        (sla.working_sets), held so that a ticket's next line sees what its previous one
        changed. A line repeated within the batch (same ticket, author and client_msg_id)
        finds the first one in `fresh`.
        """
        for line in batch:
            line.outcome = None
        contexts = _contexts(session, batch)
        tickets = {id(c.ticket): c.ticket for c in contexts if c is not None}
        staged: list[_Staged] = []
        fresh: dict[tuple, Message] = {}
        with session.no_autoflush, sla.working_sets(session, list(tickets.values())):
            for line, context in zip(batch, contexts, strict=True):
                item = self._stage(session, line, context, fresh)
                if item is not None:
                    staged.append(item)
        # The batch's rows in a few Core statements, not the unit of work's flush.
        chat_rows.store(session)
        return staged

    def _stage(
        self,
        session: Session,
        line: Line,
        context: ChatContext | None,
        fresh: dict[tuple, Message],
    ) -> _Staged | None:
        """The line's checks, in the handler's order, and its changes (not yet flushed)."""
        if context is None:
            line.outcome = Outcome(slow=True)
            return None
        refused = refusal(self.limits, line.sid, line.invalid, self.app.config)
        if refused is not None:
            line.outcome = refused
            return None
        ticket, old_status = context.ticket, context.ticket.status
        key = (ticket.id, context.user.id, line.client_msg_id)
        prior = fresh.get(key, context.prior)
        try:
            message = add_message(
                session,
                ticket=ticket,
                author=context.user,
                body=line.body,
                internal=line.internal,
                channel="chat",
                client_msg_id=line.client_msg_id,
                now=datetime.now(UTC),
                staff=context.staff,
                prior=prior,
                commit=False,
            )
        except ServiceError as exc:  # raised before anything was changed
            line.outcome = Outcome(error=exc)
            return None
        new = message is not prior
        if new:
            fresh[key] = message
        return _Staged(line, ticket, message, new, new and ticket.status != old_status)


def _contexts(session: Session, batch: list[Line]) -> list[ChatContext | None]:
    """Each line's context: the first line of a socket on a ticket reads it (context_for, with
    its earlier message); that socket's other lines on the ticket share what it read, and
    their earlier messages, if any, come in one SELECT for the whole batch."""
    read: dict[tuple[Scope, int], ChatContext | None] = {}
    contexts: list[ChatContext | None] = []
    later: list[tuple[int, ChatContext]] = []  # (index in batch, context sharing a read)
    with session.no_autoflush:
        for line in batch:
            key = (line.scope, line.ticket_id)
            if key not in read:
                read[key] = context_for(line.scope, line.ticket_id, line.client_msg_id)
                contexts.append(read[key])
                continue
            shared = read[key]
            context = None if shared is None else dataclasses.replace(shared, prior=None)
            if context is not None:
                later.append((len(contexts), context))
            contexts.append(context)
        if later:
            wanted = {(c.ticket.id, c.user.id, batch[i].client_msg_id) for i, c in later}
            found = {
                (m.ticket_id, m.author_id, m.client_msg_id): m
                for m in session.scalars(_priors_query(), {"keys": list(wanted)})
            }
            for i, context in later:
                context.prior = found.get(
                    (context.ticket.id, context.user.id, batch[i].client_msg_id)
                )
    return contexts


@functools.cache
def _priors_query():
    # Built once with an expanding parameter: its cache key is computed once, not per batch.
    key = tuple_(Message.ticket_id, Message.author_id, Message.client_msg_id)
    return select(Message).where(key.in_(bindparam("keys", expanding=True)))


def writer_for(app: Flask, limits: SocketLimits) -> LineWriter | None:
    """The app's line writer, or None when chat lines are stored one per transaction."""
    if not app.config.get("CHAT_GROUP_COMMIT"):
        return None
    writer = app.extensions.get(EXTENSION)
    if writer is None:
        writer = app.extensions.setdefault(EXTENSION, LineWriter(app, limits))
    return writer
