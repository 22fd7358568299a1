"""Provisioning's checks of single values: each normalises a value or records why it is wrong."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import gettext as _

from helpdesk.domain.calendar import WEEKDAYS, BusinessCalendar, CalendarError, parse_holidays
from helpdesk.domain.calendar import parse_hours as _parse_hours
from helpdesk.i18n import is_timezone, normalize_locale
from helpdesk.models import ESCALATIONS, PRIORITIES
from helpdesk.services.addresses import BadAddress, normalize_email
from helpdesk.services.provisioning.plan import ALL_CLIENTS, ALWAYS_CALENDAR, SLA_METRICS
from helpdesk.services.tickets import CATEGORY_RE

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
TOKEN_MIN = 12

_BAD = object()  # a value that failed validation (its error is already recorded)

Check = Callable[[str, Any], Any]
Spec = dict[str, tuple[bool, Check]]  # key: (required, check)


class ValueChecks:
    """Checks values against the format; collects every error as a (path, message) pair.

    References to calendars, clients and sites are checked against the names given.
    """

    def __init__(self, *, calendars: set[str], clients: set[str], sites: set[str]):
        self.calendars = calendars
        self.clients = clients
        self.sites = sites
        self.errors: list[tuple[str, str]] = []

    def error(self, path: str, message: str) -> object:
        """Record an error at `path`; returns the _BAD marker for convenience."""
        self.errors.append((path, message))
        return _BAD

    def _fields(self, path: str, item: Mapping, spec: Spec) -> dict | None:
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

    def _hours_spec(self, item: Mapping) -> Spec:
        """The keys of weekly hours in a time zone: a calendar's, or an agent's own shift."""
        return {
            "timezone": (True, self._timezone),
            "hours": (True, self._week_in(item)),
            "holidays": (False, self._holidays),
        }

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
        values = self._fields(path, value, self._hours_spec(value))
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
