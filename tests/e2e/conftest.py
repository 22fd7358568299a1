"""A real server (`python wsgi.py`) on a fresh database, and Debian's Chromium through Playwright.

The server is migrated and provisioned from a small YAML (a client, a site on shift around the
clock, an agent who goes online, a supervisor, a customer). Browser tests sign people in through
the real forms; a failing test leaves a screenshot of each of its pages in test-results/.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests

from tests import serverproc
from tests.serverproc import Database, free_port, run_checked

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"
CHROMIUM = Path("/usr/bin/chromium")
RESULTS = ROOT / "test-results"
WAIT = 15.0  # seconds any one step of the set-up may take
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

PASSWORD = "e2e-password"
INTAKE_TOKEN = "e2e-intake-secret"
PEOPLE = {
    "kei": {"email": "kei@example.test", "login": "/c/acme/login"},
    "ana": {"email": "ana@provider.test", "login": "/login"},
    "sam": {"email": "sam@acme.test", "login": "/login"},
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TARGETS = "{first_response: 240, next_response: 480, resolution: 1440, calendar: 24x7}"


def client_yaml(intake_token: str) -> str:
    """The provisioning file's `clients:` section: Acme in UTC, 24x7 targets at every priority."""
    return f"""clients:
  - slug: acme
    name: Acme Corp
    timezone: UTC
    default_locale: en
    intake_token: {intake_token}
    sla: {{urgent: {TARGETS}, high: {TARGETS}, normal: {TARGETS}, low: {TARGETS}}}
"""


PROVISION = f"""
{client_yaml(INTAKE_TOKEN)}sites:
  - slug: hub
    name: Hub
    timezone: UTC
    shifts: {{{", ".join(f'{day}: ["00:00-24:00"]' for day in DAYS)}}}
agents:
  - {{email: {PEOPLE["ana"]["email"]}, name: Ana, password: {PASSWORD}, site: hub,
     languages: [en], clients: [acme], capacity: 100}}
supervisors:
  - {{email: {PEOPLE["sam"]["email"]}, name: Sam, password: {PASSWORD}, client: acme,
     timezone: UTC}}
customers:
  - {{email: {PEOPLE["kei"]["email"]}, name: Kei, password: {PASSWORD}, client: acme,
     locale: en, timezone: UTC}}
"""


def redis_reachable() -> bool:
    """Whether the Redis server answers (then the server takes pushes from other processes)."""
    return serverproc.redis_reachable(REDIS_URL)


wait_until = functools.partial(serverproc.wait_until, timeout=WAIT, interval=0.05)


# One scheduler tick `days` ahead of now, from a process that serves nobody: what it writes
# reaches the browsers through the message queue, as in production.
TICK = """
import sys
from datetime import UTC, datetime, timedelta
from helpdesk import create_app, scheduler
app = create_app()
with app.app_context():
    print(scheduler.sla_tick(datetime.now(UTC) + timedelta(days=int(sys.argv[1]))))
"""

# The path of the newest account link (kind "confirm" or "password") mailed to an address.
MAILED_LINK = """
import re, sys
from urllib.parse import urlsplit
from sqlalchemy import select
from helpdesk import create_app
from helpdesk.extensions import db
from helpdesk.models import OutboundMail, User
from helpdesk.notify import outbound
app = create_app()
with app.app_context():
    mail = db.session.scalars(
        select(OutboundMail).join(User, OutboundMail.user_id == User.id)
        .where(User.email == sys.argv[1], OutboundMail.kind == sys.argv[2])
        .order_by(OutboundMail.id.desc())
    ).first()
    body = outbound.render(db.session, mail).get_content()
    print(urlsplit(re.findall(r"https?://\\S+", body)[0]).path)
"""


