"""Metrics benchmark: 1,000,000 tickets with SLA clocks; one client's 30-day figures and exports.

Bulk-loads a throwaway database migrated with the real migrations (COPY on PostgreSQL,
executemany on SQLite; never the ORM per row), then times:

- the metrics JSON for one client and 30 days, through the service and through
  `GET /api/v1/metrics` (targets: < 1 s on PostgreSQL, < 3 s on SQLite), and with
  `include=breakdowns,heatmap,trend`;
- the streamed CSV of 100,000 rows, sampling the process's resident memory (VmRSS)
  while reading it, against a 10,000-row CSV: flat memory means the same growth;
- the JSON Lines export of a client, likewise.

The biggest client holds 40% of the tickets, spread over a year, so its 30 days hold
about 33,000 tickets and 80,000 clocks.

    python bench/metrics.py [--db sqlite|postgresql|both] [--tickets 1000000] [--keep NAME]
                            [--figures-only]

`--keep NAME` (PostgreSQL) loads into database NAME once and keeps it: a later run with the
same name reuses the loaded data (after applying any new migrations). `--figures-only`
skips the exports. Each dashboard part (summary, the five breakdowns, heatmap, trend) is
timed on its own through the service, with the process's CPU time beside the wall time.

Seen here (2 cores; 1,000,000 tickets, 2.4M clocks; 32,954 tickets in the 30 days):
GET /api/v1/metrics median 185 ms on PostgreSQL, 380-550 ms on SQLite; with all
sections 1.4 s / 2.9 s; CSV of 100,052 rows in 2.8 s / 3.4 s with no RSS growth
(the same as for 10,000 rows); JSON Lines of 66,628 tickets in ~10 s, RSS growth < 2 MiB.
Both databases give the same figures to the last bit.

Since the dashboard takes two passes on PostgreSQL (grouping sets; 2026-12, same database
and load, A/B): every part together 1.13 s -> 0.32 s wall (the five breakdowns alone were
0.93 s, the summary 0.16 s), CPU of this process 33 -> 9 ms; GET /api/v1/metrics without
include 0.18 -> 0.08 s (counts and percentiles of the clocks in one statement).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
DAYS = 365
CLIENTS = 10
BIG_SHARE = 0.4
SITES = 3
AGENTS = 20
TZ = "America/New_York"
PERIOD = (date(2026, 4, 1), date(2026, 4, 30))  # 30 days
TARGETS = {"postgresql": 1.0, "sqlite": 3.0}

TICKET_COLUMNS = ["id", "client_id", "number", "subject", "body", "status", "priority",
                  "channel", "locale", "requester_id", "assignee_id", "site_id", "created_at",
                  "updated_at", "solved_at"]  # fmt: skip
CLOCK_COLUMNS = ["id", "ticket_id", "client_id", "metric", "cycle", "state", "target_minutes",
                 "started_at", "pauses", "due_at", "breached_at", "fulfilled_at",
                 "business_minutes"]  # fmt: skip


def rss_kib() -> int:
    """This process's resident set size in KiB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def generate(tickets: int, seed: int = 7):
    """Yield (ticket row, [clock rows]) in creation order; ids follow creation time."""
    rng = random.Random(seed)
    span = DAYS * 24 * 3600
    created = sorted(rng.random() * span for _ in range(tickets))
    start = NOW - timedelta(days=DAYS)
    clock_id = 0
    numbers = [0] * (CLIENTS + 1)
    for i, offset in enumerate(created, start=1):
        at = start + timedelta(seconds=offset)
        client = 1 if rng.random() < BIG_SHARE else rng.randint(2, CLIENTS)
        numbers[client] += 1
        age = NOW - at
        if age < timedelta(days=3):
            status = rng.choice(("new", "open", "pending"))
        else:
            status = rng.choices(("solved", "closed", "open", "pending"), (70, 20, 6, 4))[0]
        solved = status in ("solved", "closed")
        assigned = status != "new" and rng.random() < 0.9
        ticket = (
            i,
            client,
            numbers[client],
            "Subject",
            "Body",
            status,
            rng.choices(("low", "normal", "high", "urgent"), (20, 50, 20, 10))[0],
            rng.choice(("portal", "api", "email", "chat")),
            rng.choice(("en", "en", "en", "ja", "fr", "de")),
            client,  # user ids 1..CLIENTS are the clients' customers
            CLIENTS + 1 + rng.randrange(AGENTS) if assigned else None,
            1 + rng.randrange(SITES) if assigned else None,
            at,
            at,
            at + timedelta(hours=rng.uniform(1, 48)) if solved else None,
        )
        clocks: list[tuple] = []
        answered = status != "new" and rng.random() < 0.95
        specs = [("first_response", 1, at, 60, answered, rng.expovariate(1 / 30))]
        if answered and rng.random() < 0.3:
            for cycle in (1, 2)[: rng.randint(1, 2)]:
                started = at + timedelta(hours=cycle)
                specs.append(("next_response", cycle, started, 120, True, rng.expovariate(1 / 50)))
        specs.append(("resolution", 1, at, 1440, solved, rng.expovariate(1 / 600)))
        for metric, cycle, started, target, done, minutes in specs:
            clock_id += 1
            due = started + timedelta(minutes=target)
            if done:
                late = minutes > target
                state = "missed" if late else "hit"
                fulfilled, value = started + timedelta(minutes=minutes), minutes
                breached = due if late else None
            else:
                state = "active" if metric == "resolution" else rng.choice(("active", "cancelled"))
                fulfilled = breached = value = None
            clocks.append((clock_id, i, client, metric, cycle, state, target, started, "[]",
                           due, breached, fulfilled, value))  # fmt: skip
        yield ticket, clocks


