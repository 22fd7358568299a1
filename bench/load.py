"""Load without loss: intake under retries, then a chat reconnect storm, on the real app.

Starts the app as `make run` serves it (`python wsgi.py` on a fresh database, migrated and
provisioned), then:

1. files --tickets tickets at --concurrency through POST /api/v1/tickets, each with its own
   Idempotency-Key; a short client timeout (--timeout) makes some requests time out, and those
   are sent again with the same key (counted as retries). Then it counts the tickets in the
   database: errors, lost and duplicated must all be 0.
2. --chatters customers chat on their own tickets with python-socketio, each line with a
   client_msg_id, while their connections are dropped (without a goodbye) and re-established;
   on every reconnect a client re-joins with since_id (what it missed) and re-sends the lines it
   has no ack for. An agent writes into every ticket meanwhile. Lost and duplicated lines are
   counted per client from the stored thread and from each client's own view.

    python bench/load.py [--db sqlite|postgres] [--tickets 10000] [--concurrency 32]
                         [--timeout 1.0] [--chatters 16] [--lines 30]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
import socketio
from procs import drop_database, free_port, new_database, wait_up
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
TOKEN = "load-intake-token"  # noqa: S105 (a throwaway token for a throwaway database)
AGENT = ("ana@load.test", "pw-ana")
SUBJECT = "load-{n:05d}"
DAYS = ", ".join(f'{d}: ["00:00-23:59"]' for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"))
BODY = "The VPN drops every few minutes since the last update. " * 4


def provision(chatters: int) -> str:
    customers = "\n".join(
        f"  - {{email: c{i}@load.test, name: Chatter {i}, password: pw-c{i}, client: load}}"
        for i in range(chatters)
    )
    return f"""
clients:
  - slug: load
    name: Load Corp
    timezone: UTC
    default_locale: en
    intake_token: {TOKEN}
sites:
  - slug: hq
    name: HQ
    timezone: UTC
    shifts: {{{DAYS}}}
agents:
  - {{email: {AGENT[0]}, name: Ana, password: {AGENT[1]}, site: hq, clients: [load],
     capacity: 1000}}
customers:
{customers}
"""


def start_app(url: str, tmp: Path, chatters: int) -> tuple[subprocess.Popen, int]:
    """`make run` without the demo: migrate, provision, `python wsgi.py`."""
    env = dict(
        os.environ,
        DATABASE_URL=url,
        HELPDESK_INSTANCE=str(tmp / "instance"),
        SECRET_KEY="load-bench",
        # The bench is one big client on one address: lift the limits above its rate.
        RATELIMIT_API_INTAKE="10000000/minute",
        RATELIMIT_LOGIN_ADDRESS="100000/minute",
        RATELIMIT_LOGIN_ACCOUNT="100000/minute",
    )
    flask = [PY, "-m", "flask", "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    spec = tmp / "load.yaml"
    spec.write_text(provision(chatters))
    done = subprocess.run(
        [*flask, "provision", str(spec)], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise SystemExit(f"provisioning failed: {done.stdout}{done.stderr}")
    port = free_port()
    env["PORT"] = str(port)
    log = open(tmp / "server.log", "w")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen([PY, "wsgi.py"], cwd=ROOT, env=env, stdout=log, stderr=log)
    wait_up(port, proc)
    return proc, port


# --- 1. intake with retries -------------------------------------------------------------------


def file_all(base: str, total: int, concurrency: int, timeout: float) -> dict:
    """File `total` tickets; a timed-out or refused-for-now request is retried with its key."""
    stats = Counter()
    lock = threading.Lock()
    local = threading.local()

    def count(key: str, n: int = 1) -> None:
        with lock:
            stats[key] += n

    def file_one(n: int) -> None:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {TOKEN}"
        payload = {
            "subject": SUBJECT.format(n=n),
            "body": BODY,
            "requester": {"email": f"user{n % 500}@load.test", "name": "Load"},
        }
        headers = {"Idempotency-Key": f"load-{n}"}
        for attempt in range(40):
            if attempt:
                count("retries")
                time.sleep(min(0.05 * attempt, 1.0))
            try:
                response = session.post(
                    f"{base}/api/v1/tickets", json=payload, headers=headers, timeout=timeout
                )
            except requests.Timeout:
                count("timeouts")
                continue
            except requests.ConnectionError:
                count("connection_errors")
                continue
            if response.status_code in (201, 200):
                count("created" if response.status_code == 201 else "repeats_answered")
                return
            if response.status_code in (409, 429, 503):  # the first attempt is still running
                count(f"status_{response.status_code}")
                continue
            count("errors")
            return
        count("errors")

    started = time.monotonic()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(file_one, range(total)))
    stats["seconds"] = time.monotonic() - started
    return stats


def count_tickets(url: str, total: int) -> tuple[int, int, int]:
    """(stored, lost, duplicated) of the load tickets, counted in the database."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT subject, count(*) FROM tickets WHERE subject LIKE 'load-%' GROUP BY subject"
            )
        ).all()
    engine.dispose()
    stored = {subject: n for subject, n in rows}
    expected = {SUBJECT.format(n=n) for n in range(total)}
    lost = len(expected - set(stored))
    duplicated = sum(n - 1 for n in stored.values())
    return sum(stored.values()), lost, duplicated


