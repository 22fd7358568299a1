"""SLA clocks as plain values: due and warning instants of a target, honouring pauses."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from helpdesk.domain.calendar import BusinessCalendar

METRICS = ("first_response", "next_response", "resolution")
WARN_FRACTION = 0.75

Pause = tuple[datetime, datetime | None]


def merged_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    """Pauses sorted and merged; an open pause (end None) swallows everything after it."""
    out: list[list] = []
    for start, end in sorted(pauses, key=lambda p: p[0]):
        if out and (out[-1][1] is None or start <= out[-1][1]):
            if out[-1][1] is not None and (end is None or end > out[-1][1]):
                out[-1][1] = end
            continue
        out.append([start, end])
    return [(s, e) for s, e in out]


def due_with_pauses(
    calendar: BusinessCalendar, start: datetime, minutes: float, pauses: Sequence[Pause] = ()
) -> datetime | None:
    """The earliest instant by which `minutes` of unpaused business time have elapsed.

    A pause that begins after the target was already reached does not move it (a
    breach stays a breach). None while an open pause holds the clock before its due.
    """
    remaining = float(minutes)
    cursor = start
    for pause_start, pause_end in merged_pauses(pauses):
        if pause_end is not None and pause_end <= cursor:
            continue
        candidate = calendar.due(cursor, remaining)
        if candidate <= pause_start:
            return candidate
        if pause_start > cursor:
            remaining -= calendar.elapsed_minutes(cursor, pause_start)
        if pause_end is None:
            return None
        cursor = max(cursor, pause_end)
    return calendar.due(cursor, remaining)


@dataclass(frozen=True)
class ClockTimes:
    """When a clock warns (75% of its target) and when it is due; None while paused."""

    warn_at: datetime | None
    due_at: datetime | None


def clock_times(
    calendar: BusinessCalendar, start: datetime, minutes: int, pauses: Sequence[Pause] = ()
) -> ClockTimes:
    """Warning and due instants of a clock started at `start` with these pauses."""
    return ClockTimes(
        warn_at=due_with_pauses(calendar, start, minutes * WARN_FRACTION, pauses),
        due_at=due_with_pauses(calendar, start, minutes, pauses),
    )


def business_minutes(
    calendar: BusinessCalendar, start: datetime, end: datetime, pauses: Sequence[Pause] = ()
) -> float:
    """Business minutes from start to end outside the pauses, in the policy's calendar."""
    return calendar.elapsed_minutes(start, end, pauses)