def _seed_rows():
    clients = [(c, "big" if c == 1 else f"c{c}", f"Client {c}", TZ if c == 1 else "UTC")
               for c in range(1, CLIENTS + 1)]  # fmt: skip
    users = [(c, c, f"customer{c}@bench.test", f"Customer {c}", "customer", c)
             for c in range(1, CLIENTS + 1)]  # fmt: skip
    users += [(CLIENTS + 1 + a, 0, f"agent{a}@bench.test", f"Agent {a}", "agent", None)
              for a in range(AGENTS)]  # fmt: skip
    sites = [(s, f"site{s}", f"Site {s}", "UTC") for s in range(1, SITES + 1)]
    return clients, users, sites


def load_postgresql(url: str, tickets: int) -> tuple[int, int]:
    """COPY everything in through psycopg 3; returns (tickets, clocks)."""
    import psycopg

    clients, users, sites = _seed_rows()
    n_clocks = 0
    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        for c in clients:
            conn.execute(
                "INSERT INTO clients (id, slug, name, timezone, default_locale, escalation, "
                "ticket_seq, created_at) VALUES (%s, %s, %s, %s, 'en', '[]', 0, now())",
                c,
            )
        for s in sites:
            conn.execute(
                "INSERT INTO sites (id, slug, name, timezone, shifts, holidays) "
                "VALUES (%s, %s, %s, %s, '{}', '[]')",
                s,
            )
        for u in users:
            conn.execute(
                "INSERT INTO users (id, realm, email, name, role, client_id, active, created_at, "
                "capacity, serves_all_clients, presence) "
                "VALUES (%s, %s, %s, %s, %s, %s, true, now(), 5, true, 'offline')",
                u,
            )
        # One COPY at a time per connection: tickets, then their clocks (generated again,
        # deterministically, rather than held in memory).
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY tickets ({', '.join(TICKET_COLUMNS)}) FROM STDIN") as copy,
        ):
            for ticket, _ in generate(tickets):
                copy.write_row(ticket)
        with (
            conn.cursor() as cur,
            cur.copy(f"COPY sla_clocks ({', '.join(CLOCK_COLUMNS)}) FROM STDIN") as copy,
        ):
            for _, clocks in generate(tickets):
                for row in clocks:
                    copy.write_row(row)
                n_clocks += len(clocks)
        for table, count in (("tickets", tickets), ("sla_clocks", n_clocks)):
            conn.execute(f"SELECT setval('{table}_id_seq', %s)", (count,))
        conn.execute("SELECT setval('users_id_seq', %s)", (CLIENTS + AGENTS,))
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE")
    return tickets, n_clocks