# --- 2. chat reconnect storm ------------------------------------------------------------------


def token_for(base: str, email: str, password: str) -> str:
    response = requests.post(
        f"{base}/api/v1/auth/token", json={"email": email, "password": password}, timeout=30
    )
    response.raise_for_status()
    return response.json()["token"]


class Chatter:
    """One customer on one ticket: sends lines, is dropped, comes back, resyncs."""

    def __init__(self, base: str, i: int, lines: int, rng: random.Random):
        self.base, self.i, self.lines, self.rng = base, i, lines, rng
        self.token = token_for(base, f"c{i}@load.test", f"pw-c{i}")
        response = requests.post(
            f"{base}/api/v1/tickets",
            json={"subject": f"chat-{i}", "body": "Let's chat."},
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=30,
        )
        response.raise_for_status()
        self.ticket_id = response.json()["id"]
        self.view: dict[int, str | None] = {}  # message id -> client_msg_id, as this client saw
        self.acked: set[str] = set()
        self.sent: list[str] = [f"c{i}-{k}" for k in range(lines)]
        self.stats = Counter()
        self.lock = threading.Lock()
        self.sio = None

    def _see(self, message: dict) -> None:
        with self.lock:
            self.view[message["id"]] = message.get("client_msg_id")

    def connect(self) -> None:
        sio = socketio.Client(reconnection=False)

        @sio.on("message")
        def on_message(data):
            if data.get("ticket_id") == self.ticket_id:
                self._see(data["message"])

        for attempt in range(50):
            try:
                sio.connect(
                    self.base, auth={"token": self.token}, transports=["websocket"], wait_timeout=10
                )
                break
            except socketio.exceptions.ConnectionError:
                self.stats["connect_retries"] += 1
                time.sleep(0.1 * (attempt + 1))
        else:
            raise RuntimeError(f"chatter {self.i} could not connect")
        since = max(self.view, default=0)
        ack = sio.call("join_ticket", {"ticket_id": self.ticket_id, "since_id": since}, timeout=30)
        assert ack["ok"], ack
        for message in ack["messages"]:
            self._see(message)
        self.sio = sio

    def drop(self) -> None:
        """Lose the connection without a goodbye (as a network drop would)."""
        self.stats["drops"] += 1
        self.sio.eio.disconnect(abort=True)
        self.sio = None

    def send(self, msg_id: str) -> bool:
        """Send one line; True once the server acknowledged it stored."""
        payload = {"ticket_id": self.ticket_id, "body": f"line {msg_id}", "client_msg_id": msg_id}
        if self.rng.random() < 0.15:
            # Fire and drop at once: the line may or may not be stored, the ack is lost.
            self.sio.emit("send_message", payload)
            self.drop()
            return False
        try:
            ack = self.sio.call("send_message", payload, timeout=10)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError):
            self.stats["ack_timeouts"] += 1
            return False
        if not ack.get("ok"):
            code = ack["error"]["code"]
            self.stats[f"refused_{code}"] += 1
            if code == "rate_limited":
                time.sleep(float(ack["error"].get("retry_after", 1)))
            return False
        self._see(ack["message"])
        self.acked.add(msg_id)
        return True

    def run(self) -> None:
        self.connect()
        for msg_id in self.sent:
            while msg_id not in self.acked:
                if self.sio is None:
                    self.connect()
                    self.stats["reconnects"] += 1
                if not self.send(msg_id):
                    self.stats["resends"] += 1
                    continue
                if self.rng.random() < 0.1:
                    self.drop()
                time.sleep(self.rng.uniform(0, 0.02))
        if self.sio is None:
            self.connect()
        time.sleep(0.5)  # the agent's last lines arrive live
        self.sio.disconnect()


