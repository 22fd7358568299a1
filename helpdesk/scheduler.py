"""The scheduler tick: background work (SLA scan; later handoffs and pickups) every 30 seconds.

Each tick is idempotent and safe to run in several processes at once; the server
starts the loop (never create_app), and operators can run one tick with `flask sla tick`.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from flask import Flask

from helpdesk.extensions import db, socketio

log = logging.getLogger(__name__)
TICK_SECONDS = 30


def tick(now: datetime) -> dict[str, int]:
    """Run every periodic job once at `now`; returns what each wrote."""
    from helpdesk.mail import outbound
    from helpdesk.services import sla

    result = sla.scan(db.session, now=now)
    counts = {"sla_warnings": len(result.warnings), "sla_breaches": len(result.breaches)}
    counts.update(outbound.deliver_due(db.session, now=now))
    return counts


def start(app: Flask) -> None:
    """Start the tick loop as a background task of the Socket.IO server."""
    if not app.config.get("SCHEDULER_ENABLED"):
        return

    def loop() -> None:
        while True:
            socketio.sleep(TICK_SECONDS)
            with app.app_context():
                try:
                    counts = tick(datetime.now(UTC))
                    if any(counts.values()):
                        log.info("tick: %s", counts)
                except Exception:  # one failed tick must not stop the next
                    log.exception("scheduler tick failed")
                    db.session.rollback()
                finally:
                    db.session.remove()

    socketio.start_background_task(loop)
