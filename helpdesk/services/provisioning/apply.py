"""Provisioning's writes: a validated plan upserted in one transaction, all or nothing."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from helpdesk.models import (
    PRIORITIES,
    STAFF_REALM,
    AgentLanguage,
    AgentSkill,
    Calendar,
    Client,
    Site,
    SlaTarget,
    User,
)
from helpdesk.services import audit, sessions
from helpdesk.services.auth import token_digest
from helpdesk.services.provisioning.parse import load_file
from helpdesk.services.provisioning.plan import (
    ALL_CLIENTS,
    ALWAYS_CALENDAR,
    SLA_METRICS,
    USER_SECTIONS,
    Plan,
    ProvisioningError,
)
from helpdesk.services.provisioning.report import ProvisioningReport
from helpdesk.services.provisioning.validate import validate

DEFAULT_ESCALATION = ("notify_supervisors",)
DEFAULT_CAPACITY = 5


def provision_file(
    session: Session, path: str | Path, *, now: datetime, force_passwords: bool = False
) -> ProvisioningReport:
    """Load a provisioning YAML file: validate all of it, then upsert it in one transaction."""
    return provision(session, load_file(path), now=now, force_passwords=force_passwords)


def provision(
    session: Session,
    data: Any,
    *,
    now: datetime,
    force_passwords: bool = False,
    actor: User | None = None,
    dry_run: bool = False,
) -> ProvisioningReport:
    """Validate parsed provisioning data, then upsert it in one transaction; commit once.

    A password the person has changed since provisioning set it is kept, unless
    `force_passwords` (`flask provision --force-passwords`). `actor` is who provisions (None:
    the command line). With `dry_run` everything is written in the transaction, then rolled
    back: the report says what would change, and nothing is stored, audited or signed out.
    """
    try:
        plan = validate(session, data)
        report = ProvisioningReport()
        applier = _Applier(session, report, now, force_passwords)
        applier.apply(plan)
        if report.changes:  # the audit event commits with the changes it lists
            audit.record_request(
                session,
                "provision",
                now=now,
                actor=actor,
                data={"changes": report.lines(), "items": report.items},
            )
        # People whose password was reset or whose access shrank are signed out everywhere.
        ended = [
            (user, sessions.stage_end_all(session, user, reason=why, now=now, actor=actor))
            for user, why in applier.sign_out.items()
        ]
        if dry_run:
            session.rollback()
            return report
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ProvisioningError(
            [_("the database refused the change: %(why)s", why=exc.orig)]
        ) from exc
    except BaseException:
        session.rollback()
        raise
    for user, staged in ended:
        sessions.finish(session, staged, user=user)
    return report


# Fields whose values never go into the audit log (only that they changed).
SECRET_FIELDS = ("intake_token", "password")


def _set(
    obj: Any,
    values: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
    diff: dict | None = None,
) -> list[str]:
    """Assign the attributes that differ; the labels of those that changed.

    With `diff`, each changed field's value before and after goes into it (the audit log's
    record of the change), but a secret's only as changed.
    """
    changed = []
    for attr, value in values.items():
        old = getattr(obj, attr)
        if old != value:
            setattr(obj, attr, value)
            label = (labels or {}).get(attr, attr)
            changed.append(label)
            if diff is not None:
                diff[label] = (
                    {"changed": True}
                    if label in SECRET_FIELDS
                    else {"before": _plain(old), "after": _plain(value)}
                )
    return changed


def _plain(value: Any) -> Any:
    """A value as the audit log's JSON keeps it (a related object by its slug or name)."""
    if value is None or isinstance(value, str | int | float | bool | list | dict):
        return value
    for attr in ("slug", "name", "email"):
        if hasattr(value, attr):
            return getattr(value, attr)
    return str(value)