def _sqlite_time(value: datetime | None) -> str | None:
    # SQLAlchemy's SQLite DateTime text format, naive UTC: bound parameters compare with it.
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def load_sqlite(path: str, tickets: int) -> tuple[int, int]:
    """executemany in batches through sqlite3; returns (tickets, clocks)."""
    clients, users, sites = _seed_rows()
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA synchronous=OFF")
    now = _sqlite_time(NOW)
    conn.executemany(
        "INSERT INTO clients (id, slug, name, timezone, default_locale, escalation, ticket_seq, "
        "created_at) VALUES (?, ?, ?, ?, 'en', '[]', 0, ?)",
        [(*c, now) for c in clients],
    )
    conn.executemany(
        "INSERT INTO sites (id, slug, name, timezone, shifts, holidays) "
        "VALUES (?, ?, ?, ?, '{}', '[]')",
        sites,
    )
    conn.executemany(
        "INSERT INTO users (id, realm, email, name, role, client_id, active, created_at, capacity, "
        "serves_all_clients, presence) VALUES (?, ?, ?, ?, ?, ?, 1, ?, 5, 1, 'offline')",
        [(*u, now) for u in users],
    )
    # Column names come from the constants above, never from input.
    t_cols, t_marks = ", ".join(TICKET_COLUMNS), ", ".join("?" * len(TICKET_COLUMNS))
    c_cols, c_marks = ", ".join(CLOCK_COLUMNS), ", ".join("?" * len(CLOCK_COLUMNS))
    t_sql = f"INSERT INTO tickets ({t_cols}) VALUES ({t_marks})"  # noqa: S608
    c_sql = f"INSERT INTO sla_clocks ({c_cols}) VALUES ({c_marks})"  # noqa: S608
    t_batch, c_batch, n_clocks = [], [], 0
    for ticket, clocks in generate(tickets):
        t_batch.append(tuple(_sqlite_time(v) if isinstance(v, datetime) else v for v in ticket))
        for row in clocks:
            c_batch.append(tuple(_sqlite_time(v) if isinstance(v, datetime) else v for v in row))
        if len(t_batch) >= 20_000:
            conn.executemany(t_sql, t_batch)
            conn.executemany(c_sql, c_batch)
            n_clocks += len(c_batch)
            t_batch, c_batch = [], []
    conn.executemany(t_sql, t_batch)
    conn.executemany(c_sql, c_batch)
    n_clocks += len(c_batch)
    conn.commit()
    conn.execute("ANALYZE")
    conn.close()
    return tickets, n_clocks


def timed(fn, repeat: int) -> tuple[float, float, float, object]:
    """(first, median of the rest, max of the rest) seconds, and the last result."""
    first, median, worst, _cpu, result = timed_cpu(fn, repeat)
    return first, median, worst, result


def timed_cpu(fn, repeat: int) -> tuple[float, float, float, float, object]:
    """(first, median, max) wall seconds of the runs after the first, the median CPU seconds
    of this process over those runs, and the last result."""
    times, cpu, result = [], [], None
    for _ in range(repeat + 1):
        started, cpu_started = time.perf_counter(), time.process_time()
        result = fn()
        times.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    rest = times[1:]
    return times[0], statistics.median(rest), max(rest), statistics.median(cpu[1:]), result


def _user(session, email: str, **fields):
    """The bench user of that e-mail, created on the first run (a kept database reuses it)."""
    from sqlalchemy import select

    from helpdesk.models import User

    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(realm=0, email=email, **fields)
        session.add(user)
        session.commit()
    return user


def measure_parts(session, scope, kind: str, repeat: int) -> None:
    """The whole dashboard through the service, then each part on its own (as separate calls
    they cannot share a pass): wall and CPU time."""
    from helpdesk.services import metrics

    parts = {
        "dashboard (every part, one call)": lambda: metrics.dashboard(session, scope),
        "summary": lambda: metrics.summary(session, scope),
        "breakdowns (5)": lambda: [
            metrics.breakdown(session, scope, d) for d in metrics.DIMENSIONS
        ],
        "heatmap": lambda: metrics.heatmap(session, scope),
        "trend": lambda: metrics.trend(session, scope),
    }
    for label, fn in parts.items():
        _first, median, worst, cpu, _ = timed_cpu(fn, repeat)
        session.rollback()
        print(
            f"[{kind}] {label}: median {median * 1000:.0f} ms (max {worst * 1000:.0f}), "
            f"CPU {cpu * 1000:.0f} ms"
        )


