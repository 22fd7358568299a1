"""What validation hands to applying: the shared names of the format, the Plan, the error."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l

USER_SECTIONS = {
    "agents": "agent",
    "supervisors": "supervisor",
    "customers": "customer",
    "admins": "admin",
}
ALWAYS_CALENDAR = "24x7"
SLA_METRICS = ("first_response", "next_response", "resolution")
ALL_CLIENTS = "*"

KINDS = {
    "calendar": _l("calendar"),
    "client": _l("client"),
    "site": _l("site"),
    "agent": _l("agent"),
    "supervisor": _l("supervisor"),
    "customer": _l("customer"),
    "admin": _l("admin"),
}


class ProvisioningError(Exception):
    """The file was refused; `errors` lists every problem, each prefixed with its path.

    `problems` holds the validator's findings as (path, message) pairs, for a form to place
    beside its fields; problems with the file as a whole (unreadable, bad YAML, not a mapping,
    refused by the database) are only in `errors`.
    """

    def __init__(self, errors: Iterable[str], *, problems: Iterable[tuple[str, str]] = ()):
        self.errors = list(errors)
        self.problems = list(problems)
        super().__init__("\n".join(self.errors))

    @classmethod
    def at(cls, problems: Iterable[tuple[str, str]]) -> ProvisioningError:
        """The error for (path, message) pairs, each also an error line 'path: message'."""
        problems = list(problems)
        return cls([f"{path}: {message}" for path, message in problems], problems=problems)


@dataclass
class Entry:
    """One validated entry: its path in the file and its values, normalised, keyed by field."""

    path: str
    values: dict[str, Any]


@dataclass
class Plan:
    """A validated file: the entries of each section, ready to apply."""

    sections: dict[str, list[Entry]] = field(default_factory=dict)
