"""Two real server processes on one database and one Redis channel, and real Socket.IO peers."""

from __future__ import annotations

import functools
import json
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable
from pathlib import Path

import redis
import requests
import socketio

from tests import serverproc
from tests.serverproc import Database, free_port, run_checked

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
WAIT = 10.0  # seconds: the longest any single step may take before the test fails

PASSWORD = "scaleout-pw"
PEOPLE = {
    "kei": "kei@scale.test",  # the customer
    "ana": "ana@provider.test",  # an agent
    "ben": "ben@provider.test",  # another agent
}
PROVISION = f"""
clients:
  - slug: scale
    name: Scale Corp
    timezone: UTC
    default_locale: en
    sla:
      urgent: {{first_response: 30, next_response: 60, resolution: 240, calendar: 24x7}}
      high: {{first_response: 60, next_response: 120, resolution: 480, calendar: 24x7}}
      normal: {{first_response: 240, next_response: 480, resolution: 1440, calendar: 24x7}}
      low: {{first_response: 480, next_response: 960, resolution: 2880, calendar: 24x7}}
sites:
  - slug: hub
    name: Hub
    timezone: UTC
agents:
  - {{email: {PEOPLE["ana"]}, name: Ana, password: {PASSWORD}, site: hub, languages: [en],
     clients: [scale], capacity: 5}}
  - {{email: {PEOPLE["ben"]}, name: Ben, password: {PASSWORD}, site: hub, languages: [en],
     clients: [scale], capacity: 5}}
customers:
  - {{email: {PEOPLE["kei"]}, name: Kei, password: {PASSWORD}, client: scale}}
"""


def redis_reachable(url: str = REDIS_URL) -> bool:
    """Whether the Redis server answers a ping."""
    return serverproc.redis_reachable(url)


wait_until = functools.partial(serverproc.wait_until, timeout=WAIT, interval=0.02)


class Server:
    """One `python wsgi.py` process."""

    def __init__(self, name: str, env: dict, log_dir: Path):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"server-{name}.log"
        self.env = env | {"HOST": "127.0.0.1", "PORT": str(self.port)}
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Launch the process (returns at once; see wait_ready)."""
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "wsgi.py"],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self) -> None:
        """Wait until the server answers HTTP."""

        def up() -> bool:
            if self.proc.poll() is not None:
                raise AssertionError(f"server {self.name} exited:\n{self.log_tail()}")
            try:
                return requests.get(self.url + "/api/v1/openapi.json", timeout=1).ok
            except requests.ConnectionError:
                return False

        wait_until(up, f"server {self.name} to answer HTTP")

    def stop(self) -> None:
        """Terminate the process, killing it if it does not exit promptly."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=5)

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output, for failure messages."""
        text_ = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text_.splitlines()[-lines:])


class Cluster:
    """Servers A and B sharing a database and a Redis channel unique to this run."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        self.database = Database(tmp, "scaleout")
        self.channel = f"helpdesk-scaleout-{uuid.uuid4().hex}"
        self.env = os.environ | {
            "DATABASE_URL": self.database.url,
            "SECRET_KEY": uuid.uuid4().hex,
            "HELPDESK_INSTANCE": str(tmp / "instance"),
            "SCHEDULER_ENABLED": "0",
            "SOCKETIO_ASYNC_MODE": "threading",
            "SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
            "SOCKETIO_CHANNEL": self.channel,
            "PYTHONUNBUFFERED": "1",
        }
        self.servers = {name: Server(name, self.env, tmp) for name in ("a", "b")}
        self.tokens: dict[str, str] = {}

    def start(self) -> None:
        """Create, migrate and provision the database, start both servers, sign everyone in."""
        self.database.create()
        spec = self.tmp / "scaleout.yaml"
        spec.write_text(PROVISION)
        self.flask("db", "upgrade")
        self.flask("provision", str(spec))
        for server in self.servers.values():
            server.start()
        for server in self.servers.values():
            server.wait_ready()
        for who, email in PEOPLE.items():
            answer = requests.post(
                self.url("a") + "/api/v1/auth/token",
                json={"email": email, "password": PASSWORD},
                timeout=WAIT,
            )
            assert answer.status_code == 200, answer.text
            self.tokens[who] = answer.json()["token"]

    def stop(self) -> None:
        """Stop both servers and drop the database."""
        for server in self.servers.values():
            server.stop()
        self.database.drop()

    def flask(self, *args: str) -> str:
        """Run a `flask --app wsgi` command against the cluster's database."""
        return run_checked(
            ["-m", "flask", "--app", "wsgi", *args], env=self.env, what=f"flask {args}", timeout=60
        )

    def run_tick(self, days: int) -> dict:
        """One scheduler tick `days` ahead of now, in a third process that serves nobody."""
        out = run_checked(
            [str(Path(__file__).with_name("scaleout_tick.py")), str(days)],
            env=self.env,
            what="tick",
            timeout=60,
        )
        return json.loads(out.strip().splitlines()[-1])

    def url(self, server: str) -> str:
        """The base URL of server "a" or "b"."""
        return self.servers[server].url

    def api(self, method: str, path: str, who: str, **kwargs) -> dict:
        """Call the HTTP API on server A as `who`; fails unless the answer is 2xx."""
        answer = requests.request(
            method,
            self.url("a") + "/api/v1" + path,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
            timeout=WAIT,
            **kwargs,
        )
        assert answer.ok, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def subscribers(self) -> int:
        """How many processes listen on the cluster's Redis channel."""
        client = redis.Redis.from_url(REDIS_URL)
        try:
            return dict(client.pubsub_numsub(self.channel)).get(self.channel.encode(), 0)
        finally:
            client.close()

    def logs(self) -> str:
        """Both servers' recent output, for failure messages."""
        return "\n".join(f"--- {s.name}\n{s.log_tail()}" for s in self.servers.values())


