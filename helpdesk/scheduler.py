"""The scheduler tick: the server's background work, every SCHEDULER_TICK_SECONDS (30).

Each tick writes due SLA warnings and breaches, runs follow-the-sun (idle agents away,
handoffs at shift end, pickups of waiting tickets) and sends queued mail. Every job is
safe in several processes at once: SLA clocks and tickets are claimed by conditional
updates, and follow-the-sun is leased to one process per tick. The server starts the loop
(never create_app); `flask sla tick` and `flask routing tick` run one by hand.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime, timedelta

from flask import Flask, current_app

from helpdesk.extensions import db, socketio
from helpdesk.services import follow_the_sun, outbox, sla_scan

log = logging.getLogger(__name__)
TICK_SECONDS = 30


def tick(now: datetime) -> dict[str, int]:
    """Run every periodic job once at `now`; returns what each wrote."""
    counts = sla_tick(now)
    counts.update(routing_tick(now).counts())
    counts.update(outbox.deliver_due(db.session, now=now))
    return counts


def sla_tick(now: datetime) -> dict[str, int]:
    """The SLA scan once at `now`: due warnings and breaches (and their escalations)."""
    result = sla_scan.scan(db.session, now=now)
    return {"sla_warnings": len(result.warnings), "sla_breaches": len(result.breaches)}


def routing_tick(now: datetime) -> follow_the_sun.TickResult:
    """Follow-the-sun once at `now` (skipped while another process runs it)."""
    config = current_app.config
    return follow_the_sun.tick(
        db.session,
        now=now,
        idle=timedelta(minutes=config["AGENT_IDLE_MINUTES"]),
        # A holder that dies mid-run frees the job after this long.
        hold=timedelta(seconds=max(5 * interval(current_app), 60)),
    )


def interval(app: Flask) -> float:
    """Seconds between the starts of two ticks."""
    return float(app.config.get("SCHEDULER_TICK_SECONDS") or TICK_SECONDS)


def start(app: Flask) -> None:
    """Start the tick loop as a background task of the Socket.IO server."""
    if not app.config.get("SCHEDULER_ENABLED"):
        return
    every = interval(app)
    app.logger  # noqa: B018  (Flask installs its stderr handler on first use)
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)  # ticks that did something, and their timing, are logged
    log.info("scheduler: a tick every %.0f s (SCHEDULER_TICK_SECONDS)", every)

    def loop() -> None:
        due = time.monotonic() + every
        while True:
            socketio.sleep(max(0.0, due - time.monotonic()))
            with app.app_context():
                run_once(late=time.monotonic() - due, every=every)
            # Fixed cadence; a tick that overran starts the next at once, never a burst.
            due = max(due + every, time.monotonic())

    socketio.start_background_task(loop)


def run_once(*, late: float, every: float) -> None:
    """One tick of the loop, logged with its timing (and when it started late or overran the
    `every` seconds between ticks); a failure never stops the next one."""
    started = time.monotonic()
    try:
        counts = tick(datetime.now(UTC))
        took = time.monotonic() - started
        if any(counts.values()):
            log.info("tick in %.0f ms: %s", took * 1000, counts)
        else:
            log.debug("tick in %.0f ms: nothing to do", took * 1000)
        if late > 1.0:
            log.warning("scheduler: a tick started %.1f s late (the process is busy)", late)
        if took > every:
            log.warning(
                "scheduler: a tick took %.1f s, longer than the %.0f s between ticks; "
                "the next one starts at once and work waits",
                took,
                every,
            )
    except Exception:  # one failed tick must not stop the next
        log.exception("scheduler tick failed")
        db.session.rollback()
    finally:
        db.session.remove()
