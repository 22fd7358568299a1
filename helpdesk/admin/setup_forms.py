"""Console forms that save through provisioning (clients, calendars, sites, agents): the
one-entry document a form becomes, its problems placed beside the fields, and the fingerprint
that refuses a save made over someone else's."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask_login import current_user
from sqlalchemy import inspect, update

from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.services.provisioning import ProvisioningError

FINGERPRINT_FIELD = "fingerprint"
_INDEX = re.compile(r"\[\d+\]")
SPLIT = re.compile(r"[,;\s]+")


def fingerprint(stored: Any) -> str:
    """A digest of an object's stored values as its form shows them (canonical JSON)."""
    text = json.dumps(
        stored, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def field_errors(
    exc: ProvisioningError, prefix: str, field_of: Callable[[str], str | None]
) -> tuple[dict[str, list[str]], list[str]]:
    """The refusal's problems by form field, and those no field shows (for the form's head).

    `prefix` is the entry's path ("clients[0]"); `field_of` names the form field of a path
    inside the entry ("sla.urgent.first_response"), None for none.
    """
    fields: dict[str, list[str]] = {}
    general: list[str] = []
    for path, message in exc.problems:
        inner = path[len(prefix) + 1 :] if path.startswith(prefix + ".") else None
        name = field_of(inner) if inner else None
        if name is None:
            general.append(f"{path}: {message}")
        else:
            fields.setdefault(name, []).append(str(message))
    if not exc.problems:
        general += [str(error) for error in exc.errors]
    return fields, general


def without_indexes(path: str) -> str:
    """A path with its list positions dropped: "escalation[1]" -> "escalation"."""
    return _INDEX.sub("", path)


def whole_number(text: str) -> Any:
    """A form's number as provisioning takes it: an int when it is one, else the text as typed
    (for the validator to refuse with its own message)."""
    text = text.strip()
    return int(text) if re.fullmatch(r"\d{1,9}", text) else text


def lock_for_edit(obj: Any) -> None:
    """Hold the object's row until this request's save commits, then reload it: a no-op
    UPDATE takes PostgreSQL's row lock (SQLite's write lock), so two admins saving the same
    object at once are served one after the other, and the second one's fingerprint check
    sees the first one's change."""
    state = inspect(obj)
    key = state.mapper.primary_key[0]
    stmt = update(state.mapper.local_table).where(key == state.identity[0]).values({key.key: key})
    db.session.execute(stmt)
    db.session.refresh(obj)


def problems_by_field(exc: ProvisioningError, section: str, field_of) -> dict[str, list[str]]:
    """The validator's problems under the form's fields ("form" for the rest).

    `field_of` maps the path after the entry (e.g. "shifts.mon[0]") to a field name or None.
    """
    prefix = f"{section}[0]."
    errors: dict[str, list[str]] = {}
    for path, message in exc.problems:
        name = field_of(path[len(prefix) :]) if path.startswith(prefix) else None
        errors.setdefault(name or "form", []).append(str(message))
    if not exc.problems:
        errors["form"] = [str(e) for e in exc.errors]
    return errors


def split_list(text: str) -> list[str]:
    """Comma, semicolon, space or line separated items of a text field."""
    return [item for item in SPLIT.split(text or "") if item]


def now() -> datetime:
    return datetime.now(UTC)


def actor() -> User:
    return current_user._get_current_object()