class LiveServer:
    """`python wsgi.py` (threading mode, no scheduler) on a free port and its own database;
    with Redis running, on a message queue channel of its own, so other processes can push."""

    def __init__(self, tmp: Path, *, prefix: str = "e2e", settings: dict | None = None):
        self.tmp = tmp
        self.prefix = prefix
        self.database = Database(tmp, prefix)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tmp / "server.log"
        self.env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("SOCKETIO_MESSAGE_QUEUE", "SOCKETIO_CHANNEL")
        } | {
            "DATABASE_URL": self.database.url,
            "SECRET_KEY": uuid.uuid4().hex,
            "HELPDESK_INSTANCE": str(tmp / "instance"),
            "SCHEDULER_ENABLED": "0",
            "SOCKETIO_ASYNC_MODE": "threading",
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
            "PYTHONUNBUFFERED": "1",
        }
        self.queue = redis_reachable()
        if self.queue:
            self.env |= {
                "SOCKETIO_MESSAGE_QUEUE": REDIS_URL,
                "SOCKETIO_CHANNEL": f"helpdesk-{prefix}-{uuid.uuid4().hex}",
            }
        self.env |= settings or {}
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        """Create, migrate and provision the database, start the server, put the agent online."""
        self.migrate()
        self.launch(PROVISION)
        self.api("PUT", "/agents/me/status", token=self.token("ana"), json={"status": "online"})

    def migrate(self) -> None:
        """Create the empty database and its schema."""
        self.database.create()
        self.flask("db", "upgrade")

    def launch(self, provision: str) -> None:
        """Load the provisioning file, start `python wsgi.py` and wait until it answers."""
        spec = self.tmp / f"{self.prefix}.yaml"
        spec.write_text(provision)
        self.flask("provision", str(spec))
        with self.log.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "wsgi.py"], cwd=ROOT, env=self.env, stdout=log, stderr=log
            )
        wait_until(self._answers, "the server to answer HTTP")

    def stop(self) -> None:
        """Stop the server and drop its database."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        self.database.drop()

    def _answers(self) -> bool:
        if self.proc.poll() is not None:
            raise AssertionError(f"the server exited:\n{self.log_tail()}")
        try:
            return requests.get(self.url + "/api/v1/openapi.json", timeout=1).ok
        except requests.ConnectionError:
            return False

    def flask(self, *args: str) -> None:
        """Run a `flask --app wsgi` command against the server's database."""
        run_checked(["-m", "flask", "--app", "wsgi", *args], env=self.env, what=f"flask {args}")

    def tick(self, days: int) -> str:
        """Run the scheduler's SLA scan `days` ahead in another process (needs the message queue).

        Only the SLA part: follow-the-sun that far ahead would find every agent idle.
        """
        return run_checked(["-c", TICK, str(days)], env=self.env, what="the tick")

    def mailed_link(self, email: str, kind: str = "confirm") -> str:
        """The absolute URL of the newest account link mailed to `email`, on this server."""
        path = run_checked(["-c", MAILED_LINK, email, kind], env=self.env, what="the mailed link")
        return self.url + path.strip()

    def token(self, who: str) -> str:
        """A fresh API token for one of PEOPLE."""
        answer = self.api(
            "POST",
            "/auth/token",
            json={"email": PEOPLE[who]["email"], "password": PASSWORD},
        )
        return answer["token"]

    def api(self, method: str, path: str, *, token: str | None = None, **kwargs) -> dict:
        """Call the HTTP API; fails unless the answer is 2xx."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        answer = requests.request(
            method, self.url + "/api/v1" + path, headers=headers, timeout=WAIT, **kwargs
        )
        assert answer.ok, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json()

    def file_ticket(self, subject: str, body: str = "Filed through the API.") -> dict:
        """A ticket filed with the client's intake token, as an integration would."""
        return self.api(
            "POST",
            "/tickets",
            token=INTAKE_TOKEN,
            json={
                "subject": subject,
                "body": body,
                "requester": {"email": PEOPLE["kei"]["email"]},
            },
        )

    def log_tail(self, lines: int = 40) -> str:
        """The end of the server's output, for failure messages."""
        content = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(content.splitlines()[-lines:])


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the test item, so fixtures can tell a failure."""
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The server, started once for the e2e tests; stopped and its database dropped after."""
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y --no-install-recommends chromium)")
    server = LiveServer(tmp_path_factory.mktemp("e2e"))
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def chromium(live_server):
    """Debian's Chromium, headless, launched once."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def sign_in(request, live_server, chromium):
    """sign_in(who, width=1280) -> a page of a new browser context, signed in as `who`
    (sign_in(None): an anonymous visitor's page). Failing tests get screenshots of these pages."""
    pages = []

    def open_as(who: str | None, *, width: int = 1280, height: int = 900):
        context = chromium.new_context(
            viewport={"width": width, "height": height}, locale="en-US", timezone_id="UTC"
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        pages.append((who or "anonymous", page))
        if who is None:
            return page
        page.goto(live_server.url + PEOPLE[who]["login"])
        page.get_by_label("E-mail").fill(PEOPLE[who]["email"])
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    yield open_as
    call = getattr(request.node, "report_call", None)
    if call is not None and call.failed:
        RESULTS.mkdir(exist_ok=True)
        for n, (who, page) in enumerate(pages):
            name = f"{request.node.name}-{n}-{who}.png"
            try:
                page.screenshot(path=str(RESULTS / name), full_page=True)
            except Exception as exc:  # a crashed page must not hide the test's own failure
                print(f"no screenshot of {who}'s page: {exc}")
    for _who, page in pages:
        page.context.close()
