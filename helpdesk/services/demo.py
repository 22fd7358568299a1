"""The demo: the bundled provisioning file, a month of sample tickets, and the demo logins.

Sample tickets go through the real ticket services with historical `now` values, so
their events, SLA clocks and status changes are what real use would have left.
The same seed and `now` always give the same tickets.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from helpdesk.models import Client, OutboundMail, Ticket, User
from helpdesk.services.provisioning import parse_yaml, provision_file
from helpdesk.services.tickets import NewTicket, add_message, create_ticket, update_ticket

DEMO_FILE = Path(__file__).resolve().parent.parent / "demo" / "demo.yaml"
SAMPLES_FILE = DEMO_FILE.with_name("samples.yaml")  # what the sample tickets' people write
BASE_URL = "http://127.0.0.1:5000"
SEED = 2026
DAYS = 30
CATEGORIES = ("billing", "network", "hardware", "accounts", "email")
PRIORITY_WEIGHTS = {"low": 20, "normal": 50, "high": 22, "urgent": 8}
CHANNEL_WEIGHTS = {"portal": 45, "email": 25, "api": 15, "chat": 15}
# Minutes from filing to pickup, by priority: (shortest, longest).
PICKUP_MINUTES = {"urgent": (2, 25), "high": (5, 90), "normal": (15, 300), "low": (60, 900)}


def load_demo(
    session: Session,
    *,
    tickets: int = 300,
    now: datetime,
    seed: int = SEED,
    path: Path = DEMO_FILE,
    base_url: str = BASE_URL,
) -> list[str]:
    """Provision the demo world; add sample tickets if there are none yet; end with the logins."""
    report = provision_file(session, path, now=now)
    data = parse_yaml(path.read_text(encoding="utf-8"))
    lines = report.lines() or [_("The demo world is already loaded: nothing changed.")]
    if session.scalar(select(func.count(Ticket.id))):
        lines.append(_("Tickets already exist: no sample tickets added."))
    elif tickets > 0:
        session.commit()  # end the read above before another connection writes
        # The loader is the only writer meanwhile, so reloading every object after each of
        # the services' thousands of commits (expire_on_commit) would be wasted time.
        with Session(bind=session.get_bind(), expire_on_commit=False) as work:
            made = create_sample_tickets(
                work,
                count=tickets,
                now=now,
                seed=seed,
                slugs=[client["slug"] for client in data.get("clients") or ()],
            )
            # Sample tickets are made-up history: their customers are never mailed.
            work.execute(
                update(OutboundMail)
                .where(OutboundMail.status == "queued")
                .values(status="skipped", last_error="sample ticket from flask demo: not sent")
            )
            work.commit()
        lines.append(
            _(
                "Created %(count)d sample tickets over the last %(days)d days.",
                count=made,
                days=DAYS,
            )
        )
    return lines + login_lines(data, base_url)


def login_lines(data: dict[str, Any], base_url: str = BASE_URL) -> list[str]:
    """The "Demo logins" block: every role's e-mail and password, and where to sign in."""
    lines = ["", _("Demo logins"), "=" * len(_("Demo logins"))]
    # URLs are built apart: an f-string inside _() would stop Babel extracting the message.
    staff_url = f"{base_url}/login"
    lines.append(_("Staff sign in at %(url)s", url=staff_url))
    staff = (
        [("admin", person, "") for person in data.get("admins", [])]
        + [("supervisor", person, person["client"]) for person in data.get("supervisors", [])]
        + [("agent", person, person.get("site", "")) for person in data.get("agents", [])]
    )
    for role, person, where in staff:
        lines.append(_row(role, person, where))
    for client in data.get("clients", []):
        slug = client["slug"]
        lines.append("")
        portal_url = f"{base_url}/c/{slug}/"
        lines.append(_("%(name)s portal: %(url)s", name=client["name"], url=portal_url))
        for person in data.get("customers", []):
            if person["client"] == slug:
                lines.append(_row("customer", person, person.get("locale", "")))
        if client.get("intake_token"):
            lines.append(
                "  "
                + _(
                    "API intake token: %(token)s (Authorization: Bearer …)",
                    token=client["intake_token"],
                )
            )
    return lines


def _row(role: str, person: dict, note: str) -> str:
    return f"  {role:<11} {person['email']:<24} {person.get('password', ''):<16} {note}".rstrip()


# -- sample tickets ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Agent:
    user: User
    client_ids: frozenset[int] | None  # None: every client
    languages: frozenset[str]  # base languages: "pt" for pt_BR
    skills: frozenset[str]

    def fits(self, client_id: int, language: str) -> bool:
        served = self.client_ids is None or client_id in self.client_ids
        return served and language in self.languages


