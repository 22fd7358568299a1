"""Provisioning's validation: a parsed file's sections and entries, checked against the database."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.models import STAFF_REALM, Calendar, Client, Site, User
from helpdesk.services.auth import token_digest
from helpdesk.services.provisioning.checks import Spec, ValueChecks
from helpdesk.services.provisioning.plan import (
    KINDS,
    USER_SECTIONS,
    Entry,
    Plan,
    ProvisioningError,
)

SECTIONS = ("calendars", "clients", "sites", "agents", "supervisors", "customers", "admins")
STAFF_SECTIONS = ("agents", "supervisors", "admins")  # one login realm: e-mails must not repeat


def validate(session: Session, data: Any) -> Plan:
    """Check parsed provisioning data: the plan to apply, or ProvisioningError listing all."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ProvisioningError(
            [_("(file): must be a mapping of sections: %(keys)s", keys=", ".join(SECTIONS))]
        )
    return Validator(session, data).run()


class Validator(ValueChecks):
    """Checks a parsed file against the format and the database; collects every error."""

    def __init__(self, session: Session, data: Mapping):
        super().__init__(
            calendars=set(session.scalars(select(Calendar.name))),
            clients=set(session.scalars(select(Client.slug))),
            sites=set(session.scalars(select(Site.slug))),
        )
        self.session = session
        self.data = data
        for name, key, known in (
            ("calendars", "name", self.calendars),
            ("clients", "slug", self.clients),
            ("sites", "slug", self.sites),
        ):
            for item in _entries(data.get(name)):
                if isinstance(item, Mapping) and isinstance(item.get(key), str):
                    known.add(item[key])

    # -- the file and its sections

    def run(self) -> Plan:
        """Validate everything; the plan if the file is sound, else ProvisioningError."""
        plan = Plan()
        for key in self.data:
            if key not in SECTIONS:
                self.error(
                    str(key),
                    _("unknown section; expected one of: %(keys)s", keys=", ".join(SECTIONS)),
                )
        specs = {
            "calendars": self._calendar,
            "clients": self._client,
            "sites": self._site,
            "agents": self._agent,
            "supervisors": self._client_user,
            "customers": self._client_user,
            "admins": self._admin,
        }
        for name, check in specs.items():
            raw = self.data.get(name)
            plan.sections[name] = []
            if raw is not None and not isinstance(raw, list):
                self.error(name, _("must be a list of entries"))
                continue
            entries = []
            for i, item in enumerate(raw or ()):
                path = f"{name}[{i}]"
                if not isinstance(item, Mapping):
                    self.error(path, _("must be a mapping of keys to values"))
                    continue
                values = check(path, item)
                if values is not None:
                    entries.append(Entry(path, values))
            plan.sections[name] = entries
        self._check_unique(plan)
        if self.errors:
            raise ProvisioningError.at(self.errors)
        return plan

    def _calendar(self, path: str, item: Mapping) -> dict | None:
        spec = {"name": (True, self._calendar_name)} | self._hours_spec(item)
        values = self._fields(path, item, spec)
        if values is not None and not values.get("hours"):
            # SLA clocks on a calendar that is never open would never fall due.
            self.error(f"{path}.hours", _("a calendar needs business hours on at least one day"))
            return None
        return values

    def _place(self) -> Spec:
        """What clients and sites both have: a slug, a name and a time zone."""
        return {
            "slug": (True, self._slug),
            "name": (True, self._name),
            "timezone": (True, self._timezone),
        }

    def _client(self, path: str, item: Mapping) -> dict | None:
        spec = self._place() | {
            "default_locale": (False, self._locale),
            "intake_token": (False, self._token),
            "inbound_email": (False, self._email),
            "escalation": (False, self._escalation),
            "sla": (False, self._sla),
        }
        return self._fields(path, item, spec)

    def _site(self, path: str, item: Mapping) -> dict | None:
        spec = self._place() | {
            "shifts": (False, self._week_in(item)),
            "holidays": (False, self._holidays),
        }
        return self._fields(path, item, spec)

    def _person(self) -> Spec:
        """What people in every role have: an e-mail, a name and their preferences."""
        return {
            "email": (True, self._email),
            "name": (True, self._name),
            "password": (False, self._password),
            "locale": (False, self._locale),
            "timezone": (False, self._timezone),
        }

    def _agent(self, path: str, item: Mapping) -> dict | None:
        spec = self._person() | {
            "site": (False, self._site_ref),
            "languages": (False, self._languages),
            "skills": (False, self._skills),
            "clients": (False, self._served_clients),
            "capacity": (False, self._capacity),
            "shift": (False, self._shift),
        }
        values = self._fields(path, item, spec)
        if "site" not in item and "shift" not in item:
            self.error(f"{path}.site", _("required (or give the agent its own shift)"))
            return None
        return values

    def _client_user(self, path: str, item: Mapping) -> dict | None:
        return self._fields(path, item, self._person() | {"client": (True, self._client_ref)})

    def _admin(self, path: str, item: Mapping) -> dict | None:
        return self._fields(path, item, self._person())

    # -- across entries

    def _check_unique(self, plan: Plan) -> None:
        """Duplicates within the file, and clashes with what the database already holds."""
        for name, key in (("calendars", "name"), ("clients", "slug"), ("sites", "slug")):
            self._no_repeats(name, plan.sections[name], lambda v, key=key: v[key], key)
        staff = [
            (entry, USER_SECTIONS[name]) for name in STAFF_SECTIONS for entry in plan.sections[name]
        ]
        self._no_repeats("staff", [e for e, _role in staff], lambda v: v["email"], "email")
        self._no_repeats(
            "customers", plan.sections["customers"], lambda v: (v["client"], v["email"]), "email"
        )
        if staff:
            emails = [entry.values["email"] for entry, _role in staff]
            roles = dict(
                self.session.execute(
                    select(User.email, User.role).where(
                        User.realm == STAFF_REALM, User.email.in_(emails)
                    )
                ).all()
            )
            for entry, role in staff:
                stored = roles.get(entry.values["email"], role)
                if stored != role:
                    self.error(
                        f"{entry.path}.email",
                        _(
                            "%(email)s is already registered as %(role)s; roles are not changed",
                            email=entry.values["email"],
                            role=KINDS.get(stored, stored),
                        ),
                    )
        self._clients_unique(plan.sections["clients"])

    def _no_repeats(self, name: str, entries: list[Entry], key: Callable, label: str) -> None:
        first: dict[Any, str] = {}
        for entry in entries:
            value = key(entry.values)
            if value in first:
                shown = value[-1] if isinstance(value, tuple) else value
                self.error(
                    f"{entry.path}.{label}",
                    _("duplicate %(value)r, first at %(other)s", value=shown, other=first[value]),
                )
            else:
                first[value] = entry.path

    def _clients_unique(self, entries: list[Entry]) -> None:
        """Inbound addresses and intake tokens must stay unique once the file is applied."""
        stored = {
            slug: {"inbound_email": email, "intake_token": digest}
            for slug, email, digest in self.session.execute(
                select(Client.slug, Client.inbound_email, Client.intake_token_hash)
            )
        }
        in_file = {entry.values["slug"]: entry for entry in entries}
        for key in ("inbound_email", "intake_token"):
            owners: dict[str, str] = {}
            for slug, values in stored.items():
                # A client the file gives a new value no longer holds its stored one.
                if values[key] and (slug not in in_file or key not in in_file[slug].values):
                    owners[values[key]] = slug
            for entry in entries:
                value = entry.values.get(key)
                if value is None:
                    continue
                value = token_digest(value) if key == "intake_token" else value
                owner = owners.setdefault(value, entry.values["slug"])
                if owner != entry.values["slug"]:
                    self.error(
                        f"{entry.path}.{key}",
                        _("already used by client %(slug)r", slug=owner),
                    )


def _entries(raw: Any) -> list:
    return raw if isinstance(raw, list) else []
