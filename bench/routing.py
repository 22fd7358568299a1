"""Routing decision time with 100 and 10,000 agents, and the agent queue page, over 1M tickets.

One PostgreSQL database holds 30 sites, 40 clients, 10,100 agents and 1,000,000
tickets (bulk-loaded with COPY after the real migrations). Clients 1-20 are served
by a pool of 10,000 agents, clients 21-40 by a pool of 100, so one run times the
same live decision (`routing.preview`, i.e. the agent query plus the choice) for
both sizes and prints the ratio (target <= 2x), then times `GET /agent/` for an
agent of the large pool (target < 100 ms) and `GET /api/v1/tickets?per_page=25` for the
same agent, with the process CPU per request beside the wall time.

    python bench/routing.py [--tickets 1000000] [--rounds 40] [--keep NAME]

`--keep NAME` loads into database NAME once and keeps it: a later run with the same name
reuses the loaded data (after applying any new migrations) instead of loading it again.
"""

from __future__ import annotations

import argparse
import json
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

NOW = datetime.now(UTC).replace(microsecond=0)
ZONES = [
    "Asia/Manila",
    "Europe/Warsaw",
    "America/Bogota",
    "Asia/Kolkata",
    "Europe/Lisbon",
    "America/New_York",
    "Asia/Tokyo",
    "Africa/Cairo",
    "Australia/Sydney",
    "Europe/Berlin",
]
LANGS = ["en", "es", "de", "fr", "pt_BR", "ja", "ar", "pl", "tl", "hi"]
SKILLS = ["billing", "network", "hardware", "accounts", "email"]
BIG, SMALL = 10_000, 100


def copy_rows(conn, table, columns, rows):
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as cp:
        for row in rows:
            cp.write_row(row)


