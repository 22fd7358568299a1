"""The dates of an iCalendar file's all-day events (holidays to import): a small, careful
reader that takes only VEVENT DTSTART;VALUE=DATE (and its DTEND) and ignores the rest."""

from __future__ import annotations

import re
from datetime import date, timedelta

MAX_BYTES = 256 * 1024
MAX_DAYS_PER_EVENT = 366  # a multi-day event (a closure week) adds each of its days
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


class NotICalendar(ValueError):
    """The text is not an iCalendar file."""


def _lines(text: str) -> list[str]:
    """Unfolded content lines (RFC 5545 3.1: a line starting with a space continues the last)."""
    out: list[str] = []
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if raw[:1] in (" ", "\t") and out:
            out[-1] += raw[1:]
        elif raw.strip():
            out.append(raw)
    return out


def _all_day(line: str) -> date | None:
    """The date of a DTSTART/DTEND line with a date value (VALUE=DATE), else None."""
    head, _sep, value = line.partition(":")
    params = head.upper().split(";")[1:]
    match = _DATE.fullmatch(value.strip())
    if "VALUE=DATE" not in params or match is None:
        return None
    try:
        return date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        return None


def holiday_dates(data: bytes) -> list[date]:
    """The sorted dates of every all-day event; NotICalendar if this is no iCalendar file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise NotICalendar from None
    lines = _lines(text)
    if not lines or lines[0].strip().upper() != "BEGIN:VCALENDAR":
        raise NotICalendar
    days: set[date] = set()
    start = end = None
    inside = False
    for line in lines:
        name = line.split(":", 1)[0].split(";", 1)[0].strip().upper()
        value = line.partition(":")[2].strip().upper()
        if name == "BEGIN" and value == "VEVENT":
            inside, start, end = True, None, None
        elif name == "END" and value == "VEVENT" and inside:
            inside = False
            if start is not None:
                last = end - timedelta(days=1) if end is not None and end > start else start
                span = min((last - start).days, MAX_DAYS_PER_EVENT - 1)
                days.update(start + timedelta(days=i) for i in range(span + 1))
        elif inside and name == "DTSTART":
            start = _all_day(line)
        elif inside and name == "DTEND":
            end = _all_day(line)
    return sorted(days)
