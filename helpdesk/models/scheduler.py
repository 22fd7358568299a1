"""Leases of the scheduler's jobs: which process runs a job now, and when it last ran."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from helpdesk.extensions import db
from helpdesk.models.types import UTCDateTime


class JobLease(db.Model):
    """One periodic job: held by one process until `held_until`; `last_run_at` ends its window.

    Jobs whose work depends on what happened since their last run (a shift that ended in
    between) read the window from here, so several processes ticking never cover the same
    instants twice and a process that was down catches up on the instants it missed.
    """

    __tablename__ = "job_leases"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(80))
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_run_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
