"""Provisioning: validate a YAML file of calendars, clients, sites and people, then upsert it.

The whole file is checked before anything is written, every problem is reported with
the path of the offending entry, and the writes happen in one transaction, so a file
is loaded entirely or not at all. Objects are matched by slug (clients, sites), name
(calendars) or e-mail within the login realm (people); keys an entry leaves out keep
their stored values, and re-running a file changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from helpdesk.domain.calendar import WEEKDAYS, BusinessCalendar, CalendarError, parse_holidays
from helpdesk.domain.calendar import parse_hours as _parse_hours
from helpdesk.i18n import is_timezone, normalize_locale
from helpdesk.models import (
    ESCALATIONS,
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
from helpdesk.services import audit
from helpdesk.services.addresses import BadAddress, normalize_email
from helpdesk.services.auth import token_digest
from helpdesk.services.tickets import CATEGORY_RE

SECTIONS = ("calendars", "clients", "sites", "agents", "supervisors", "customers", "admins")
USER_SECTIONS = {
    "agents": "agent",
    "supervisors": "supervisor",
    "customers": "customer",
    "admins": "admin",
}
STAFF_SECTIONS = ("agents", "supervisors", "admins")  # one login realm: e-mails must not repeat
ALWAYS_CALENDAR = "24x7"
SLA_METRICS = ("first_response", "next_response", "resolution")
DEFAULT_ESCALATION = ("notify_supervisors",)
DEFAULT_CAPACITY = 5
ALL_CLIENTS = "*"
SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
TOKEN_MIN = 12

_KINDS = {
    "calendar": _l("calendar"),
    "client": _l("client"),
    "site": _l("site"),
    "agent": _l("agent"),
    "supervisor": _l("supervisor"),
    "customer": _l("customer"),
    "admin": _l("admin"),
}
_BAD = object()  # a value that failed validation (its error is already recorded)


class ProvisioningError(Exception):
    """The file was refused; `errors` lists every problem, each prefixed with its path."""

    def __init__(self, errors: Iterable[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass
class ProvisioningReport:
    """What a provisioning run changed, one line per created or updated object."""

    changes: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was written."""
        return bool(self.changes)

    def lines(self) -> list[str]:
        """Printable lines; empty when nothing changed."""
        return list(self.changes)

    def created(self, kind: str, key: str) -> None:
        """Record a new object."""
        self.changes.append(_("created %(kind)s %(key)s", kind=_KINDS[kind], key=key))

    def updated(self, kind: str, key: str, fields: list[str]) -> None:
        """Record changed fields of an existing object (nothing if none changed)."""
        if fields:
            self.changes.append(
                _(
                    "updated %(kind)s %(key)s (%(fields)s)",
                    kind=_KINDS[kind],
                    key=key,
                    fields=", ".join(fields),
                )
            )


# -- reading -----------------------------------------------------------------------------------


