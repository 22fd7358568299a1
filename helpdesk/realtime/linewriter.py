"""Group commit for chat lines: one writer stores every line waiting, in one transaction.

A chat line costs the server little besides storing it, and most of storing is the
transaction: the ORM's flush plan, one INSERT per row, the commit. When lines arrive
faster than one transaction each can keep up with, the writer takes all the lines that
queued while it was busy and stores them together, each with its checks, events and SLA
clocks, then commits once; only then are they pushed and acknowledged (stored before
anyone is told). At a trickle every batch holds one line and nothing changes. Nothing is
flushed before the commit: each ticket's clocks are read once per batch and held, so the
lines of one ticket (a room's customer and agent, say) cost one flush, not one each.

One writer per process (a greenlet under gevent, a thread under the threading server),
started with the first line. A line the fast checks cannot decide (the socket's
remembered scope no longer matches its user, or the ticket is not visible) comes back
`slow` and the event handler decides it the usual way. If the batch's commit fails, each
line is stored again in its own transaction, so one bad line never costs the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from helpdesk.extensions import db, socketio
from helpdesk.models import Message, Ticket
from helpdesk.realtime.auth import Scope, context_for
from helpdesk.realtime.limits import SocketLimits
from helpdesk.serializers import message_json
from helpdesk.services import sla
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

        Each ticket's SLA clocks are read once for the batch and held (sla.working_set), so
        a ticket's next line sees what its previous one changed; a line repeated within the
        batch (same ticket, author and client_msg_id) finds the first one in `fresh`.
        """
        staged: list[_Staged] = []
        fresh: dict[tuple, Message] = {}
        with ExitStack() as held:
            working: set[int] = set()
            for line in batch:
                line.outcome = None
                item = self._stage(session, line, held, working, fresh)
                if item is not None:
                    staged.append(item)
        return staged

    def _stage(
        self,
        session: Session,
        line: Line,
        held: ExitStack,
        working: set[int],
        fresh: dict[tuple, Message],
    ) -> _Staged | None:
        """The line's checks, in the handler's order, and its changes (not yet flushed)."""
        with session.no_autoflush:
            context = context_for(line.scope, line.ticket_id, line.client_msg_id)
            if context is None:
                line.outcome = Outcome(slow=True)
                return None
            refused = refusal(self.limits, line.sid, line.invalid, self.app.config)
            if refused is not None:
                line.outcome = refused
                return None
            ticket, old_status = context.ticket, context.ticket.status
            if ticket.id not in working:
                held.enter_context(sla.working_set(session, ticket))
                working.add(ticket.id)
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


def writer_for(app: Flask, limits: SocketLimits) -> LineWriter | None:
    """The app's line writer, or None when chat lines are stored one per transaction."""
    if not app.config.get("CHAT_GROUP_COMMIT"):
        return None
    writer = app.extensions.get(EXTENSION)
    if writer is None:
        writer = app.extensions.setdefault(EXTENSION, LineWriter(app, limits))
    return writer
