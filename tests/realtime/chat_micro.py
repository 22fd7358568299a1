"""Micro-benchmark of send_message in-process: ms and SQL statements per chat line.

    .venv/bin/python -m tests.realtime.chat_micro [--lines 400]

Customer and agent alternate lines on one ticket through socketio.test_client (the
per-socket rate limit is lifted here: it would refuse a tight loop).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from config import TestConfig
from helpdesk import create_app
from helpdesk.extensions import db, socketio
from tests.conftest import NOW, Factory, login


def main() -> None:
    """Send N lines, print ms/line and statements/line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=400)
    parser.add_argument("--show", type=int, default=0, help="print the first N statements")
    parser.add_argument(
        "--sla",
        action="store_true",
        help="a high-priority ticket under around-the-clock targets (as bench/chat.py's), "
        "so every line starts or fulfils a response clock",
    )
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp()) / "micro.db"

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp}"
        RATELIMIT_ENABLED = False  # measure the chat path, not the limit

    app = create_app(Config)
    with app.app_context():
        db.create_all()
        f = Factory(db.session, NOW)
        acme = f.client("acme")
        kei = f.customer(acme, name="Kei")
        ana = f.agent([acme], name="Ana")
        if args.sla:
            f.office_hours_policy(acme)
        ticket = f.ticket(acme, kei, priority="high" if args.sla else "normal")
        tid = ticket.id
        socks = []
        for user in (kei, ana):
            http = app.test_client()
            login(http, user)
            sock = socketio.test_client(app, flask_test_client=http)
            sock.emit("join_ticket", {"ticket_id": tid}, callback=True)
            socks.append(sock)
    # Each event then runs in its own app context and session, as in the server.
    count, statements = [0], []
    if True:

        def on_sql(_conn, _cursor, statement, *_a):
            count[0] += 1
            statements.append(" ".join(statement.split())[:400])

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", on_sql)
        for i in range(20):  # warm-up
            socks[i % 2].emit(
                "send_message",
                {"ticket_id": tid, "body": "w", "client_msg_id": f"w{i}"},
                callback=True,
            )
        count[0] = 0
        statements.clear()
        start, cpu = time.perf_counter(), time.process_time()
        for i in range(args.lines):
            ack = socks[i % 2].emit(
                "send_message",
                {"ticket_id": tid, "body": f"line {i}", "client_msg_id": f"m{i}"},
                callback=True,
            )
            assert ack["ok"], ack
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        for sock in socks:
            sock.get_received()
            sock.disconnect()
        print(
            f"{args.lines} lines: {elapsed / args.lines * 1000:.2f} ms/line "
            f"({cpu / args.lines * 1000:.2f} ms CPU), "
            f"{count[0] / args.lines:.2f} SQL statements/line"
        )
        if args.show:
            print("\n".join(statements[: args.show]))


if __name__ == "__main__":
    main()
