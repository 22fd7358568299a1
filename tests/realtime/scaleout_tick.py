"""Run the scheduler's SLA scan DAYS ahead of now, as a process that serves no client.

Only the SLA part: follow-the-sun at a future instant would set every agent idle.

    python tests/realtime/scaleout_tick.py DAYS

Configured from the environment like the servers (DATABASE_URL, SOCKETIO_MESSAGE_QUEUE,
SOCKETIO_CHANNEL), so what the tick publishes reaches clients of every server process
through the queue. Prints the tick's counts as JSON.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from helpdesk import create_app, scheduler  # noqa: E402


def main() -> None:
    """Tick once at now + DAYS (every clock due by then breaches) and print the counts."""
    days = int(sys.argv[1])
    app = create_app()
    with app.app_context():
        counts = scheduler.sla_tick(datetime.now(UTC) + timedelta(days=days))
    print(json.dumps(counts))


if __name__ == "__main__":
    main()
