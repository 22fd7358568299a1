"""Benchmark: routing decisions per second in the pure domain, for 100 and 10,000 agents.

Run as `python bench/routing_domain.py`. Agents are spread over 30 sites in zones around the
world (day, evening and night shifts); each serves a few of 40 clients (5% serve all), speaks
one to three languages and has a few skills. Tickets ask for a random client, locale and
skill at random minutes of a month, live, and each decision's summary is built as the service
records it. A second run has every agent serve the client, the
worst case for one decision. The database query that builds the AgentViews is not included.
"""

import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from helpdesk.domain.calendar import BusinessCalendar  # noqa: E402
from helpdesk.domain.routing import AgentView, Need, choose  # noqa: E402

ZONES = [
    "Asia/Manila",
    "Europe/Warsaw",
    "America/New_York",
    "America/Sao_Paulo",
    "Asia/Kolkata",
    "Australia/Sydney",
    "Europe/Lisbon",
    "Asia/Tokyo",
    "America/Mexico_City",
    "Africa/Cairo",
]
SHIFTS = ["06:00-14:00", "14:00-22:00", "22:00-06:00"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
LANGUAGES = ["en", "en_GB", "pt_BR", "pt", "es", "ja", "de", "pl", "tl", "hi", "fr"]
LOCALES = ["en", "en_US", "pt_BR", "es", "ja", "de", "fr"]
SKILLS = ["billing", "unix", "windows", "network", "sap"]
CLIENTS = 40
SITES = 30
ROUNDS = 5
SECONDS = 0.4  # per measurement


def make_sites(rng):
    """30 sites: each a zone and one shift pattern, Monday to Friday, a few holidays."""
    sites = []
    for n in range(SITES):
        zone = ZONES[n % len(ZONES)]
        hours = {day: [SHIFTS[n // len(ZONES) % len(SHIFTS)]] for day in WEEKDAYS}
        holidays = [f"2026-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}" for _ in range(5)]
        sites.append((f"site{n}", BusinessCalendar.from_spec(zone, hours, holidays)))
    return sites


def make_agents(rng, sites, count, *, everyone):
    """`count` agents over the sites; `everyone`: all of them serve every client."""
    agents = []
    for n in range(count):
        site, shift = sites[n % len(sites)]
        capacity = rng.randint(3, 8)
        agents.append(
            AgentView(
                id=n + 1,
                name=f"Agent {n + 1}",
                site=site,
                shift=shift,
                languages=frozenset(rng.sample(LANGUAGES, rng.randint(1, 3))),
                skills=frozenset(rng.sample(SKILLS, rng.randint(0, 3))),
                serves_all=everyone or rng.random() < 0.05,
                clients=frozenset(rng.sample(range(1, CLIENTS + 1), rng.randint(1, 3))),
                capacity=capacity,
                load=rng.randint(0, capacity),
                presence=rng.choice(["online", "online", "online", "away", "offline"]),
                last_assigned_at=datetime(2026, 3, 1, tzinfo=UTC)
                + timedelta(minutes=rng.randint(0, 40_000)),
            )
        )
    return agents


def make_tickets(rng, count):
    origin = datetime(2026, 3, 1, tzinfo=UTC)
    return [
        (
            Need(
                client_id=rng.randint(1, CLIENTS),
                locale=rng.choice(LOCALES),
                skill=rng.choice([None, None, *SKILLS]),
                priority=rng.choice(["urgent", "high", "normal", "low"]),
            ),
            origin + timedelta(minutes=rng.randint(0, 31 * 1440)),
        )
        for _ in range(count)
    ]


def rate(agents, tickets):
    """Decisions per second over the tickets, cycling until SECONDS have passed."""
    done, began = 0, time.perf_counter()
    while True:
        for need, at in tickets:
            choose(agents, need, at).summary()  # the service records the summary too
        done += len(tickets)
        elapsed = time.perf_counter() - began
        if elapsed >= SECONDS:
            return done / elapsed


def main():
    rng = random.Random(2026)
    sites = make_sites(rng)
    tickets = make_tickets(rng, 200)
    for everyone in (False, True):
        small = make_agents(rng, sites, 100, everyone=everyone)
        large = make_agents(rng, sites, 10_000, everyone=everyone)
        for need, at in tickets:  # warm the calendars' per-day caches, as a live server has
            choose(large, need, at)
        # Alternate the two sizes because this machine's core speed drifts.
        pairs = [(rate(small, tickets), rate(large, tickets[:20])) for _ in range(ROUNDS)]
        small_rate = statistics.median(p[0] for p in pairs)
        large_rate = statistics.median(p[1] for p in pairs)
        label = "every agent serves the client" if everyone else "agents serve 1-3 of 40 clients"
        print(f"{label}:")
        print(f"  100 agents:    {small_rate:10.0f} decisions/s  ({1000 / small_rate:.3f} ms each)")
        print(f"  10,000 agents: {large_rate:10.0f} decisions/s  ({1000 / large_rate:.3f} ms each)")
        print(f"  time per decision, 10,000 vs 100 agents: {small_rate / large_rate:.1f}x")


if __name__ == "__main__":
    main()