def stream_rss(response) -> tuple[int, int, float]:
    """Read a streamed response chunk by chunk: (bytes, peak VmRSS growth in KiB, seconds)."""
    base = peak = rss_kib()
    size, started = 0, time.perf_counter()
    for n, chunk in enumerate(response.response):
        size += len(chunk)
        if n % 20 == 0:
            peak = max(peak, rss_kib())
    response.close()
    return size, max(peak, rss_kib()) - base, time.perf_counter() - started


def database_exists(name: str) -> bool:
    """Whether the PostgreSQL server already has a database of this name."""
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres") as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
        return found.fetchone() is not None


def loaded_tickets(url: str) -> int:
    """How many tickets a kept database already holds (0: load it)."""
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg", "postgresql")) as conn:
        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]


def run(kind: str, tickets: int, repeat: int, keep: str | None, exports: bool) -> None:
    """Create (or reuse), load and measure one database kind."""
    from flask_migrate import upgrade

    from config import Config
    from helpdesk import create_app

    tmp = tempfile.mkdtemp(prefix="hd_bench_metrics_")
    keep = keep if kind == "postgresql" else None
    name = keep or f"hd_bench_metrics_{os.getpid()}"
    if kind == "postgresql":
        if not (keep and database_exists(name)):
            subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
        url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    else:
        url = f"sqlite:///{tmp}/bench.sqlite"
    try:

        class BenchConfig(Config):
            SQLALCHEMY_DATABASE_URI = url
            SECRET_KEY = "bench"  # noqa: S105
            SCHEDULER_ENABLED = False
            RATELIMIT_ENABLED = False

        app = create_app(BenchConfig)
        with app.app_context():
            upgrade()
        started = time.perf_counter()
        if keep and loaded_tickets(url):
            print(f"[{kind}] reusing database {name} (--keep)")
        else:
            if kind == "postgresql":
                n_tickets, n_clocks = load_postgresql(url, tickets)
            else:
                n_tickets, n_clocks = load_sqlite(url.removeprefix("sqlite:///"), tickets)
            print(
                f"[{kind}] loaded {n_tickets:,} tickets and {n_clocks:,} clocks in "
                f"{time.perf_counter() - started:.1f} s"
            )
        measure(app, kind, repeat, exports)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if kind == "postgresql":
            from helpdesk.extensions import db

            with app.app_context():
                db.session.remove()
                db.engine.dispose()
            if not keep:
                subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", name], check=False)


