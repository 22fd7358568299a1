"""Live chat delivery: the app's Socket.IO server vs a bare Flask-SocketIO relay, same load.

One asyncio process drives CLIENTS = 2 x ROOMS python-socketio AsyncClients over websocket:
in each ticket room a customer and an agent send chat lines at a steady rate, and every
line is timed from send to its arrival at the other party. Each round runs two phases:

- steady: every client sends RATE lines per second (under the app's per-socket limit);
- max: every client sends its next line as soon as the previous one is acked (closed loop),
  which finds the server's capacity. The app's per-socket limit (20 lines per 10 s) still
  applies, so 200 clients may send at most 400 lines/s once their bursts are spent, while
  the bare relay has no limit and stores nothing; refusals are counted. `--rate 2` runs
  the steady phase at that limit.

Rounds alternate app and bare (A B A B ...) and the summary gives medians and the median
app/bare throughput ratio with min and max. Lost = acked but never received by the peer;
duplicated = received twice by the same peer. RSS is the server process's peak.

    python bench/chat.py [--rooms 100] [--rate 1] [--seconds 15] [--max-seconds 8] [--pairs 2]
                         [--db sqlite|postgres] [--app-server gunicorn|werkzeug]

Both servers run the same way: by default one gevent worker under gunicorn (the production
recipe in README, "Production"); `--app-server werkzeug` compares make run's threading server.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import requests
import socketio
from procs import drop_database, free_port, new_database, wait_up

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
PASSWORD = "bench-pw"  # a throwaway password for a throwaway database
AGENT_ROOMS = 10  # one agent account chats in this many ticket rooms (a socket per room)
DRAIN_SECONDS = 60.0  # an overloaded server works off its backlog before the next phase
TARGETS = {"p99_ms": 50.0, "ratio": 0.5, "rss_mb": 300.0}
BODY = "Still seeing the VPN drop every few minutes, line "


# -- servers


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def provision_yaml(rooms: int) -> str:
    agents = max(1, -(-rooms // AGENT_ROOMS))
    lines = [
        "clients:",
        "  - slug: bench",
        "    name: Bench Corp",
        "    timezone: UTC",
        "    default_locale: en",
        "    sla:",  # as every real client has: chat lines start and fulfil response clocks
        "      high: {first_response: 60, next_response: 120, resolution: 480, calendar: 24x7}",
        "sites:",
        "  - {slug: hub, name: Hub, timezone: UTC}",
        "agents:",
    ]
    lines += [
        f"  - {{email: agent{i}@provider.test, name: Agent {i}, password: {PASSWORD}, "
        f"site: hub, languages: [en], clients: [bench], capacity: {AGENT_ROOMS}}}"
        for i in range(agents)
    ]
    lines.append("customers:")
    lines += [
        f"  - {{email: customer{i}@bench.test, name: Customer {i}, password: {PASSWORD}, "
        "client: bench}"
        for i in range(rooms)
    ]
    return "\n".join(lines) + "\n"


def start_app(url: str, tmp: Path, rooms: int, server: str = "werkzeug"):
    """Migrate, provision, serve `python wsgi.py`; file one ticket per customer.

    Returns the process, its port and the rooms as (ticket id, customer token, agent token).
    """
    env = dict(
        os.environ,
        DATABASE_URL=url,
        HELPDESK_INSTANCE=str(tmp / "instance"),
        SCHEDULER_ENABLED="0",
        SECRET_KEY="bench-chat",
        SOCKETIO_ASYNC_MODE="threading",
    )
    env.pop("SOCKETIO_MESSAGE_QUEUE", None)
    flask = [PY, "-m", "flask", "--app", "wsgi"]
    spec = tmp / "chat.yaml"
    spec.write_text(provision_yaml(rooms))
    for args in (["db", "upgrade"], ["provision", str(spec)]):
        subprocess.run([*flask, *args], cwd=ROOT, env=env, check=True, capture_output=True)
    port = free_port()
    env["PORT"] = str(port)
    command = [PY, "wsgi.py"]
    if server == "gunicorn":  # the production recipe: one gevent worker (gunicorn.conf.py)
        command = [PY, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"]
    with (tmp / "app.log").open("wb") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    wait_up(port, proc)
    base = f"http://127.0.0.1:{port}/api/v1"

    def token(email: str) -> str:
        answer = requests.post(
            base + "/auth/token", json={"email": email, "password": PASSWORD}, timeout=30
        )
        answer.raise_for_status()
        return answer.json()["token"]

    def ticket(customer_token: str) -> int:
        answer = requests.post(
            base + "/tickets",
            json={
                "subject": "VPN keeps dropping",
                "body": "Since this morning.",
                "priority": "high",
            },
            headers={"Authorization": f"Bearer {customer_token}"},
            timeout=30,
        )
        answer.raise_for_status()
        return answer.json()["id"]

    agents = max(1, -(-rooms // AGENT_ROOMS))
    with ThreadPoolExecutor(4) as pool:
        customer_tokens = list(pool.map(token, [f"customer{i}@bench.test" for i in range(rooms)]))
        agent_tokens = list(pool.map(token, [f"agent{i}@provider.test" for i in range(agents)]))
        tickets = list(pool.map(ticket, customer_tokens))
    pairs = [(tickets[i], customer_tokens[i], agent_tokens[i // AGENT_ROOMS]) for i in range(rooms)]
    return proc, port, pairs


def start_bare(rooms: int, server: str = "werkzeug"):
    """Serve bench/bare_chat.py the way the app is served; its rooms need no tokens."""
    port = free_port()
    command = [PY, str(ROOT / "bench" / "bare_chat.py")]
    env = dict(os.environ, PORT=str(port))
    if server == "gunicorn":  # the same worker as gunicorn.conf.py gives the app
        command = [PY, "-m", "gunicorn", "-k", "gevent", "-w", "1"]
        command += ["--bind", f"127.0.0.1:{port}", "--chdir", str(ROOT / "bench"), "bare_chat:app"]
        env["BARE_ASYNC_MODE"] = "gevent"
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_up(port, proc)
    return proc, port, [(i + 1, "bare", "bare") for i in range(rooms)]


# -- load


@dataclass
class Phase:
    """What one phase of one round saw."""

    name: str
    started: float = 0.0
    ended: float = 0.0
    sent: int = 0
    answered: int = 0  # acks received, ok or not
    acked: set = field(default_factory=set)
    refused: dict = field(default_factory=dict)  # error code -> count
    delivered: set = field(default_factory=set)
    in_window: int = 0  # deliveries received while the phase ran
    duplicated: int = 0
    latencies: list = field(default_factory=list)  # seconds, send -> the peer's receipt
    send_lag: list = field(default_factory=list)  # seconds behind schedule (load health)
    lost: int = 0  # acked but not at the peer when the drain gave up
    drain_seconds: float = 0.0

    def per_second(self) -> float:
        return self.in_window / (self.ended - self.started)


class Sock:
    """One client: a customer or an agent in one ticket room."""

    def __init__(self, index: int, ticket_id: int, token: str, load: Load):
        self.index, self.ticket_id, self.token, self.load = index, ticket_id, token, load
        self.sio = socketio.AsyncClient(reconnection=False)
        self.sio.on("message", self.on_message)
        self.seq = 0
        self.last_id = 0

    async def on_message(self, data) -> None:
        now = time.perf_counter_ns()
        message = data["message"]
        self.last_id = max(self.last_id, message["id"])
        phase_name, sender, _seq, sent_ns = message["client_msg_id"].split(".")
        if int(sender) == self.index:
            return  # our own line coming back from the room
        phase = self.load.phases[phase_name]
        cmid = message["client_msg_id"]
        if cmid in phase.delivered:
            phase.duplicated += 1
            return
        phase.delivered.add(cmid)
        phase.latencies.append((now - int(sent_ns)) / 1e9)
        if phase.started <= now / 1e9 <= phase.ended or not phase.ended:
            phase.in_window += 1

    def payload(self, phase: Phase) -> dict:
        self.seq += 1
        cmid = f"{phase.name}.{self.index}.{self.seq}.{time.perf_counter_ns()}"
        phase.sent += 1
        return {"ticket_id": self.ticket_id, "body": BODY + str(self.seq), "client_msg_id": cmid}

    def on_ack(self, phase: Phase, cmid: str, ack: dict) -> float:
        """Book an ack; returns the seconds to wait before sending again (rate limits)."""
        phase.answered += 1
        if ack.get("ok"):
            phase.acked.add(cmid)
            return 0.0
        code = ack["error"]["code"]
        phase.refused[code] = phase.refused.get(code, 0) + 1
        return float(ack["error"].get("retry_after", 0.5))


class Load:
    """All clients of one round."""

    def __init__(self, url: str, rooms: list[tuple[int, str, str]]):
        self.url = url
        self.socks = []
        for ticket_id, customer_token, agent_token in rooms:
            for token in (customer_token, agent_token):
                self.socks.append(Sock(len(self.socks), ticket_id, token, self))
        self.phases: dict[str, Phase] = {}

    async def open(self, since: dict[int, int]) -> None:
        sem = asyncio.Semaphore(20)

        async def one(s: Sock) -> None:
            async with sem:
                await s.sio.connect(
                    self.url, transports=["websocket"], auth={"token": s.token}, wait_timeout=30
                )
                ack = await s.sio.call(
                    "join_ticket",
                    {"ticket_id": s.ticket_id, "since_id": since.get(s.ticket_id, 0)},
                    timeout=30,
                )
                if not ack.get("ok"):
                    raise SystemExit(f"join_ticket refused: {ack}")

        await asyncio.gather(*(one(s) for s in self.socks))

    async def close(self) -> dict[int, int]:
        await asyncio.gather(*(s.sio.disconnect() for s in self.socks))
        last: dict[int, int] = {}
        for s in self.socks:
            last[s.ticket_id] = max(last.get(s.ticket_id, 0), s.last_id)
        return last

    async def steady(self, rate: float, seconds: float) -> Phase:
        """Each client sends `rate` lines per second, phases spread at random."""
        phase = self.phases.setdefault("steady", Phase("steady"))
        loop = asyncio.get_running_loop()
        interval = 1.0 / rate
        start = loop.time() + 0.2
        end = start + seconds

        async def sender(s: Sock) -> None:
            due = start + random.uniform(0, interval)  # noqa: S311
            hold_until = 0.0
            while due < end:
                await asyncio.sleep(max(0.0, due - loop.time()))
                if loop.time() >= hold_until:
                    phase.send_lag.append(loop.time() - due)
                    data = s.payload(phase)
                    cmid = data["client_msg_id"]

                    def acked(ack, cmid=cmid):
                        nonlocal hold_until
                        wait = s.on_ack(phase, cmid, ack)
                        if wait:
                            hold_until = loop.time() + wait

                    await s.sio.emit("send_message", data, callback=acked)
                due += interval

        await asyncio.sleep(max(0.0, start - loop.time()))
        phase.started = time.perf_counter()
        await asyncio.gather(*(sender(s) for s in self.socks))
        phase.ended = time.perf_counter()
        await self.drain(phase)
        return phase

    async def max(self, seconds: float) -> Phase:
        """Each client sends its next line when the previous one is acked."""
        phase = self.phases.setdefault("max", Phase("max"))
        phase.started = time.perf_counter()
        end = phase.started + seconds

        async def sender(s: Sock) -> None:
            while time.perf_counter() < end:
                data = s.payload(phase)
                try:
                    ack = await s.sio.call("send_message", data, timeout=30)
                except socketio.exceptions.TimeoutError:
                    phase.answered += 1
                    phase.refused["timeout"] = phase.refused.get("timeout", 0) + 1
                    continue
                wait = s.on_ack(phase, data["client_msg_id"], ack)
                if wait:
                    await asyncio.sleep(min(wait, max(0.0, end - time.perf_counter())))

        await asyncio.gather(*(sender(s) for s in self.socks))
        phase.ended = time.perf_counter()
        await self.drain(phase)
        return phase

    async def drain(self, phase: Phase) -> None:
        """Wait (bounded) for acks and for acked lines still on their way to the peer."""
        started = time.perf_counter()
        while (phase.answered < phase.sent or phase.acked - phase.delivered) and (
            time.perf_counter() < started + DRAIN_SECONDS
        ):
            await asyncio.sleep(0.05)
        phase.drain_seconds = time.perf_counter() - started
        phase.lost = len(phase.acked - phase.delivered)


class Sampler:
    """Peak RSS and CPU use of the server (its process and children: gunicorn's worker)."""

    def __init__(self, pid: int):
        self.proc = psutil.Process(pid)
        self.me = psutil.Process()
        self.rss_max = 0

    def tree(self) -> list[psutil.Process]:
        return [self.proc, *self.proc.children(recursive=True)]

    async def run(self) -> None:
        while True:
            self.rss_max = max(self.rss_max, sum(p.memory_info().rss for p in self.tree()))
            await asyncio.sleep(0.25)

    def cpu(self) -> tuple[float, float]:
        server = sum(t.user + t.system for t in (p.cpu_times() for p in self.tree()))
        mine = self.me.cpu_times()
        return server, mine.user + mine.system


@dataclass
class Round:
    """One server's run: its phases and resources."""

    server: str
    phases: dict
    rss_mb: float
    cpu: dict  # phase -> (server cpu share, load cpu share) of one core


async def run_round(server, port, pid, rooms, since, args) -> Round:
    load = Load(f"http://127.0.0.1:{port}", rooms)
    sampler = Sampler(pid)
    sampling = asyncio.create_task(sampler.run())
    await load.open(since.setdefault(server, {}))
    cpu = {}
    try:
        c0, t0 = sampler.cpu(), time.perf_counter()
        await load.steady(args.rate, args.seconds)
        c1, t1 = sampler.cpu(), time.perf_counter()
        cpu["steady"] = ((c1[0] - c0[0]) / (t1 - t0), (c1[1] - c0[1]) / (t1 - t0))
        if args.max_seconds > 0:
            await load.max(args.max_seconds)
            c2, t2 = sampler.cpu(), time.perf_counter()
            cpu["max"] = ((c2[0] - c1[0]) / (t2 - t1), (c2[1] - c1[1]) / (t2 - t1))
    finally:
        since[server] = await load.close()
        sampling.cancel()
    return Round(server, load.phases, sampler.rss_max / 2**20, cpu)


# -- report


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def describe(r: Round, name: str) -> str:
    p = r.phases[name]
    server_cpu, load_cpu = r.cpu.get(name, (0.0, 0.0))
    refused = ",".join(f"{k}:{v}" for k, v in sorted(p.refused.items())) or "0"
    return (
        f"{r.server:4} {name:6} sent {p.sent:6} acked {len(p.acked):6} refused {refused:>8} "
        f"unanswered {p.sent - p.answered} "
        f"delivered {p.per_second():7.1f}/s  p50 {pct(p.latencies, 0.5) * 1e3:6.1f} ms  "
        f"p99 {pct(p.latencies, 0.99) * 1e3:7.1f} ms  lost {p.lost}  dup {p.duplicated}  "
        f"rss {r.rss_mb:5.1f} MB  cpu server {server_cpu:4.0%} load {load_cpu:4.0%}  "
        f"server cpu/line {cpu_per_line(r, name):.2f} ms  "
        f"backlog drained in {p.drain_seconds:.1f} s  "
        f"send lag p99 {pct(p.send_lag, 0.99) * 1e3:.0f} ms"
    )


def cpu_per_line(r: Round, name: str) -> float:
    """Server CPU (ms of one core) per delivered line in the phase."""
    rate = r.phases[name].per_second()
    return r.cpu.get(name, (0.0, 0.0))[0] * 1e3 / rate if rate else float("nan")


def summary(rounds: list[Round], name: str) -> None:
    app = [r for r in rounds if r.server == "app"]
    bare = [r for r in rounds if r.server == "bare"]
    ratios = [
        a.phases[name].per_second() / b.phases[name].per_second()
        for a, b in zip(app, bare, strict=True)
    ]

    def med(rs, f):
        return statistics.median(f(r) for r in rs)

    print(f"\n{name} phase, medians over {len(app)} app and {len(bare)} bare rounds:")
    for label, rs in (("app", app), ("bare", bare)):
        print(
            f"  {label:4}: {med(rs, lambda r: r.phases[name].per_second()):7.1f} deliveries/s, "
            f"p50 {med(rs, lambda r: pct(r.phases[name].latencies, 0.5)) * 1e3:6.1f} ms, "
            f"p99 {med(rs, lambda r: pct(r.phases[name].latencies, 0.99)) * 1e3:7.1f} ms, "
            f"lost {sum(r.phases[name].lost for r in rs)}, "
            f"duplicated {sum(r.phases[name].duplicated for r in rs)}, "
            f"peak RSS {max(r.rss_mb for r in rs):5.1f} MB, "
            f"server CPU {med(rs, lambda r: cpu_per_line(r, name)):.2f} ms/line"
        )
    app_p99 = med(app, lambda r: pct(r.phases[name].latencies, 0.99)) * 1e3
    lost = sum(r.phases[name].lost for r in app)
    dup = sum(r.phases[name].duplicated for r in app)
    rss = max(r.rss_mb for r in app)
    cpu_ratio = med(app, lambda r: cpu_per_line(r, name)) / med(
        bare, lambda r: cpu_per_line(r, name)
    )
    print(f"  app/bare server CPU per line: {cpu_ratio:.2f} (target <= 3)")
    print(
        f"  app/bare throughput ratio: median {statistics.median(ratios):.2f} "
        f"(min {min(ratios):.2f}, max {max(ratios):.2f})"
    )
    print(
        f"  targets: p99 {app_p99:.1f} ms < {TARGETS['p99_ms']:.0f} ms "
        f"[{'ok' if app_p99 < TARGETS['p99_ms'] else 'MISSED'}]; "
        f"ratio {statistics.median(ratios):.2f} >= {TARGETS['ratio']} "
        f"[{'ok' if statistics.median(ratios) >= TARGETS['ratio'] else 'MISSED'}]; "
        f"lost {lost} = 0 [{'ok' if lost == 0 else 'MISSED'}]; "
        f"duplicated {dup} = 0 [{'ok' if dup == 0 else 'MISSED'}]; "
        f"RSS {rss:.0f} MB < {TARGETS['rss_mb']:.0f} MB "
        f"[{'ok' if rss < TARGETS['rss_mb'] else 'MISSED'}]"
    )


def log_errors(path: Path) -> list[str]:
    """The exceptions the app logged, counted by their last traceback line."""
    if not path.exists():
        return []
    counts: dict[str, int] = {}
    lines = path.read_text(errors="replace").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            j = i + 1
            while j < len(lines) and (lines[j].startswith(" ") or not lines[j].strip()):
                j += 1
            if j < len(lines):
                counts[lines[j][:160]] = counts.get(lines[j][:160], 0) + 1
    return [f"{n} x {text}" for text, n in sorted(counts.items(), key=lambda kv: -kv[1])]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rooms", type=int, default=100, help="ticket rooms (2 clients each)")
    parser.add_argument("--rate", type=float, default=1.0, help="lines/s per client, steady")
    parser.add_argument("--seconds", type=float, default=15.0, help="steady phase length")
    parser.add_argument("--max-seconds", type=float, default=8.0, help="0 skips the max phase")
    parser.add_argument("--pairs", type=int, default=2, help="app/bare round pairs (A B A B)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument(
        "--app-server",
        choices=["werkzeug", "gunicorn"],
        default="gunicorn",
        help="gunicorn (default, the production recipe): gunicorn.conf.py's one gevent worker, "
        "and the bare relay in the same worker; werkzeug: `python wsgi.py` (make run's "
        "threading server) and a threading bare relay",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        url = new_database(args.db, tmp, "chat")
        procs = []
        try:
            print(f"setting up: {args.rooms} rooms, {2 * args.rooms} clients, {args.db} ...")
            app_proc, app_port, app_rooms = start_app(url, tmp, args.rooms, args.app_server)
            procs.append(app_proc)
            bare_proc, bare_port, bare_rooms = start_bare(args.rooms, args.app_server)
            procs.append(bare_proc)
            servers = {
                "app": (app_port, app_proc.pid, app_rooms),
                "bare": (bare_port, bare_proc.pid, bare_rooms),
            }
            rounds: list[Round] = []
            since: dict = {}
            warm = argparse.Namespace(rate=args.rate, seconds=2.0, max_seconds=0)
            for name in ("app", "bare"):  # first requests fill caches: not measured
                port, pid, rooms = servers[name]
                asyncio.run(run_round(name, port, pid, rooms, since, warm))
            for _pair in range(args.pairs):
                for name in ("app", "bare"):
                    port, pid, rooms = servers[name]
                    result = asyncio.run(run_round(name, port, pid, rooms, since, args))
                    rounds.append(result)
                    for phase in result.phases:
                        print(describe(result, phase), flush=True)
        finally:
            for proc in procs:
                stop(proc)
            drop_database(url)
            errors = log_errors(tmp / "app.log")
    print(
        f"\n{2 * args.rooms} clients in {args.rooms} rooms; steady {args.rate:g} line/s per "
        f"client for {args.seconds:g} s; max (closed loop) {args.max_seconds:g} s"
    )
    print("app server errors logged: " + ("; ".join(errors) if errors else "none"))
    summary(rounds, "steady")
    if args.max_seconds > 0:
        summary(rounds, "max")


if __name__ == "__main__":
    main()
