"""Weekly coverage: for each UTC hour of a week, which sites have someone on shift for a client."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from helpdesk.domain.calendar import BusinessCalendar
from helpdesk.domain.routing import AgentView, CalendarMemo, language_fit

__all__ = ["SLOTS", "Coverage", "Slot", "week_coverage"]

SLOTS = 7 * 24
_HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Slot:
    """One hour of the week: the sites and the number of agents on shift at its start."""

    start: datetime
    sites: tuple[str, ...]
    agents: int

    @property
    def covered(self) -> bool:
        """Whether anyone is on shift at the slot's start."""
        return self.agents > 0


@dataclass(frozen=True)
class Coverage:
    """The 168 hourly slots of a week and its uncovered stretches as [start, end) spans."""

    slots: tuple[Slot, ...]
    gaps: tuple[tuple[datetime, datetime], ...]


def week_coverage(
    agents: Iterable[AgentView], client_id: int, locale: str, week_of: date
) -> Coverage:
    """Coverage of `client_id` in `locale` for the week starting Monday `week_of` 00:00 UTC.

    A slot counts the agents who serve the client, speak the locale (or its language) and
    are on shift at the slot's start instant; presence, load and skills play no part.
    """
    if isinstance(week_of, datetime) or not isinstance(week_of, date):
        raise TypeError(f"week_of must be a date, got {type(week_of).__name__}")
    if week_of.weekday() != 0:
        raise ValueError(f"week_of must be a Monday, got {week_of.isoformat()}")
    start = datetime.combine(week_of, time(), UTC)
    end = start + SLOTS * _HOUR
    starts = [start + n * _HOUR for n in range(SLOTS)]

    # Group agents by calendar so each distinct shift pattern is laid over the week once.
    groups: dict[int, tuple[BusinessCalendar, list[AgentView]]] = {}
    for agent in agents:
        serves = agent.serves_all or client_id in agent.clients
        if agent.shift is None or not serves or not language_fit(agent.languages, locale):
            continue
        groups.setdefault(id(agent.shift), (agent.shift, []))[1].append(agent)

    spans_of = CalendarMemo(lambda calendar: calendar.open_spans(start, end))
    counts = [0] * SLOTS
    sites: list[set[str]] = [set() for _ in range(SLOTS)]
    for calendar, members in groups.values():
        spans = spans_of(calendar)
        opens = [lo for lo, _ in spans]
        names = {agent.site for agent in members if agent.site is not None}
        for n, slot_start in enumerate(starts):
            i = bisect.bisect_right(opens, slot_start) - 1
            if i >= 0 and slot_start < spans[i][1]:
                counts[n] += len(members)
                sites[n].update(names)

    slots = tuple(
        Slot(slot_start, tuple(sorted(sites[n])), counts[n]) for n, slot_start in enumerate(starts)
    )
    gaps: list[tuple[datetime, datetime]] = []
    for slot in slots:
        if slot.covered:
            continue
        if gaps and gaps[-1][1] == slot.start:
            gaps[-1] = (gaps[-1][0], slot.start + _HOUR)
        else:
            gaps.append((slot.start, slot.start + _HOUR))
    return Coverage(slots, tuple(gaps))