def agent_writes(base: str, tickets: list[int], stop: threading.Event, sent: Counter) -> None:
    """The agent, on one steady connection, answers in every ticket now and then."""
    sio = socketio.Client(reconnection=False)
    sio.connect(base, auth={"token": token_for(base, *AGENT)}, transports=["websocket"])
    n = 0
    while not stop.is_set():
        ticket_id = tickets[n % len(tickets)]
        payload = {"ticket_id": ticket_id, "body": f"agent {n}", "client_msg_id": f"agent-{n}"}
        ack = sio.call("send_message", payload, timeout=30)
        if ack.get("ok"):
            sent[ticket_id] += 1
        else:
            time.sleep(float(ack["error"].get("retry_after", 0.2)))
            continue
        n += 1
        time.sleep(0.05)
    sio.disconnect()


def storm(base: str, url: str, chatters: int, lines: int) -> list[dict]:
    rng = random.Random(9)
    people = [Chatter(base, i, lines, random.Random(rng.random())) for i in range(chatters)]
    stop, agent_sent = threading.Event(), Counter()
    agent = threading.Thread(
        target=agent_writes, args=(base, [c.ticket_id for c in people], stop, agent_sent)
    )
    agent.start()
    threads = [threading.Thread(target=c.run) for c in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    agent.join()
    # Let the agent's last lines reach everyone, then one more resync (since_id) per client.
    for c in people:
        c.connect()
        c.sio.disconnect()

    engine = create_engine(url)
    results = []
    with engine.connect() as conn:
        for c in people:
            stored = conn.execute(
                text("SELECT id, client_msg_id FROM messages WHERE ticket_id = :t ORDER BY id"),
                {"t": c.ticket_id},
            ).all()
            mine = Counter(m for _, m in stored if m and m.startswith(f"c{c.i}-"))
            stored_ids = {mid for mid, _ in stored}
            view_ids = Counter(m for m in c.view.values() if m)
            results.append(
                {
                    "client": c.i,
                    "stored_lost": sum(1 for m in c.sent if mine[m] == 0),
                    "stored_dup": sum(n - 1 for n in mine.values()),
                    "view_lost": len(stored_ids - set(c.view)),
                    "view_dup": sum(n - 1 for n in view_ids.values()),
                    "agent_lines": agent_sent[c.ticket_id],
                    **c.stats,
                }
            )
    engine.dispose()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--timeout", type=float, default=1.0, help="client timeout, seconds")
    parser.add_argument("--chatters", type=int, default=16)
    parser.add_argument("--lines", type=int, default=30)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url = new_database(args.db, tmp, "load")
        proc, port = start_app(url, tmp, args.chatters)
        base = f"http://127.0.0.1:{port}"
        try:
            stats = file_all(base, args.tickets, args.concurrency, args.timeout)
            stored, lost, duplicated = count_tickets(url, args.tickets)
            errors = stats["errors"]
            print(
                f"intake on {args.db}: {args.tickets} tickets at concurrency {args.concurrency}, "
                f"client timeout {args.timeout}s: {args.tickets / stats['seconds']:.1f} req/s; "
                f"timeouts {stats['timeouts']}, retries {stats['retries']} "
                f"(409 {stats['status_409']}, 429 {stats['status_429']}, "
                f"connection errors {stats['connection_errors']}), repeats answered 200: "
                f"{stats['repeats_answered']}; in the database {stored}: "
                f"errors {errors}, lost {lost}, duplicated {duplicated}"
            )
            results = storm(base, url, args.chatters, args.lines)
            for r in results:
                print(
                    f"  chatter {r['client']:2d}: drops {r.get('drops', 0):3d}, "
                    f"reconnects {r.get('reconnects', 0):3d}, resends {r.get('resends', 0):3d}, "
                    f"agent lines {r['agent_lines']:3d}; stored lost {r['stored_lost']}, "
                    f"dup {r['stored_dup']}; view lost {r['view_lost']}, dup {r['view_dup']}"
                )
            totals = {k: sum(r.get(k, 0) for r in results) for k in results[0]}
            print(
                f"chat storm: {args.chatters} clients x {args.lines} lines, "
                f"{totals['drops']} drops, {totals['reconnects']} reconnects, "
                f"{totals['resends']} resends, {totals['agent_lines']} agent lines: "
                f"lost {totals['stored_lost'] + totals['view_lost']}, "
                f"duplicated {totals['stored_dup'] + totals['view_dup']}"
            )
            failed = errors or lost or duplicated
            failed = failed or any(
                r["stored_lost"] or r["stored_dup"] or r["view_lost"] or r["view_dup"]
                for r in results
            )
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            drop_database(url)
    if failed:
        raise SystemExit("load: something was lost, duplicated or refused")


if __name__ == "__main__":
    main()