class _Applier:
    """Writes a validated plan into the session (the caller commits)."""

    def __init__(
        self, session: Session, report: ProvisioningReport, now: datetime, force_passwords: bool
    ):
        self.session = session
        self.report = report
        self.now = now
        self.force_passwords = force_passwords
        self.calendars: dict[str, Calendar] = {}
        self.clients: dict[str, Client] = {}
        self.sites: dict[str, Site] = {}
        self.sign_out: dict[User, str] = {}  # existing users to sign out everywhere, and why

    def apply(self, plan: Plan) -> None:
        """Upsert every section in dependency order."""
        # Lookups must not flush an object whose required fields are still being filled in.
        with self.session.no_autoflush:
            self._apply(plan)

    def _apply(self, plan: Plan) -> None:
        for entry in plan.sections["calendars"]:
            self._calendar(entry.values)
        for entry in plan.sections["clients"]:
            self._client(entry.values)
        for entry in plan.sections["sites"]:
            self._site(entry.values)
        self.session.flush()  # customers' realm is their client's id
        for name, role in USER_SECTIONS.items():
            for entry in plan.sections[name]:
                self._user(role, entry.values)
        self.session.flush()

    def _stored(self, cache: dict[str, Any], column: Any, key: str) -> Any:
        """The object whose `column` (e.g. Client.slug) is `key`, looked up once per run."""
        if key not in cache:
            cache[key] = self.session.scalars(select(column.class_).where(column == key)).one()
        return cache[key]

    def _calendar(self, v: dict) -> None:
        cal = self.session.scalar(select(Calendar).where(Calendar.name == v["name"]))
        fields = {k: v[k] for k in ("timezone", "hours", "holidays") if k in v}
        if cal is None:
            cal = Calendar(name=v["name"], **({"holidays": []} | fields))
            self.session.add(cal)
            self.report.created("calendar", v["name"])
        else:
            diff: dict = {}
            self.report.updated("calendar", v["name"], _set(cal, fields, diff=diff), diff)
        self.calendars[v["name"]] = cal

    def _client(self, v: dict) -> None:
        client = self.session.scalar(select(Client).where(Client.slug == v["slug"]))
        fields = {
            k: v[k] for k in ("name", "timezone", "default_locale", "inbound_email") if k in v
        }
        if "escalation" in v:
            fields["escalation"] = v["escalation"]
        if "intake_token" in v:
            fields["intake_token_hash"] = token_digest(v["intake_token"])
        created = client is None
        if created:
            client = Client(
                slug=v["slug"],
                escalation=list(DEFAULT_ESCALATION),
                default_locale="en",
                created_at=self.now,
                ticket_seq=0,
            )
            self.session.add(client)
        diff: dict = {}
        changed = _set(client, fields, {"intake_token_hash": "intake_token"}, diff)
        self.clients[v["slug"]] = client
        if "sla" in v:
            changed += self._sla(client, v["sla"])
        if created:
            self.report.created("client", v["slug"])
        else:
            self.report.updated("client", v["slug"], changed, diff)

    def _sla(self, client: Client, policy: dict[str, dict]) -> list[str]:
        """Make the client's targets exactly the file's; priorities left out are removed."""
        changed = []
        existing = {t.priority: t for t in client.sla_targets}
        for priority in PRIORITIES:
            target, wanted = existing.get(priority), policy.get(priority)
            if wanted is None:
                if target is not None:
                    client.sla_targets.remove(target)
                    changed.append(f"sla.{priority}")
                continue
            calendar = (
                None
                if wanted["calendar"] == ALWAYS_CALENDAR
                else self._stored(self.calendars, Calendar.name, wanted["calendar"])
            )
            if target is None:
                target = SlaTarget(priority=priority)
                client.sla_targets.append(target)
            values = {metric: wanted[metric] for metric in SLA_METRICS}
            diff = _set(target, values)
            if target.calendar is not calendar:
                target.calendar = calendar
                diff.append("calendar")
            if diff or target.id is None:
                changed.append(f"sla.{priority}")
        return changed

    def _site(self, v: dict) -> None:
        site = self.session.scalar(select(Site).where(Site.slug == v["slug"]))
        fields = {k: v[k] for k in ("name", "timezone", "shifts", "holidays") if k in v}
        if site is None:
            site = Site(slug=v["slug"], **({"shifts": {}, "holidays": []} | fields))
            self.session.add(site)
            self.report.created("site", v["slug"])
        else:
            diff = {}
            self.report.updated("site", v["slug"], _set(site, fields, diff=diff), diff)
        self.sites[v["slug"]] = site

    def _user(self, role: str, v: dict) -> None:
        client = self._stored(self.clients, Client.slug, v["client"]) if "client" in v else None
        realm = client.id if role == "customer" else STAFF_REALM
        user = self.session.scalar(
            select(User).where(User.realm == realm, User.email == v["email"])
        )
        key = f"{client.slug}:{v['email']}" if role == "customer" else v["email"]
        created = user is None
        before = None if created else _access(user)
        if created:
            user = User(
                realm=realm,
                email=v["email"],
                role=role,
                created_at=self.now,
                capacity=DEFAULT_CAPACITY if role == "agent" else 0,
                serves_all_clients=False,
            )
            self.session.add(user)
        fields = {k: v[k] for k in ("name", "locale", "timezone") if k in v}
        if client is not None:
            fields["client"] = client
        if role == "agent":
            if "site" in v:
                fields["site"] = self._stored(self.sites, Site.slug, v["site"])
            if "capacity" in v:
                fields["capacity"] = v["capacity"]
            if "shift" in v:
                fields["shift_override"] = v["shift"]
        diff: dict = {}
        changed = _set(user, fields, {"shift_override": "shift"}, diff)
        if "password" in v and not user.check_password(v["password"]):
            chosen = (
                user.password_hash is not None
                and user.provisioned_password_mark != user.password_mark()
            )
            if created or self.force_passwords or not chosen:
                user.set_password(v["password"])
                user.provisioned_password_mark = user.password_mark()
                changed.append("password")
            else:
                self.report.kept_password(role, key)
        if created or "password" in changed:
            # The operator vouches for the address (and, with a password, for who signs in).
            user.email_confirmed_at = user.email_confirmed_at or self.now
        if role == "agent":
            changed += self._agent_lists(user, v)
        if before is not None:
            why = _narrowed(before, _access(user))
            if why is not None:
                self.sign_out[user] = why
        if created:
            self.report.created(role, key)
        else:
            self.report.updated(role, key, changed, diff)

    def _agent_lists(self, user: User, v: dict) -> list[str]:
        """Languages, skills and served clients: replaced by the file's lists when given."""
        changed = []
        if "languages" in v and _replace_rows(
            user.languages,
            v["languages"],
            lambda row: row.language,
            lambda code: AgentLanguage(language=code),
        ):
            changed.append("languages")
        if "skills" in v and _replace_rows(
            user.skills, v["skills"], lambda row: row.skill, lambda s: AgentSkill(skill=s)
        ):
            changed.append("skills")
        if "clients" in v:
            every = v["clients"] == ALL_CLIENTS
            wanted = (
                []
                if every
                else [self._stored(self.clients, Client.slug, slug) for slug in v["clients"]]
            )
            if every != user.serves_all_clients or {c.slug for c in user.served_clients} != {
                c.slug for c in wanted
            }:
                user.serves_all_clients = every
                user.served_clients = wanted
                changed.append("clients")
        return changed


