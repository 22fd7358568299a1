"""Job leases: at most one process runs a scheduler job at a time, claimed by a conditional update.

Every server process ticks; the first to claim a job runs it and the others skip it for
that tick. A holder that dies frees the job when its hold runs out.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from helpdesk.models import JobLease

_PROCESS = f"{socket.gethostname()[:40]}:{os.getpid()}"


@dataclass(frozen=True)
class Claim:
    """A job held by this caller: the end of its last run (None: never ran) and the token."""

    name: str
    token: str
    last_run_at: datetime | None


def claim(session: Session, name: str, *, now: datetime, hold: timedelta) -> Claim | None:
    """Take the job `name` until `now + hold`, unless another holder has it; commits."""
    if session.get(JobLease, name) is None:
        session.add(JobLease(name=name))
        try:
            session.commit()
        except IntegrityError:  # another process made the row first
            session.rollback()
    token = f"{_PROCESS}:{uuid.uuid4().hex[:12]}"
    won = session.execute(
        update(JobLease)
        .where(
            JobLease.name == name,
            or_(JobLease.held_until.is_(None), JobLease.held_until <= now),
        )
        .values(holder=token, held_until=now + hold),
        execution_options={"synchronize_session": False},
    ).rowcount
    session.commit()
    if not won:
        return None
    last = session.scalar(select(JobLease.last_run_at).where(JobLease.name == name))
    return Claim(name, token, last)


def release(session: Session, held: Claim, *, ran_until: datetime | None) -> None:
    """Give the job back; with `ran_until`, its next window starts there (never earlier)."""
    values: dict = {"holder": None, "held_until": None}
    if ran_until is not None and (held.last_run_at is None or ran_until > held.last_run_at):
        values["last_run_at"] = ran_until
    session.execute(
        update(JobLease)
        .where(JobLease.name == held.name, JobLease.holder == held.token)
        .values(**values),
        execution_options={"synchronize_session": False},
    )
    session.commit()
