"""The outbox: queued mail sent by the scheduler tick, retried with backoff, given up when stale.

Each mail is claimed by a conditional update before it is sent, so several processes can
deliver at once and a mail goes out once; rendering and sending are the notify adapter's.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, literal, select, update
from sqlalchemy.orm import Session

from helpdesk.models import OutboundMail
from helpdesk.notify import outbound

log = logging.getLogger(__name__)

BATCH = 50
LEASE = timedelta(minutes=5)  # a claimed mail another process may retry if this one died
BACKOFF_MAX = timedelta(hours=1)


def backoff(attempts: int) -> timedelta:
    """Wait before the next try: 2, 4, 8 ... minutes, at most an hour."""
    return min(timedelta(minutes=2**attempts), BACKOFF_MAX)


def deliver_due(session: Session, *, now: datetime) -> dict[str, int]:
    """Send every queued mail that is due; safe to run in several processes at once."""
    counts = {"mail_sent": 0, "mail_logged": 0, "mail_retry": 0, "mail_failed": 0}
    counts["mail_failed"] = _give_up_stale(session, now=now)
    due = list(
        session.scalars(
            select(OutboundMail.id)
            .where(OutboundMail.status == "queued", OutboundMail.next_attempt_at <= now)
            .order_by(OutboundMail.id)
            .limit(BATCH)
        )
    )
    for mail_id in due:
        if not _claim(session, mail_id, now):
            continue  # another process took it
        mail = session.get(OutboundMail, mail_id)
        counts[f"mail_{_deliver_one(session, mail, now=now)}"] += 1
        session.commit()
    return counts


def _give_up_stale(session: Session, *, now: datetime) -> int:
    """Mark mail queued longer than MAIL_GIVE_UP_HOURS failed, in one statement, logged once."""
    hours = current_app.config["MAIL_GIVE_UP_HOURS"]
    stale = session.execute(
        update(OutboundMail)
        .where(
            OutboundMail.status == "queued",
            OutboundMail.created_at < now - timedelta(hours=hours),
        )
        .values(
            status="failed",
            last_error=literal(f"not sent within {hours:g} hours; last error: ")
            + func.coalesce(OutboundMail.last_error, "none"),
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    if stale:
        log.error("%d queued mail(s) older than %g hours given up (status failed)", stale, hours)
    return stale


def _claim(session: Session, mail_id: int, now: datetime) -> bool:
    claimed = session.execute(
        update(OutboundMail)
        .where(
            OutboundMail.id == mail_id,
            OutboundMail.status == "queued",
            OutboundMail.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + LEASE),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.commit()
    return claimed == 1


def _deliver_one(session: Session, mail: OutboundMail, *, now: datetime) -> str:
    try:
        msg = outbound.render(session, mail)
        logged = outbound.send(msg, to_addr=mail.to_addr)
    except outbound.UnsafeHeader as exc:  # the same text would fail again: never sent
        mail.attempts += 1
        mail.status = "failed"
        mail.last_error = f"unsafe header: {exc}"[:1000]
        log.error("mail %s (%s for %s) refused: %s", mail.id, mail.kind, mail.to_addr, exc)
        return "failed"
    except Exception as exc:  # any failure: keep the mail, say why, try again later
        mail.attempts += 1
        mail.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        mail.next_attempt_at = now + backoff(mail.attempts)
        log.warning(
            "mail %s (%s for %s) not sent, attempt %d, next at %s: %s",
            mail.id,
            mail.kind,
            mail.to_addr,
            mail.attempts,
            mail.next_attempt_at.isoformat(),
            mail.last_error,
        )
        return "retry"
    mail.attempts += 1
    mail.status = "logged" if logged else "sent"
    mail.sent_at = now
    mail.last_error = None
    return mail.status