def _access(user: User) -> dict[str, Any]:
    """What a user's sessions and tokens rely on: password, active flag, role and clients."""
    return {
        "password": user.password_mark(),
        "active": bool(user.active),
        "role": user.role,
        "client_id": user.client.id if user.client is not None else user.client_id,
        "all_clients": bool(user.serves_all_clients),
        # Only agents serve clients (and reading the list costs a query per person).
        "clients": {c.slug for c in user.served_clients} if user.role == "agent" else set(),
    }


def _narrowed(before: dict[str, Any], after: dict[str, Any]) -> str | None:
    """Why a change signs the user out everywhere (None: it only adds or keeps access).

    A new password ends what the old one opened; a deactivation, another role or client,
    or clients taken away end sessions that were granted more than the user has now.
    """
    if before["password"] != after["password"]:
        return "password_set"
    if before["active"] and not after["active"]:
        return "deactivated"
    if (before["role"], before["client_id"]) != (after["role"], after["client_id"]):
        return "permissions_changed"
    if after["all_clients"]:
        return None
    if before["all_clients"] or before["clients"] - after["clients"]:
        return "permissions_changed"
    return None


def _replace_rows(rows: list, wanted: list[str], key: Callable, make: Callable) -> bool:
    """Make a child collection hold exactly `wanted`, keeping rows that stay; whether it changed."""
    have = {key(row): row for row in rows}
    changed = False
    for value, row in have.items():
        if value not in wanted:
            rows.remove(row)
            changed = True
    for value in wanted:
        if value not in have:
            rows.append(make(value))
            changed = True
    return changed
