"""Breach-scan time with 1,000,000 SLA clock rows on PostgreSQL (target < 200 ms).

Bulk-loads tickets and clocks with COPY into a throwaway database migrated with
the real migrations, then times the scanner's indexed queries and one full
`sla_scan.scan` that writes the due warnings and breaches.

    python bench/sla_scan.py [--clocks 1000000] [--due 200]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def copy_rows(conn, table: str, columns: list[str], rows) -> None:
    """COPY rows (tuples of str) into the table through psycopg 3."""
    cols = ", ".join(columns)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def load(url: str, clocks: int, due: int) -> None:
    """Fill the database: one client, customers, tickets, and `clocks` clock rows."""
    import psycopg

    rng = random.Random(7)
    tickets = clocks // 4
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        conn.execute(
            "INSERT INTO clients (id, slug, name, timezone, default_locale, escalation, "
            "ticket_seq, created_at) VALUES (1, 'bench', 'Bench', 'UTC', 'en', "
            "'[\"notify_supervisors\"]', %s, now())",
            (tickets,),
        )
        conn.execute(
            "INSERT INTO users (id, realm, email, name, role, client_id, active, created_at, "
            "capacity, serves_all_clients, presence) VALUES "
            "(1, 1, 'c@bench.test', 'C', 'customer', 1, true, now(), 0, false, 'offline')"
        )
        created = [NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 365)) for _ in range(tickets)]
        copy_rows(
            conn,
            "tickets",
            [
                "id",
                "client_id",
                "number",
                "subject",
                "body",
                "status",
                "priority",
                "channel",
                "locale",
                "requester_id",
                "created_at",
                "updated_at",
            ],
            (
                (i + 1, 1, i + 1, "s", "b", "solved", "normal", "api", "en", 1, c, c)
                for i, c in enumerate(created)
            ),
        )
        due_ids = set(rng.sample(range(clocks), due))
        active_ids = set(rng.sample(range(clocks), clocks // 50)) | due_ids

        def clock_rows():
            for i in range(clocks):
                started = created[i // 4]
                if i in due_ids:
                    state, due_at = "active", NOW - timedelta(minutes=rng.randint(1, 600))
                elif i in active_ids:
                    state, due_at = "active", NOW + timedelta(minutes=rng.randint(1, 6000))
                else:
                    state = "hit" if rng.random() < 0.9 else "missed"
                    due_at = started + timedelta(minutes=240)
                warn_at = due_at - timedelta(minutes=60)
                warned = warn_at if state != "active" else None
                yield (
                    i + 1,
                    i // 4 + 1,
                    1,
                    ("first_response", "resolution")[i % 2],
                    1,
                    state,
                    240,
                    started,
                    "[]",
                    warn_at,
                    due_at,
                    warned,
                )

        copy_rows(
            conn,
            "sla_clocks",
            [
                "id",
                "ticket_id",
                "client_id",
                "metric",
                "cycle",
                "state",
                "target_minutes",
                "started_at",
                "pauses",
                "warn_at",
                "due_at",
                "warned_at",
            ],
            clock_rows(),
        )
        conn.execute("SELECT setval('sla_clocks_id_seq', %s)", (clocks,))
        conn.execute("SELECT setval('tickets_id_seq', %s)", (tickets,))
        conn.commit()
        conn.execute("ANALYZE")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clocks", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=200, help="clocks past due at scan time")
    args = parser.parse_args()

    name = f"hd_bench_scan_{os.getpid()}"
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    os.environ["DATABASE_URL"] = url
    try:
        from flask_migrate import upgrade
        from sqlalchemy import select

        from config import Config
        from helpdesk import create_app
        from helpdesk.extensions import db
        from helpdesk.models import SlaClock
        from helpdesk.services import sla_scan

        class BenchConfig(Config):
            SQLALCHEMY_DATABASE_URI = url
            SECRET_KEY = "bench"  # noqa: S105
            SCHEDULER_ENABLED = False

        app = create_app(BenchConfig)
        with app.app_context():
            upgrade()
        started = time.perf_counter()
        load(url, args.clocks, args.due)
        print(f"loaded {args.clocks:,} clocks in {time.perf_counter() - started:.1f} s")
        with app.app_context():
            query = (
                select(SlaClock.id)
                .where(SlaClock.state == "active", SlaClock.due_at <= NOW)
                .order_by(SlaClock.due_at)
                .limit(500)
            )
            timings = []
            for _ in range(7):
                t = time.perf_counter()
                found = len(db.session.scalars(query).all())
                timings.append((time.perf_counter() - t) * 1000)
            db.session.rollback()
            plan = (
                db.session.execute(
                    db.text("EXPLAIN " + str(query.compile(compile_kwargs={"literal_binds": True})))
                )
                .scalars()
                .all()
            )
            print(
                f"breach query: {found} due clocks found, median "
                f"{statistics.median(timings):.2f} ms (min {min(timings):.2f}, "
                f"max {max(timings):.2f})"
            )
            print("plan: " + " | ".join(line.strip() for line in plan[:3]))
            t = time.perf_counter()
            result = sla_scan.scan(db.session, now=NOW)
            full = (time.perf_counter() - t) * 1000
            print(
                f"full scan tick: {len(result.warnings)} warnings and {len(result.breaches)} "
                f"breaches written in {full:.0f} ms ({full / max(1, len(result.breaches)):.2f} "
                f"ms per breach)"
            )
            t = time.perf_counter()
            again = sla_scan.scan(db.session, now=NOW)
            idle = (time.perf_counter() - t) * 1000
            print(
                f"idle scan tick (nothing due): {idle:.1f} ms, wrote "
                f"{len(again.warnings) + len(again.breaches)}  (target < 200 ms)"
            )
            db.session.remove()
            db.engine.dispose()
    finally:
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name])


if __name__ == "__main__":
    main()