def load(url: str, tickets: int) -> dict:
    """Fill the database; returns ids useful to the timings."""
    import psycopg

    rng = random.Random(11)
    sites = [
        (
            i + 1,
            f"site{i + 1}",
            ZONES[i % len(ZONES)],
            json.dumps(
                {
                    d: ["07:00-19:00"] if i % 3 else ["22:00-07:00"]
                    for d in ("mon", "tue", "wed", "thu", "fri", "sat")
                }
            ),
        )
        for i in range(30)
    ]
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        copy_rows(
            conn,
            "clients",
            [
                "id",
                "slug",
                "name",
                "timezone",
                "default_locale",
                "escalation",
                "ticket_seq",
                "created_at",
            ],
            (
                (c, f"c{c}", f"Client {c}", "UTC", "en", '["notify_supervisors"]', 0, NOW)
                for c in range(1, 41)
            ),
        )
        copy_rows(
            conn,
            "sites",
            ["id", "slug", "name", "timezone", "shifts", "holidays"],
            ((i, slug, slug, tz, shifts, "[]") for i, slug, tz, shifts in sites),
        )
        agents = BIG + SMALL
        user_cols = [
            "id",
            "realm",
            "email",
            "name",
            "role",
            "client_id",
            "active",
            "created_at",
            "capacity",
            "serves_all_clients",
            "presence",
            "site_id",
        ]

        def users():
            for a in range(1, agents + 1):
                presence = "online" if rng.random() < 0.6 else "offline"
                yield (
                    a,
                    0,
                    f"a{a}@bench.test",
                    f"Agent {a}",
                    "agent",
                    None,
                    True,
                    NOW,
                    rng.randint(3, 8),
                    False,
                    presence,
                    rng.randint(1, 30),
                )
            for c in range(1, 41):
                yield (
                    agents + c,
                    c,
                    f"cust{c}@bench.test",
                    f"Customer {c}",
                    "customer",
                    c,
                    True,
                    NOW,
                    0,
                    False,
                    "offline",
                    None,
                )

        copy_rows(conn, "users", user_cols, users())
        serves = {}
        for a in range(1, agents + 1):
            pool = range(1, 21) if a <= BIG else range(21, 41)
            serves[a] = rng.sample(list(pool), rng.randint(1, 3))
        copy_rows(
            conn,
            "agent_clients",
            ["user_id", "client_id"],
            ((a, c) for a, cs in serves.items() for c in cs),
        )
        copy_rows(
            conn,
            "agent_languages",
            ["user_id", "language"],
            (
                (a, lang)
                for a in range(1, agents + 1)
                for lang in rng.sample(LANGS, rng.randint(1, 3))
            ),
        )
        copy_rows(
            conn,
            "agent_skills",
            ["user_id", "skill"],
            ((a, s) for a in range(1, agents + 1) for s in rng.sample(SKILLS, rng.randint(1, 2))),
        )
        by_client = {c: [a for a, cs in serves.items() if c in cs] for c in range(1, 41)}
        seq = dict.fromkeys(range(1, 41), 0)

        def ticket_rows():
            for t in range(1, tickets + 1):
                c = rng.randint(1, 40)
                seq[c] += 1
                created = NOW - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
                roll = rng.random()
                status = (
                    "solved"
                    if roll < 0.6
                    else "closed"
                    if roll < 0.94
                    else rng.choice(["new", "open", "open", "pending"])
                )
                assignee = rng.choice(by_client[c]) if status != "new" and by_client[c] else None
                yield (
                    t,
                    c,
                    seq[c],
                    "Printer jams",
                    "It jams.",
                    status,
                    rng.choice(["low", "normal", "high", "urgent"]),
                    "api",
                    rng.choice(LANGS),
                    rng.choice(SKILLS),
                    agents + c,
                    assignee,
                    created,
                    created,
                )

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
                "category",
                "requester_id",
                "assignee_id",
                "created_at",
                "updated_at",
            ],
            ticket_rows(),
        )
        conn.execute("UPDATE clients SET ticket_seq = %s", (max(seq.values()),))
        conn.execute(
            "INSERT INTO sla_clocks (ticket_id, client_id, metric, cycle, state, target_minutes,"
            " started_at, pauses, warn_at, due_at) SELECT id, client_id, 'first_response', 1, "
            "'active', 240, created_at, '[]', created_at + interval '3 hours', "
            "created_at + interval '4 hours' FROM tickets WHERE status IN ('new', 'open')"
        )
        conn.execute(
            "UPDATE tickets SET next_due_at = created_at + interval '4 hours' "
            "WHERE status IN ('new', 'open')"
        )
        for table, column in (
            ("users", agents + 40),
            ("tickets", tickets),
            ("clients", 40),
            ("sites", 30),
        ):
            conn.execute(f"SELECT setval('{table}_id_seq', %s)", (column,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    queue_agent = max(range(1, BIG + 1), key=lambda a: len(serves[a]))
    return {"queue_agent": queue_agent}


def loaded_queue_agent(url: str) -> int | None:
    """The queue agent of a database `load` filled before, or None if it holds no tickets."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        if (
            conn.execute("SELECT count(*) FROM (SELECT 1 FROM tickets LIMIT 1) t").fetchone()[0]
            == 0
        ):
            return None
        # As `load` picks it: the first agent of the large pool among those serving most clients.
        row = conn.execute(
            "SELECT user_id FROM agent_clients WHERE user_id <= %s GROUP BY user_id "
            "ORDER BY count(*) DESC, user_id LIMIT 1",
            (BIG,),
        ).fetchone()
        return row[0]


def database_exists(name: str) -> bool:
    """Whether the PostgreSQL server already has a database of this name."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
        return (
            conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
            is not None
        )


def timed(fn, rounds):
    fn()
    samples, cpu = [], []
    for _ in range(rounds):
        t, c = time.perf_counter(), time.process_time()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return statistics.median(samples), min(samples), max(samples), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--keep", metavar="NAME", help="load into NAME once, reuse it later")
    args = parser.parse_args()
    name = args.keep or f"hd_bench_routing_{os.getpid()}"
    if not (args.keep and database_exists(name)):
        subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    app = None
    try:
        from flask_migrate import upgrade

        from config import TestConfig
        from helpdesk import create_app
        from helpdesk.extensions import db
        from helpdesk.models import Client, User
        from helpdesk.services import routing
        from helpdesk.services.auth import issue_token

        class BenchConfig(TestConfig):
            SQLALCHEMY_DATABASE_URI = url
            TESTING = False

        app = create_app(BenchConfig)
        with app.app_context():
            upgrade()
        queue_agent = loaded_queue_agent(url) if args.keep else None
        if queue_agent is None:
            t = time.perf_counter()
            ids = load(url, args.tickets)
            print(
                f"loaded {args.tickets:,} tickets, {BIG + SMALL:,} agents, 30 sites "
                f"in {time.perf_counter() - t:.0f} s"
            )
        else:
            ids = {"queue_agent": queue_agent}
            print(f"reusing database {name} (--keep)")
        rng = random.Random(5)
        with app.app_context():
            results = {}
            for label, clients in (("100 agents", range(21, 41)), ("10,000 agents", range(1, 21))):
                objs = [db.session.get(Client, c) for c in clients]

                def decide(objs=objs):
                    routing.preview(
                        db.session,
                        client=rng.choice(objs),
                        locale=rng.choice(LANGS),
                        skill=None,
                        priority="normal",
                        at=None,
                        now=NOW,
                    )
                    db.session.rollback()

                results[label] = timed(decide, args.rounds)
                med, lo, hi, _cpu = results[label]
                print(
                    f"routing decision, {label}: median {med:.2f} ms (min {lo:.2f}, max {hi:.2f})"
                )
            ratio = results["10,000 agents"][0] / results["100 agents"][0]
            print(f"ratio 10,000 / 100 agents: {ratio:.2f}x (target <= 2x)")
            agent = db.session.get(User, ids["queue_agent"])
            agent.set_password("bench-password")
            db.session.commit()
            email = agent.email
        http = app.test_client()
        login = http.post("/login", data={"email": email, "password": "bench-password"})
        assert login.status_code == 302, login.status_code

        for view in ("mine", "waiting", "all"):

            def page(view=view):
                response = http.get(f"/agent/?view={view}")
                assert response.status_code == 200, response.status_code

            med, lo, hi, cpu = timed(page, max(10, args.rounds // 2))
            print(
                f"agent queue page ?view={view} (agent serving 3 of the 10,000-agent "
                f"clients): median {med:.1f} ms (min {lo:.1f}, max {hi:.1f}), "
                f"CPU {cpu:.1f} ms (target < 100 ms)"
            )
        with app.app_context():
            # Issued directly: the API's sign-in would ask staff for a second factor.
            token = issue_token(db.session, db.session.get(User, ids["queue_agent"]), now=NOW)
            db.session.commit()

        def api_page():
            response = http.get(
                "/api/v1/tickets?per_page=25", headers={"Authorization": f"Bearer {token}"}
            )
            assert response.status_code == 200, response.status_code

        med, lo, hi, cpu = timed(api_page, max(10, args.rounds // 2))
        print(
            f"GET /api/v1/tickets?per_page=25 (same agent): median {med:.1f} ms "
            f"(min {lo:.1f}, max {hi:.1f}), CPU {cpu:.1f} ms"
        )
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    finally:
        if app is not None:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
        if not args.keep:
            subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", name])


if __name__ == "__main__":
    main()