def load_samples(path: Path = SAMPLES_FILE) -> dict[str, Any]:
    """The sample texts: internal notes, and per language tickets and replies."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def create_sample_tickets(
    session: Session, *, count: int, now: datetime, seed: int, slugs: list[str]
) -> int:
    """File `count` tickets for these clients over the last DAYS days, each played up to `now`."""
    rng = random.Random(seed)
    clients = list(
        session.scalars(select(Client).where(Client.slug.in_(slugs)).order_by(Client.slug))
    )
    customers = {
        client.id: list(
            session.scalars(
                select(User)
                .where(User.client_id == client.id, User.role == "customer", User.active)
                .order_by(User.email)
            )
        )
        for client in clients
    }
    clients = [client for client in clients if customers[client.id]]
    agents = [
        _Agent(
            user=agent,
            client_ids=None
            if agent.serves_all_clients
            else frozenset(c.id for c in agent.served_clients),
            languages=frozenset(_language(code) for code in agent.language_codes),
            skills=frozenset(agent.skill_names),
        )
        for agent in session.scalars(
            select(User).where(User.role == "agent", User.active).order_by(User.email)
        )
    ]
    if not clients or not agents:
        return 0
    plans = []
    for _i in range(count):
        client = rng.choice(clients)
        plans.append(
            (
                _filing_time(rng, now, client.timezone),
                client,
                rng.choice(customers[client.id]),
                _weighted(rng, PRIORITY_WEIGHTS),
                _weighted(rng, CHANNEL_WEIGHTS),
                rng.choice(CATEGORIES),
                rng.random(),  # each ticket's own stream, so one ticket's path never shifts another
            )
        )
    plans.sort(key=lambda plan: plan[0])
    samples = load_samples()
    for filed_at, client, customer, priority, channel, category, own_seed in plans:
        _play(
            session,
            random.Random(own_seed),
            now=now,
            filed_at=filed_at,
            client=client,
            customer=customer,
            priority=priority,
            channel=channel,
            category=category,
            agents=agents,
            samples=samples,
        )
    return len(plans)


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _filing_time(rng: random.Random, now: datetime, timezone: str) -> datetime:
    """A moment in the last DAYS days, mostly in the client's office hours."""
    zone = ZoneInfo(timezone)
    span = DAYS * 24 * 60
    while True:
        at = now - timedelta(minutes=rng.uniform(10, span))
        local = at.astimezone(zone)
        weekday, hour = local.weekday(), local.hour
        keep = 0.15 if weekday >= 5 else (1.0 if 8 <= hour < 18 else 0.3)
        if rng.random() < keep:
            return at.replace(microsecond=0)


def _language(locale: str) -> str:
    return locale.split("_")[0]


def _pick_agent(
    rng: random.Random, agents: list[_Agent], client_id: int, language: str, category: str
) -> _Agent | None:
    fitting = [a for a in agents if a.fits(client_id, language)] or [
        a for a in agents if a.fits(client_id, "en")
    ]
    skilled = [a for a in fitting if category in a.skills]
    pool = skilled or fitting
    return rng.choice(pool) if pool else None


def _play(
    session: Session,
    rng: random.Random,
    *,
    now: datetime,
    filed_at: datetime,
    client: Client,
    customer: User,
    priority: str,
    channel: str,
    category: str,
    agents: list[_Agent],
    samples: dict[str, Any],
) -> None:
    """File one ticket at `filed_at` and act out what happened to it until `now`."""
    lang = _language(customer.locale or client.default_locale)
    texts = samples["languages"].get(lang, samples["languages"]["en"])
    sample = rng.choice(texts["tickets"][category])
    ticket = create_ticket(
        session,
        client=client,
        requester=customer,
        cmd=NewTicket(
            subject=sample["subject"],
            body=sample["body"],
            priority=priority,
            channel=channel,
            locale=customer.locale,
            category=category,
        ),
        now=filed_at,
    )
    agent = _pick_agent(rng, agents, client.id, lang, category)
    clock = filed_at

    def later(low: float, high: float) -> bool:
        """Move the story on by low..high minutes; False once that would pass `now`."""
        nonlocal clock
        clock += timedelta(minutes=rng.uniform(low, high))
        clock = clock.replace(microsecond=0)
        return clock < now

    if agent is None or rng.random() < 0.06 or not later(*PICKUP_MINUTES[priority]):
        return  # still waiting in the queue
    if ticket.assignee_id is None:  # routing may already have assigned it
        update_ticket(
            session, ticket=ticket, actor=agent.user, now=clock, assignee_id=agent.user.id
        )
    staff = ticket.assignee or agent.user
    names = {"agent": staff.name.split()[0], "customer": _address(customer.name, lang)}

    def say(author: User, key: str, *, internal: bool = False) -> None:
        text = rng.choice(samples["notes"]) if internal else texts[key].format(**names)
        add_message(
            session,
            ticket=ticket,
            author=author,
            body=text,
            now=clock,
            internal=internal,
            channel=channel,
        )

    if not later(1, 15):
        return
    say(staff, "agent_first")
    if rng.random() < 0.3 and later(2, 40):
        say(staff, "note", internal=True)
    if priority in ("normal", "high") and rng.random() < 0.08 and later(5, 60):
        raised = "high" if priority == "normal" else "urgent"
        update_ticket(session, ticket=ticket, actor=staff, now=clock, priority=raised)
    story = rng.random()
    if story < 0.45:  # needs the customer's input first
        if not later(10, 120):
            return
        say(staff, "agent_ask")
        update_ticket(session, ticket=ticket, actor=staff, now=clock, status="pending")
        if rng.random() < 0.2 or not later(20, 2 * 24 * 60):
            return  # the customer has not answered (yet)
        say(customer, "customer_reply")
    elif story > 0.85:  # still being worked on; the customer chases it
        if later(3 * 60, 3 * 24 * 60):
            say(customer, "customer_nudge")
        return
    if not later(30, 24 * 60):
        return
    say(staff, "agent_solved")
    update_ticket(session, ticket=ticket, actor=staff, now=clock, status="solved")
    if rng.random() < 0.7 and later(3 * 24 * 60, 4 * 24 * 60):
        update_ticket(session, ticket=ticket, actor=staff, now=clock, status="closed")


def _address(name: str, lang: str) -> str:
    """How a reply greets the customer: the family name in Japanese, else the first name."""
    parts = name.split()
    return parts[-1] if lang == "ja" else parts[0]


__all__ = ["DEMO_FILE", "create_sample_tickets", "load_demo", "login_lines"]