def provision_file(session: Session, path: str | Path, *, now: datetime) -> ProvisioningReport:
    """Load a provisioning YAML file: validate all of it, then upsert it in one transaction."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ProvisioningError([_("%(path)s: cannot read: %(why)s", path=path, why=exc)]) from None
    return provision(session, parse_yaml(text, source=str(path)), now=now)


def parse_yaml(text: str, *, source: str = "<yaml>") -> Any:
    """The YAML document as plain data; syntax errors and duplicate keys raise ProvisioningError."""
    try:
        duplicates = _duplicate_keys(yaml.compose(text, Loader=yaml.SafeLoader))
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise ProvisioningError(
            [
                _(
                    "%(source)s: invalid YAML at %(where)s: %(problem)s",
                    source=source,
                    where=where,
                    problem=problem,
                )
            ]
        ) from None
    if duplicates:
        raise ProvisioningError(duplicates)
    return data


def _duplicate_keys(node: yaml.Node | None, path: str = "") -> list[str]:
    """Keys repeated in one mapping: safe_load would silently keep only the last one."""
    errors: list[str] = []
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value) if isinstance(key_node, yaml.ScalarNode) else None
            child = f"{path}.{key}" if path else str(key)
            if key is not None and key != "<<":
                if key in seen:
                    errors.append(
                        _(
                            "%(path)s: duplicate key (line %(line)d)",
                            path=child,
                            line=key_node.start_mark.line + 1,
                        )
                    )
                seen.add(key)
            errors += _duplicate_keys(value_node, child)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            errors += _duplicate_keys(item, f"{path}[{i}]")
    return errors


# -- validation --------------------------------------------------------------------------------


@dataclass
class Entry:
    """One validated entry: its path in the file and its values, normalised, keyed by field."""

    path: str
    values: dict[str, Any]


@dataclass
class Plan:
    """A validated file: the entries of each section, ready to apply."""

    sections: dict[str, list[Entry]] = field(default_factory=dict)


Check = Callable[[str, Any], Any]


class _Validator:
    """Checks a parsed file against the format and the database; collects every error."""

    def __init__(self, session: Session, data: Mapping):
        self.session = session
        self.data = data
        self.errors: list[str] = []
        self.calendars = set(session.scalars(select(Calendar.name)))
        self.clients = set(session.scalars(select(Client.slug)))
        self.sites = set(session.scalars(select(Site.slug)))
        for name, key, known in (
            ("calendars", "name", self.calendars),
            ("clients", "slug", self.clients),
            ("sites", "slug", self.sites),
        ):
            for item in _entries(data.get(name)):
                if isinstance(item, Mapping) and isinstance(item.get(key), str):
                    known.add(item[key])

    def error(self, path: str, message: str) -> object:
        """Record an error at `path`; returns the _BAD marker for convenience."""
        self.errors.append(f"{path}: {message}")
        return _BAD

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
            raise ProvisioningError(self.errors)
        return plan

    def _fields(self, path: str, item: Mapping, spec: dict[str, tuple[bool, Check]]) -> dict | None:
        """Check an entry's keys against its spec; None if any value was bad."""
        for key in item:
            if key not in spec:
                self.error(
                    f"{path}.{key}",
                    _("unknown key; expected one of: %(keys)s", keys=", ".join(spec)),
                )
        mark, values = len(self.errors), {}
        for key, (required, check) in spec.items():
            if key in item:
                values[key] = check(f"{path}.{key}", item[key])
            elif required:
                self.error(f"{path}.{key}", _("required"))
        return values if len(self.errors) == mark else None

    def _week_in(self, item: Mapping) -> Check:
        """The check of weekly hours given in the same entry as their time zone."""
        return lambda path, value: self._week(path, value, item.get("timezone"))

    def _calendar(self, path: str, item: Mapping) -> dict | None:
        return self._fields(
            path,
            item,
            {
                "name": (True, self._calendar_name),
                "timezone": (True, self._timezone),
                "hours": (True, self._week_in(item)),
                "holidays": (False, self._holidays),
            },
        )

    def _client(self, path: str, item: Mapping) -> dict | None:
        return self._fields(
            path,
            item,
            {
                "slug": (True, self._slug),
                "name": (True, self._name),
                "timezone": (True, self._timezone),
                "default_locale": (False, self._locale),
                "intake_token": (False, self._token),
                "inbound_email": (False, self._email),
                "escalation": (False, self._escalation),
                "sla": (False, self._sla),
            },
        )

    def _site(self, path: str, item: Mapping) -> dict | None:
        return self._fields(
            path,
            item,
            {
                "slug": (True, self._slug),
                "name": (True, self._name),
                "timezone": (True, self._timezone),
                "shifts": (False, self._week_in(item)),
                "holidays": (False, self._holidays),
            },
        )

    def _person(self) -> dict[str, tuple[bool, Check]]:
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

    # -- single values

    def _text(self, path: str, value: Any, limit: int) -> Any:
        if not isinstance(value, str) or not value.strip():
            return self.error(path, _("must be non-empty text, got %(value)r", value=value))
        if len(value.strip()) > limit:
            return self.error(path, _("must be at most %(limit)d characters", limit=limit))
        return value.strip()

    def _name(self, path: str, value: Any) -> Any:
        return self._text(path, value, 120)

    def _calendar_name(self, path: str, value: Any) -> Any:
        name = self._text(path, value, 64)
        if name == ALWAYS_CALENDAR:
            return self.error(path, _("%(name)r is reserved for round-the-clock SLAs", name=name))
        return name

    def _slug(self, path: str, value: Any) -> Any:
        if not isinstance(value, str) or not SLUG_RE.fullmatch(value):
            return self.error(
                path,
                _(
                    "bad slug %(value)r: use lowercase letters, digits and '-', "
                    "starting with a letter or digit, at most 40",
                    value=value,
                ),
            )
        return value

    def _email(self, path: str, value: Any) -> Any:
        try:
            return normalize_email(value)
        except BadAddress:
            return self.error(path, _("not an e-mail address: %(value)r", value=value))

    def _password(self, path: str, value: Any) -> Any:
        if not isinstance(value, str) or not value:
            return self.error(path, _("must be text (quote it in YAML)"))
        if len(value) > 1024:
            return self.error(path, _("must be at most %(limit)d characters", limit=1024))
        return value

    def _token(self, path: str, value: Any) -> Any:
        if not isinstance(value, str) or len(value) < TOKEN_MIN or len(value) > 255:
            return self.error(path, _("must be text of %(min)d to 255 characters", min=TOKEN_MIN))
        return value

    def _timezone(self, path: str, value: Any) -> Any:
        if not isinstance(value, str) or not is_timezone(value):
            return self.error(path, _("unknown time zone %(value)r", value=value))
        return value

    def _locale(self, path: str, value: Any) -> Any:
        code = normalize_locale(value) if isinstance(value, str) else None
        if code is None:
            return self.error(path, _("unknown locale %(value)r", value=value))
        return code

    def _capacity(self, path: str, value: Any) -> Any:
        if type(value) is not int or value < 0:
            return self.error(
                path, _("must be a whole number of 0 or more, got %(value)r", value=value)
            )
        return value

    def _list(self, path: str, value: Any) -> list | None:
        if not isinstance(value, list):
            self.error(path, _("must be a list"))
            return None
        return value

    def _distinct(self, path: str, value: Any, check: Check) -> Any:
        """A list whose items pass `check` and are distinct once normalised."""
        items = self._list(path, value)
        if items is None:
            return _BAD
        mark, out = len(self.errors), []
        for i, item in enumerate(items):
            norm = check(f"{path}[{i}]", item)
            if norm in out:
                self.error(f"{path}[{i}]", _("duplicate %(value)r", value=norm))
            elif norm is not _BAD:
                out.append(norm)
        return out if len(self.errors) == mark else _BAD

    def _languages(self, path: str, value: Any) -> Any:
        return self._distinct(path, value, self._locale)

    def _skill(self, path: str, value: Any) -> Any:
        if not isinstance(value, str) or not CATEGORY_RE.fullmatch(value):
            return self.error(
                path,
                _(
                    "bad skill %(value)r: use lowercase letters, digits, - or _ (at most 40)",
                    value=value,
                ),
            )
        return value

    def _skills(self, path: str, value: Any) -> Any:
        return self._distinct(path, value, self._skill)

    def _escalation(self, path: str, value: Any) -> Any:
        def one(p: str, item: Any) -> Any:
            if item not in ESCALATIONS:
                return self.error(
                    p,
                    _(
                        "unknown escalation %(value)r; expected one of: %(choices)s",
                        value=item,
                        choices=", ".join(ESCALATIONS),
                    ),
                )
            return item

        return self._distinct(path, value, one)

    def _holidays(self, path: str, value: Any) -> Any:
        items = self._list(path, value)
        if items is None:
            return _BAD
        mark, days = len(self.errors), set()
        for i, item in enumerate(items):
            try:
                days |= parse_holidays([item])
            except CalendarError as exc:
                self.error(f"{path}[{i}]", str(exc))
        return sorted(day.isoformat() for day in days) if len(self.errors) == mark else _BAD

    def _week(self, path: str, spec: Any, timezone: Any) -> Any:
        """Weekly hours or shifts, checked by the calendar domain; normalised to weekday order."""
        if not isinstance(spec, Mapping):
            return self.error(path, _("must map weekdays (mon..sun) to lists of 'HH:MM-HH:MM'"))
        mark = len(self.errors)
        for day, items in spec.items():
            if day not in WEEKDAYS:
                self.error(
                    f"{path}.{day}",
                    _("unknown weekday; expected one of: %(days)s", days=", ".join(WEEKDAYS)),
                )
            elif not isinstance(items, list):
                self.error(f"{path}.{day}", _("must be a list of 'HH:MM-HH:MM'"))
            else:
                for i, interval in enumerate(items):
                    try:
                        _parse_hours({day: [interval]})
                    except CalendarError as exc:
                        self.error(f"{path}.{day}[{i}]", str(exc))
        if len(self.errors) > mark:
            return _BAD
        zone = timezone if isinstance(timezone, str) and is_timezone(timezone) else "UTC"
        try:  # the whole week: overlaps, including intervals running past midnight
            BusinessCalendar.from_spec(zone, spec, ())
        except CalendarError as exc:
            return self.error(path, str(exc))
        return {day: list(spec[day]) for day in WEEKDAYS if spec.get(day)}

    def _shift(self, path: str, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return self.error(path, _("must be a mapping with timezone, hours and holidays"))
        values = self._fields(
            path,
            value,
            {
                "timezone": (True, self._timezone),
                "hours": (True, self._week_in(value)),
                "holidays": (False, self._holidays),
            },
        )
        return _BAD if values is None else {"holidays": []} | values

    def _site_ref(self, path: str, value: Any) -> Any:
        if not isinstance(value, str) or value not in self.sites:
            return self.error(path, _("unknown site %(value)r", value=value))
        return value

    def _client_ref(self, path: str, value: Any) -> Any:
        if not isinstance(value, str) or value not in self.clients:
            return self.error(path, _("unknown client %(value)r", value=value))
        return value

    def _served_clients(self, path: str, value: Any) -> Any:
        if value == [ALL_CLIENTS]:
            return ALL_CLIENTS
        if isinstance(value, list) and ALL_CLIENTS in value:
            return self.error(path, _("'*' (every client) must be the only entry"))
        return self._distinct(path, value, self._client_ref)

    def _sla(self, path: str, value: Any) -> Any:
        if not isinstance(value, Mapping):
            return self.error(path, _("must map priorities to targets"))
        mark, out = len(self.errors), {}
        for priority, targets in value.items():
            p = f"{path}.{priority}"
            if priority not in PRIORITIES:
                self.error(
                    p,
                    _(
                        "unknown priority; expected one of: %(choices)s",
                        choices=", ".join(PRIORITIES),
                    ),
                )
                continue
            if not isinstance(targets, Mapping):
                self.error(p, _("must be a mapping of targets in minutes"))
                continue
            spec = {metric: (True, self._minutes) for metric in SLA_METRICS}
            spec["calendar"] = (False, self._calendar_ref)
            checked = self._fields(p, targets, spec)
            if checked is not None:
                out[priority] = {"calendar": ALWAYS_CALENDAR} | checked
        return out if len(self.errors) == mark else _BAD

    def _minutes(self, path: str, value: Any) -> Any:
        if type(value) is not int or value <= 0:
            return self.error(
                path, _("must be a positive whole number of minutes, got %(value)r", value=value)
            )
        return value

    def _calendar_ref(self, path: str, value: Any) -> Any:
        if value == ALWAYS_CALENDAR:
            return value
        if not isinstance(value, str) or value not in self.calendars:
            return self.error(path, _("unknown calendar %(value)r", value=value))
        return value

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
                            role=_KINDS.get(stored, stored),
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


def validate(session: Session, data: Any) -> Plan:
    """Check parsed provisioning data: the plan to apply, or ProvisioningError listing all."""
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise ProvisioningError(
            [_("(file): must be a mapping of sections: %(keys)s", keys=", ".join(SECTIONS))]
        )
    return _Validator(session, data).run()


# -- applying ----------------------------------------------------------------------------------


def provision(session: Session, data: Any, *, now: datetime) -> ProvisioningReport:
    """Validate parsed provisioning data, then upsert it in one transaction; commit once."""
    try:
        plan = validate(session, data)
        report = ProvisioningReport()
        _Applier(session, report, now).apply(plan)
        if report.changes:  # the audit event commits with the changes it lists
            audit.record(session, "provision", now=now, data={"changes": report.lines()})
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise ProvisioningError(
            [_("the database refused the change: %(why)s", why=exc.orig)]
        ) from exc
    except BaseException:
        session.rollback()
        raise
    return report


def _set(obj: Any, values: Mapping[str, Any], labels: Mapping[str, str] | None = None) -> list[str]:
    """Assign the attributes that differ; the labels of those that changed."""
    changed = []
    for attr, value in values.items():
        if getattr(obj, attr) != value:
            setattr(obj, attr, value)
            changed.append((labels or {}).get(attr, attr))
    return changed


class _Applier:
    """Writes a validated plan into the session (the caller commits)."""

    def __init__(self, session: Session, report: ProvisioningReport, now: datetime):
        self.session = session
        self.report = report
        self.now = now
        self.calendars: dict[str, Calendar] = {}
        self.clients: dict[str, Client] = {}
        self.sites: dict[str, Site] = {}

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

    def _calendar_named(self, name: str) -> Calendar:
        if name not in self.calendars:
            self.calendars[name] = self.session.scalars(
                select(Calendar).where(Calendar.name == name)
            ).one()
        return self.calendars[name]

    def _client_slug(self, slug: str) -> Client:
        if slug not in self.clients:
            self.clients[slug] = self.session.scalars(
                select(Client).where(Client.slug == slug)
            ).one()
        return self.clients[slug]

    def _site_slug(self, slug: str) -> Site:
        if slug not in self.sites:
            self.sites[slug] = self.session.scalars(select(Site).where(Site.slug == slug)).one()
        return self.sites[slug]

    def _calendar(self, v: dict) -> None:
        cal = self.session.scalar(select(Calendar).where(Calendar.name == v["name"]))
        fields = {k: v[k] for k in ("timezone", "hours", "holidays") if k in v}
        if cal is None:
            cal = Calendar(name=v["name"], **({"holidays": []} | fields))
            self.session.add(cal)
            self.report.created("calendar", v["name"])
        else:
            self.report.updated("calendar", v["name"], _set(cal, fields))
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
        changed = _set(client, fields, {"intake_token_hash": "intake_token"})
        self.clients[v["slug"]] = client
        if "sla" in v:
            changed += self._sla(client, v["sla"])
        if created:
            self.report.created("client", v["slug"])
        else:
            self.report.updated("client", v["slug"], changed)

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
                else self._calendar_named(wanted["calendar"])
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
            self.report.updated("site", v["slug"], _set(site, fields))
        self.sites[v["slug"]] = site

    def _user(self, role: str, v: dict) -> None:
        client = self._client_slug(v["client"]) if "client" in v else None
        realm = client.id if role == "customer" else STAFF_REALM
        user = self.session.scalar(
            select(User).where(User.realm == realm, User.email == v["email"])
        )
        key = f"{client.slug}:{v['email']}" if role == "customer" else v["email"]
        created = user is None
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
                fields["site"] = self._site_slug(v["site"])
            if "capacity" in v:
                fields["capacity"] = v["capacity"]
            if "shift" in v:
                fields["shift_override"] = v["shift"]
        changed = _set(user, fields, {"shift_override": "shift"})
        if "password" in v and not user.check_password(v["password"]):
            user.set_password(v["password"])
            changed.append("password")
        if role == "agent":
            changed += self._agent_lists(user, v)
        if created:
            self.report.created(role, key)
        else:
            self.report.updated(role, key, changed)

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
            wanted = [] if every else [self._client_slug(slug) for slug in v["clients"]]
            if every != user.serves_all_clients or {c.slug for c in user.served_clients} != {
                c.slug for c in wanted
            }:
                user.serves_all_clients = every
                user.served_clients = wanted
                changed.append("clients")
        return changed


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


__all__ = [
    "ProvisioningError",
    "ProvisioningReport",
    "parse_yaml",
    "provision",
    "provision_file",
    "validate",
]