def measure(app, kind: str, repeat: int, exports: bool = True) -> None:
    """Time the figures and the streams on a loaded database."""
    from sqlalchemy import func, select

    from helpdesk.domain.metrics import Period
    from helpdesk.extensions import db
    from helpdesk.models import Client, Ticket
    from helpdesk.services import metrics
    from helpdesk.services.auth import issue_token

    with app.app_context():
        session = db.session
        big = session.scalar(select(Client).where(Client.slug == "big"))
        supervisor = _user(session, "sup@bench.test", name="Sup", role="supervisor",
                           client=big, timezone=TZ)  # fmt: skip
        token = issue_token(session, supervisor, now=datetime.now(UTC))
        session.commit()
        scope = metrics.Scope(client=big, period=Period(*PERIOD, TZ), now=NOW)
        in_period = session.scalar(
            select(func.count()).where(
                Ticket.client_id == big.id,
                Ticket.created_at >= scope.period.start,
                Ticket.created_at < scope.period.end,
            )
        )
        first, median, worst, head = timed(lambda: metrics.summary(session, scope), repeat)
        session.rollback()
        fr = head.metrics["first_response"]
        print(
            f"[{kind}] service summary, {in_period:,} tickets in 30 days: first {first * 1000:.0f}"
            f" ms, median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms "
            f"(first response median {fr.median_minutes!r}, p90 {fr.p90_minutes!r}, "
            f"attainment {fr.attainment!r})"
        )
        http = app.test_client()
        headers = {"Authorization": f"Bearer {token}"}
        url = f"/api/v1/metrics?client=big&from={PERIOD[0]}&to={PERIOD[1]}"  # tz: the supervisor's

        def get_as(u, auth):
            response = http.get(u, headers=auth)
            assert response.status_code == 200, response.get_data(as_text=True)[:300]
            return response

        def get(u):
            return get_as(u, headers)

        first, median, worst, cpu, _ = timed_cpu(lambda: get(url), repeat)
        target = TARGETS[kind]
        verdict = "OK" if median < target else "OVER TARGET"
        print(
            f"[{kind}] GET /api/v1/metrics (30 days): first {first * 1000:.0f} ms, median "
            f"{median * 1000:.0f} ms, max {worst * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms; "
            f"target < {target:.0f} s: {verdict}"
        )
        first, median, worst, cpu, _ = timed_cpu(
            lambda: get(url + "&include=breakdowns,heatmap,trend"), max(1, repeat // 2)
        )
        verdict = "OK" if median < target else "OVER TARGET"
        print(
            f"[{kind}] ... with include=breakdowns,heatmap,trend: first {first * 1000:.0f} ms, "
            f"median {median * 1000:.0f} ms, CPU {cpu * 1000:.0f} ms; "
            f"target < {target:.0f} s: {verdict}"
        )
        measure_parts(session, scope, kind, repeat)
        if not exports:
            return
        for wanted in (10_000, 100_000):
            period_end = _period_for_rows(session, big, wanted)
            csv_url = (
                f"/api/v1/metrics/tickets.csv?client=big&from=2025-06-02&to={period_end}&tz=UTC"
            )
            size, growth, secs = stream_rss(get_as(csv_url, headers))
            rows = get_rows(session, big, period_end)
            print(
                f"[{kind}] CSV {rows:,} rows ({size / 1e6:.1f} MB) streamed in {secs:.1f} s, "
                f"peak RSS growth {growth / 1024:.1f} MiB"
            )
        small = session.scalar(select(Client).where(Client.slug == "c2"))
        n = session.scalar(select(func.count()).where(Ticket.client_id == small.id))
        admin = _user(session, "admin@bench.test", name="Admin", role="admin")
        admin_token = issue_token(session, admin, now=datetime.now(UTC))
        session.commit()
        response = get_as(
            "/api/v1/export.jsonl?client=c2", {"Authorization": f"Bearer {admin_token}"}
        )
        size, growth, secs = stream_rss(response)
        print(
            f"[{kind}] JSON Lines export of {n:,} tickets ({size / 1e6:.1f} MB) in {secs:.1f} s, "
            f"peak RSS growth {growth / 1024:.1f} MiB"
        )


def _period_for_rows(session, client, rows: int) -> date:
    """The last day (UTC) of a period from 2025-06-02 holding about `rows` tickets."""
    from sqlalchemy import select

    from helpdesk.models import Ticket

    mine = select(Ticket.created_at).where(Ticket.client_id == client.id)
    at = session.scalar(mine.order_by(Ticket.created_at).offset(rows - 1).limit(1))
    if at is None:  # fewer tickets than that: all of them
        at = session.scalar(mine.order_by(Ticket.created_at.desc()).limit(1))
    return min(at.date(), date(2026, 6, 1))


def get_rows(session, client, last: date) -> int:
    """Tickets of the client created from 2025-06-02 to `last` (UTC), the CSV's rows."""
    from sqlalchemy import func, select

    from helpdesk.models import Ticket

    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    return session.scalar(
        select(func.count()).where(
            Ticket.client_id == client.id,
            Ticket.created_at >= datetime(2025, 6, 2, tzinfo=UTC),
            Ticket.created_at < end,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--keep", metavar="NAME", help="PostgreSQL: load into NAME once, reuse it")
    parser.add_argument("--figures-only", action="store_true", help="skip the exports")
    args = parser.parse_args()
    kinds = ("postgresql", "sqlite") if args.db == "both" else (args.db,)
    for kind in kinds:
        run(kind, args.tickets, args.repeat, args.keep, not args.figures_only)


if __name__ == "__main__":
    main()
