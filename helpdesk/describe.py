"""Human sentences for stored decisions (routing notes), in the reader's language and zone."""

from __future__ import annotations

import functools
import json
from datetime import datetime

from flask_babel import format_datetime, get_locale, get_timezone
from flask_babel import gettext as _


def _when(value: str | None) -> str:
    if not value:
        return ""
    return format_datetime(datetime.fromisoformat(value.replace("Z", "+00:00")), "medium")


def routing_reason(note: dict | None) -> str | None:
    """The routing decision `{"code", "params"}` as one translated sentence."""
    if not note:
        return None
    try:
        key = json.dumps(note, sort_keys=True)
    except (TypeError, ValueError):
        return _reason(note)
    return _said(str(get_locale()), str(get_timezone()), key)


@functools.lru_cache(maxsize=1024)
def _said(_locale: str, _zone: str, note_key: str) -> str | None:
    # A filing says its reason in the caller's language and again in the desk's for the
    # push, and a queue of waiting tickets shares a few notes: the same note in the same
    # language and zone is the same sentence, made once per process.
    return _reason(json.loads(note_key))


def _reason(note: dict) -> str | None:
    code, p = note.get("code"), note.get("params") or {}
    if code == "assigned":
        fit = (
            _("speaks %(locale)s", locale=p.get("locale"))
            if p.get("language_fit") == "exact"
            else _("speaks the language of %(locale)s", locale=p.get("locale"))
        )
        return _(
            "Assigned to %(agent)s (%(site)s): on shift, online, %(fit)s, "
            "%(load)d of %(capacity)d tickets; %(eligible)d of %(considered)d agents "
            "were eligible.",
            agent=p.get("agent"),
            site=p.get("site") or "-",
            fit=fit,
            load=p.get("load", 0),
            capacity=p.get("capacity", 0),
            eligible=p.get("eligible", 0),
            considered=p.get("considered", 0),
        )
    if code == "queued_next_shift":
        return _(
            "Nobody who can take it is available now; it waits for %(site)s, whose next "
            "shift starts %(when)s.",
            site=p.get("site"),
            when=_when(p.get("expected_pickup_at")),
        )
    if code == "no_coverage":
        if p.get("skill"):
            return _(
                "No agent serving this client speaks %(locale)s with the skill %(skill)s "
                "on any shift; an administrator must assign it.",
                locale=p.get("locale"),
                skill=p.get("skill"),
            )
        return _(
            "No agent serving this client speaks %(locale)s on any shift; an "
            "administrator must assign it.",
            locale=p.get("locale"),
        )
    return code


def handoff_cause(cause: str | None) -> str:
    """Why an owner's ticket moved, as one sentence (old events without a cause: shift end)."""
    if cause == "offline":
        return _("The agent went offline.")
    if cause == "inactive":
        return _("The agent's account was deactivated.")
    if cause == "reroute":
        return _("Rerouted after an SLA breach.")
    return _("The shift ended.")


def handoff_note(previous: str, note: dict, cause: str | None = None) -> str:
    """The internal note left on a handed-off ticket: who had it, why it moved, who has it now."""
    to = (note.get("params") or {}).get("agent") if note.get("code") == "assigned" else None
    if to:
        head = _("Handed off from %(old)s to %(new)s.", old=previous, new=to)
    else:
        head = _("Handed off from %(old)s; back in the queue.", old=previous)
    return " ".join(part for part in (head, handoff_cause(cause), routing_reason(note)) if part)
