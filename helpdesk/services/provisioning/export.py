"""The current world as a provisioning file: what `flask provision` would load to rebuild it.

Secrets stay out: no passwords (not even their hashes), no intake tokens, no second factors.
People who cannot sign in are left out too: a deactivated person (the format has no way to
say so, and loading the file would make them active again) and a portal registration whose
address was never confirmed (provisioning vouches for every address it loads).

The file is deterministic: sections in the format's order, entries sorted by their key
(name, slug, e-mail), keys in the order of the format's documentation, and nothing that
changes by itself (no timestamps). Loading it into an empty database and exporting again
gives the same bytes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.domain.calendar import WEEKDAYS
from helpdesk.models import (
    PRIORITIES,
    AgentLanguage,
    AgentSkill,
    Calendar,
    Client,
    Site,
    SlaTarget,
    User,
)
from helpdesk.models.users import agent_clients
from helpdesk.services.provisioning.plan import (
    ALL_CLIENTS,
    ALWAYS_CALENDAR,
    SLA_METRICS,
    USER_SECTIONS,
)

HEADER = (
    "# Helpdesk provisioning file, exported from the current world.\n"
    "# Left out: passwords, intake tokens, second factors, deactivated people and\n"
    "# unconfirmed portal registrations. Load it with `flask provision FILE`.\n"
)


def export_yaml(session: Session) -> str:
    """The whole current world as provisioning YAML (deterministic, without secrets)."""
    return HEADER + yaml.safe_dump(
        export_world(session),
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=100_000,  # one value per line: no folding that depends on its length
    )


def export_world(session: Session) -> dict[str, list[dict[str, Any]]]:
    """The whole current world as provisioning data, section by section."""
    clients = dict(session.execute(select(Client.id, Client.slug)).all())
    sites = dict(session.execute(select(Site.id, Site.slug)).all())
    people = _people(session, clients, sites)
    return {
        "calendars": _calendars(session),
        "clients": _clients(session),
        "sites": _sites(session),
        **{section: people[role] for section, role in USER_SECTIONS.items()},
    }


def _week(spec: dict | None) -> dict[str, list[str]]:
    """Weekly hours in weekday order (mon..sun), days without hours left out."""
    spec = spec or {}
    return {day: list(spec[day]) for day in WEEKDAYS if spec.get(day)}


def _calendars(session: Session) -> list[dict]:
    return [
        {
            "name": cal.name,
            "timezone": cal.timezone,
            "hours": _week(cal.hours),
            "holidays": sorted(cal.holidays or ()),
        }
        for cal in session.scalars(select(Calendar).order_by(Calendar.name))
    ]


def _clients(session: Session) -> list[dict]:
    targets: dict[int, dict[str, dict]] = defaultdict(dict)
    rows = session.execute(
        select(
            SlaTarget.client_id,
            SlaTarget.priority,
            SlaTarget.first_response,
            SlaTarget.next_response,
            SlaTarget.resolution,
            Calendar.name,
        ).outerjoin(Calendar, Calendar.id == SlaTarget.calendar_id)
    )
    for client_id, priority, *minutes, calendar in rows:
        targets[client_id][priority] = dict(zip(SLA_METRICS, minutes, strict=True)) | {
            "calendar": calendar or ALWAYS_CALENDAR
        }
    out = []
    for client in session.scalars(select(Client).order_by(Client.slug)):
        entry: dict[str, Any] = {
            "slug": client.slug,
            "name": client.name,
            "timezone": client.timezone,
            "default_locale": client.default_locale,
        }
        if client.inbound_email:
            entry["inbound_email"] = client.inbound_email
        entry["escalation"] = list(client.escalation or ())
        policy = targets.get(client.id, {})
        # The most urgent first, as the format's documentation lists them.
        entry["sla"] = {p: policy[p] for p in reversed(PRIORITIES) if p in policy}
        out.append(entry)
    return out


def _sites(session: Session) -> list[dict]:
    return [
        {
            "slug": site.slug,
            "name": site.name,
            "timezone": site.timezone,
            "shifts": _week(site.shifts),
            "holidays": sorted(site.holidays or ()),
        }
        for site in session.scalars(select(Site).order_by(Site.slug))
    ]


def _agent_lists(session: Session, clients: dict[int, str]) -> dict[str, dict[int, list]]:
    """Every agent's languages, skills and served clients, sorted, keyed by user id."""
    lists: dict[str, dict[int, list]] = {
        "languages": defaultdict(list),
        "skills": defaultdict(list),
        "clients": defaultdict(list),
    }
    queries = (
        ("languages", select(AgentLanguage.user_id, AgentLanguage.language)),
        ("skills", select(AgentSkill.user_id, AgentSkill.skill)),
        ("clients", select(agent_clients.c.user_id, agent_clients.c.client_id)),
    )
    for name, query in queries:
        for user_id, value in session.execute(query):
            lists[name][user_id].append(clients[value] if name == "clients" else value)
    for by_user in lists.values():
        for values in by_user.values():
            values.sort()
    return lists


def _people(
    session: Session, clients: dict[int, str], sites: dict[int, str]
) -> dict[str, list[dict]]:
    """Every person who can sign in, per role, sorted by (client and) e-mail."""
    lists = _agent_lists(session, clients)
    people: dict[str, list[dict]] = {role: [] for role in USER_SECTIONS.values()}
    users = session.scalars(
        select(User).where(
            User.active.is_(True),
            (User.role != "customer") | User.email_confirmed_at.is_not(None),
        )
    )
    for user in users:
        if user.role not in people:
            continue
        entry: dict[str, Any] = {"email": user.email, "name": user.name}
        if user.role in ("supervisor", "customer"):
            entry["client"] = clients[user.client_id]
        if user.locale:
            entry["locale"] = user.locale
        if user.timezone:
            entry["timezone"] = user.timezone
        if user.role == "agent":
            entry |= _agent(user, lists, sites)
        people[user.role].append(entry)
    for entries in people.values():
        entries.sort(key=lambda e: (e.get("client", ""), e["email"]))
    return people


def _agent(user: User, lists: dict[str, dict[int, list]], sites: dict[int, str]) -> dict:
    """An agent's own keys: site, own shift, languages, skills, clients and capacity."""
    entry: dict[str, Any] = {}
    if user.site_id is not None:
        entry["site"] = sites[user.site_id]
    if user.shift_override:
        shift = user.shift_override
        entry["shift"] = {
            "timezone": shift.get("timezone"),
            "hours": _week(shift.get("hours")),
            "holidays": sorted(shift.get("holidays") or ()),
        }
    entry["languages"] = lists["languages"].get(user.id, [])
    entry["skills"] = lists["skills"].get(user.id, [])
    entry["clients"] = (
        [ALL_CLIENTS] if user.serves_all_clients else lists["clients"].get(user.id, [])
    )
    entry["capacity"] = user.capacity
    return entry
