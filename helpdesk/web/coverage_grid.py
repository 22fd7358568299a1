"""The coverage grid: how many agents are on shift at each local hour of a week.

The domain's `week_coverage` answers in UTC hours. People plan in their own zone, where
an hour may start at :30 UTC (Asia/Kolkata) and a day may have 23 or 25 hours, so the
grid asks each distinct shift calendar about the instants at which the viewer's local
hours start: 168 questions per calendar, answered by bisecting its open spans.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from helpdesk.domain.calendar import BusinessCalendar
from helpdesk.domain.routing import AgentView, language_fit

HOURS = range(24)
_INSTANT = timedelta(microseconds=1)


@dataclass(frozen=True)
class Cell:
    """One local hour: agents on shift at its start and their sites' names.

    `start` is None for an hour the clock skips (a spring-forward night).
    """

    hour: int
    start: datetime | None
    agents: int = 0
    sites: tuple[str, ...] = ()

    @property
    def exists(self) -> bool:
        """Whether the hour happens at all that day in the viewer's zone."""
        return self.start is not None

    @property
    def covered(self) -> bool:
        """Whether anyone is on shift at the hour's start."""
        return self.agents > 0


@dataclass(frozen=True)
class Day:
    """One local day of the grid, Monday first."""

    date: date
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Grid:
    """The 7 x 24 local hours of a week and its uncovered stretches as [start, end) instants."""

    zone: str
    monday: date
    days: tuple[Day, ...]
    gaps: tuple[tuple[datetime, datetime], ...]

    @property
    def hours(self) -> int:
        """Local hours that exist this week (168, give or take a DST change)."""
        return sum(cell.exists for day in self.days for cell in day.cells)

    @property
    def covered_hours(self) -> int:
        """Local hours with someone on shift at their start."""
        return sum(cell.covered for day in self.days for cell in day.cells)


def monday_of(day: date) -> date:
    """The Monday of the week `day` falls in."""
    return day - timedelta(days=day.weekday())


def local_hour_start(day: date, hour: int, zone: ZoneInfo) -> datetime | None:
    """The UTC instant at which `hour`:00 begins on `day` in `zone`; None if it is skipped.

    An hour that happens twice (a fall-back night) starts at its first occurrence.
    """
    wall = datetime.combine(day, time(hour), zone)
    instant = wall.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) != wall.replace(tzinfo=None):
        return None
    return instant


def _week_starts(monday: date, zone: ZoneInfo) -> list[list[datetime | None]]:
    return [
        [local_hour_start(monday + timedelta(days=d), h, zone) for h in HOURS] for d in range(7)
    ]


def _open_at(calendar: BusinessCalendar, instants: list[datetime]) -> list[bool]:
    """Whether the calendar is open at each of the sorted instants."""
    if calendar.always_open:
        return [True] * len(instants)
    spans = calendar.open_spans(instants[0], instants[-1] + _INSTANT)
    opens = [lo for lo, _ in spans]
    result = []
    for instant in instants:
        i = bisect.bisect_right(opens, instant) - 1
        result.append(i >= 0 and instant < spans[i][1])
    return result


def coverage_grid(
    agents: Iterable[AgentView],
    *,
    client_id: int,
    locale: str,
    monday: date,
    zone: str,
    site_names: Mapping[str, str] | None = None,
) -> Grid:
    """Agents serving the client and speaking the locale on shift at each local hour start.

    As the API's coverage, presence, load and skills play no part. `monday` is a local
    date in `zone`; sites are listed by their names from `site_names` (else their slugs).
    """
    if monday.weekday() != 0:
        raise ValueError(f"monday must be a Monday, got {monday.isoformat()}")
    tz = ZoneInfo(zone)
    names = site_names or {}
    starts = _week_starts(monday, tz)
    instants = sorted(s for row in starts for s in row if s is not None)
    week_end = local_hour_start(monday + timedelta(days=7), 0, tz) or instants[-1] + timedelta(
        hours=1
    )

    # One entry per distinct shift calendar (equal calendars are one key), so the week is
    # laid over each shift pattern once however many agents share it.
    groups: dict[BusinessCalendar, list[AgentView]] = {}
    for agent in agents:
        serves = agent.serves_all or client_id in agent.clients
        if agent.shift is None or not serves or language_fit(agent.languages, locale) < 1:
            continue
        groups.setdefault(agent.shift, []).append(agent)

    counts: dict[datetime, int] = dict.fromkeys(instants, 0)
    sites: dict[datetime, set[str]] = {instant: set() for instant in instants}
    for calendar, members in groups.items():
        labels = {names.get(a.site, a.site) for a in members if a.site is not None}
        for instant, is_open in zip(instants, _open_at(calendar, instants), strict=True):
            if is_open:
                counts[instant] += len(members)
                sites[instant].update(labels)

    days = tuple(
        Day(
            monday + timedelta(days=d),
            tuple(
                Cell(h, s, counts[s], tuple(sorted(sites[s]))) if s is not None else Cell(h, None)
                for h, s in enumerate(row)
            ),
        )
        for d, row in enumerate(starts)
    )
    return Grid(zone, monday, days, _gaps(instants, counts, week_end))


def _gaps(
    instants: list[datetime], counts: Mapping[datetime, int], week_end: datetime
) -> tuple[tuple[datetime, datetime], ...]:
    """Uncovered stretches: each uncovered hour lasts until the next local hour starts."""
    gaps: list[tuple[datetime, datetime]] = []
    for i, instant in enumerate(instants):
        if counts[instant]:
            continue
        end = instants[i + 1] if i + 1 < len(instants) else week_end
        if gaps and gaps[-1][1] == instant:
            gaps[-1] = (gaps[-1][0], end)
        else:
            gaps.append((instant, end))
    return tuple(gaps)
