"""Follow-the-sun runs by itself: a real server (`python wsgi.py`, its scheduler on) hands an
open ticket over when its owner's shift ends and gives a waiting ticket to the agent whose
shift starts, within 60 s of that instant (API.md, "Follow-the-sun at run time"), while
nobody does anything but read tickets through the public API.

The shifts are built around the clock: the handover instant B is the start of the minute
after next, so one test run takes two to three minutes.
"""

from __future__ import annotations

import os
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from tests.e2e.conftest import LiveServer, client_yaml

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
# Faster than the 30 s default; the assertions hold for any tick of 30 s or less.
TICK_SECONDS = os.environ.get("E2E_SCHEDULER_TICK_SECONDS", "5")
CONTRACT = timedelta(seconds=60)  # "within 60 s of the instant"
MARGIN = timedelta(seconds=15)  # the set-up must leave this long before B
WAIT = 15.0  # seconds any one step of the set-up may take
PASSWORD = "sun-password"
INTAKE_TOKEN = "sun-intake-secret"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
AGENTS = {
    "ana": {"email": "ana@provider.test", "name": "Ana", "site": "early", "languages": "[en]"},
    "bo": {"email": "bo@provider.test", "name": "Bo", "site": "late", "languages": "[en]"},
    "jun": {"email": "jun@provider.test", "name": "Jun", "site": "tokyo", "languages": "[ja]"},
}


def minute(moment: datetime) -> datetime:
    """The start of the minute `moment` falls in."""
    return moment.replace(second=0, microsecond=0)


def shift(start: datetime, end: datetime) -> str:
    """One interval of UTC site time as a provisioning `shifts` map: listed under the weekday
    it starts on, its end past midnight when it crosses one (API.md)."""
    assert timedelta(0) < end - start < timedelta(days=1)
    return f'{{{DAYS[start.weekday()]}: ["{start:%H:%M}-{end:%H:%M}"]}}'


def provisioning(now: datetime, handover: datetime) -> str:
    """One client served by three sites: `early` on shift from before `now` until `handover`,
    `late` (English) and `tokyo` (Japanese, the only speaker) on shift from `handover`."""
    early = shift(minute(now) - timedelta(minutes=5), handover)
    later = shift(handover, handover + timedelta(hours=1))
    sites = "\n".join(
        f"  - {{slug: {slug}, name: {slug.title()}, timezone: UTC, shifts: {hours}}}"
        for slug, hours in (("early", early), ("late", later), ("tokyo", later))
    )
    agents = "\n".join(
        f"  - {{email: {a['email']}, name: {a['name']}, password: {PASSWORD}, site: {a['site']},"
        f" languages: {a['languages']}, clients: [acme], capacity: 5}}"
        for a in AGENTS.values()
    )
    return f"""
{client_yaml(INTAKE_TOKEN)}sites:
{sites}
agents:
{agents}
"""


class SunServer(LiveServer):
    """The e2e live server with its scheduler ticking every TICK_SECONDS, no rate limits."""

    def __init__(self, tmp: Path):
        super().__init__(
            tmp,
            prefix="sun",
            settings={
                "SCHEDULER_ENABLED": "1",
                "SCHEDULER_TICK_SECONDS": TICK_SECONDS,
                "RATELIMIT_ENABLED": "0",
            },
        )

    def sign_in(self, who: str) -> str:
        """An API token for one of AGENTS."""
        answer = requests.post(
            self.url + "/api/v1/auth/token",
            json={"email": AGENTS[who]["email"], "password": PASSWORD},
            timeout=WAIT,
        )
        assert answer.ok, f"signing {who} in: {answer.status_code} {answer.text}"
        return answer.json()["token"]

    def file_in(self, locale: str, subject: str) -> dict:
        """A ticket filed with the client's intake token, as an integration would."""
        return self.api(
            "POST",
            "/tickets",
            token=INTAKE_TOKEN,
            json={
                "subject": subject,
                "body": "Filed through the API.",
                "locale": locale,
                "requester": {"email": f"{locale}-customer@example.test", "name": "Kei"},
            },
        )

    def output(self) -> str:
        """What the server wrote to stdout and stderr, but the access log of the polling."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        lines = text.splitlines()
        kept = [line for line in lines if '"GET /api/v1/tickets/' not in line]
        return "\n".join([*kept, f"({len(lines) - len(kept)} polling requests left out)"])


@pytest.fixture
def server(request, tmp_path):
    """The server (started by the test, which knows the shifts); stopped and its database
    dropped after. A failing test prints the server's whole output."""
    sun = SunServer(tmp_path)
    try:
        yield sun
    finally:
        call = getattr(request.node, "report_call", None)
        if call is None or call.failed:
            print(f"--- the server's output ---\n{sun.output()}", file=sys.stderr)
        sun.stop()


def iso(moment: datetime) -> str:
    """A UTC instant as the API writes it."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def assignee(ticket: dict) -> str | None:
    """The name of the ticket's assignee, or None."""
    return ticket["assignee"]["name"] if ticket["assignee"] else None


def test_a_real_server_hands_over_at_shift_end_and_picks_up_at_shift_start_untouched(server):
    server.migrate()
    now = datetime.now(UTC)
    handover = minute(now) + timedelta(minutes=2)  # B: 60 to 120 s from now
    server.launch(provisioning(now, handover))

    tokens = {who: server.sign_in(who) for who in AGENTS}
    for token in tokens.values():
        server.api("PUT", "/agents/me/status", token=token, json={"status": "online"})

    english = server.file_in("en", "My invoice is wrong")
    japanese = server.file_in("ja", "請求書が間違っています")
    assert datetime.now(UTC) < handover - MARGIN, "the set-up took too long to test before B"

    assert assignee(english) == "Ana", english
    assert english["routing"]["site"] == "early", english
    assert assignee(japanese) is None, japanese
    assert japanese["routing"]["site"] == "tokyo", japanese
    assert japanese["routing"]["expected_pickup_at"] == iso(handover), japanese

    # Nobody acts from here on: the test only reads the two tickets.
    ids = {"en": english["id"], "ja": japanese["id"]}
    wanted = {"en": "Bo", "ja": "Jun"}
    before = {"en": "Ana", "ja": None}
    moved_at: dict[str, float] = {}
    while True:
        asked = datetime.now(UTC)
        seen = {
            key: server.api("GET", f"/tickets/{ticket_id}", token=tokens["bo"])
            for key, ticket_id in ids.items()
        }
        answered = datetime.now(UTC)
        for key, ticket in seen.items():
            who = assignee(ticket)
            if answered < handover:
                assert who == before[key], f"the {key} ticket moved before B: {ticket}"
            elif who == wanted[key]:
                moved_at.setdefault(key, (answered - handover).total_seconds())
        if len(moved_at) == len(ids):
            break
        assert asked <= handover + CONTRACT, (
            f"60 s after B ({iso(handover)}) the tickets are not where they belong: "
            f"en with {assignee(seen['en'])}, ja with {assignee(seen['ja'])}"
        )
        time.sleep(0.5)
    print(
        f"tick {TICK_SECONDS} s: en handed to Bo {moved_at['en']:.1f} s after B, "
        f"ja picked up by Jun {moved_at['ja']:.1f} s after B"
    )

    english, japanese = seen["en"], seen["ja"]
    assert english["routing"]["site"] == "late", english
    assert japanese["routing"]["site"] == "tokyo", japanese
    notes = [
        m
        for m in english["messages"]
        if m["internal"] and m["kind"] == "system" and m["author"] is None
    ]
    assert any("Ana" in note["body"] and "Bo" in note["body"] for note in notes), english[
        "messages"
    ]