class Peer:
    """A real python-socketio client over websocket that records every event it receives."""

    def __init__(self, name: str):
        self.name = name
        self.sio = socketio.Client(reconnection=False)
        self.received: list[tuple[str, dict]] = []
        self._lock = threading.Lock()
        self.sio.on("*", self._record)

    def _record(self, event: str, data=None) -> None:
        with self._lock:
            self.received.append((event, data))

    def connect(self, url: str, token: str) -> Peer:
        """Open the connection, authenticated by an API token."""
        self.sio.connect(url, transports=["websocket"], auth={"token": token}, wait_timeout=WAIT)
        return self

    def call(self, event: str, payload: dict) -> dict:
        """Emit an event and return its ack."""
        return self.sio.call(event, payload, timeout=WAIT)

    def join(self, ticket_id: int, since_id: int | None = None) -> dict:
        """join_ticket, asserting it was accepted."""
        payload = {"ticket_id": ticket_id}
        if since_id is not None:
            payload["since_id"] = since_id
        ack = self.call("join_ticket", payload)
        assert ack["ok"], ack
        return ack

    def say(self, ticket_id: int, body: str, client_msg_id: str, **extra) -> dict:
        """send_message, asserting it was stored; returns the stored message."""
        payload = {"ticket_id": ticket_id, "body": body, "client_msg_id": client_msg_id}
        ack = self.call("send_message", payload | extra)
        assert ack["ok"], ack
        return ack["message"]

    def events(self, name: str, ticket_id: int | None = None) -> list[dict]:
        """Payloads of `name` events received so far (for one ticket, if given)."""
        with self._lock:
            found = [data for event, data in self.received if event == name]
        if ticket_id is None:
            return found
        return [d for d in found if _ticket_of(d) == ticket_id]

    def messages(self, ticket_id: int) -> list[dict]:
        """The thread entries pushed live for a ticket, in arrival order."""
        return [e["message"] for e in self.events("message", ticket_id)]

    def wait_for(self, check: Callable[[Peer], object], what: str) -> object:
        """Wait until `check(self)` holds; fail with what this peer did receive."""
        try:
            return wait_until(lambda: check(self), f"{self.name} to receive {what}")
        except AssertionError as exc:
            with self._lock:
                seen = [event for event, _ in self.received]
            raise AssertionError(f"{exc}; it received {seen}") from None

    def drop(self) -> None:
        """Lose the connection abruptly, as on a network failure (no goodbye to the server)."""
        # The websocket's TCP socket is shut down under the client, which then sees a
        # transport error; the server only learns of it from the closed connection.
        self.sio.eio.ws.sock.shutdown(socket.SHUT_RDWR)
        wait_until(lambda: not self.sio.connected, f"{self.name}'s connection to drop")

    def close(self) -> None:
        """Disconnect if still connected."""
        if self.sio.connected:
            self.sio.disconnect()


def close_all(peers: list[Peer]) -> None:
    """Disconnect peers side by side: each close waits up to 3 s for a websocket close frame
    that the client's own read loop consumes (websocket-client), so one by one adds up."""
    closers = [threading.Thread(target=p.close) for p in peers]
    for t in closers:
        t.start()
    for t in closers:
        t.join(timeout=WAIT)


def _ticket_of(payload: dict) -> int | None:
    if "ticket_id" in payload:
        return payload["ticket_id"]
    return payload.get("ticket", {}).get("id")
