"""What a queue row says besides its ticket's own fields (its link, its SLA countdown, its
times in the viewer's language and zone), worked out in Python once per row rather than by a
dozen template calls per row."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Row

from helpdesk.agent.queues import QueueRow
from helpdesk.services.sla_report import countdown_state
from helpdesk.web.row_format import RowDates


@dataclass(slots=True)
class Moment:
    """An instant as a row shows it: machine-readable, in full (title), and relative."""

    iso: str
    title: str
    text: str


@dataclass(slots=True)
class DueTexts:
    """The row's most pressing SLA clock: its state and, while it counts down, its due time."""

    state: str
    metric: str
    counting: bool
    due: Moment | None
    warn_iso: str


@dataclass(slots=True)
class RowTexts:
    """A row's link and times; `due` is None without a live clock, `pickup` without one ahead."""

    url: str
    due: DueTexts | None
    created: Moment
    updated: Moment
    pickup: Moment | None


def _iso(value: datetime) -> str:
    # As the `isoutc` template filter.
    return value.astimezone(UTC).isoformat()


class _Moments:
    """A page's moments, each worked out once: rows share times (created and updated at
    once, clocks due at the same hour)."""

    __slots__ = ("dates", "_since", "_due")

    def __init__(self, dates: RowDates):
        self.dates = dates
        self._since: dict[datetime, Moment] = {}
        self._due: dict[datetime, Moment] = {}

    def since(self, value: datetime) -> Moment:
        """`value` with its relative time ("3 minutes ago", "in 2 hours")."""
        found = self._since.get(value)
        if found is None:
            dates = self.dates
            found = self._since[value] = Moment(_iso(value), dates.dt(value), dates.reltime(value))
        return found

    def due(self, value: datetime) -> Moment:
        """`value` with its countdown, in the units countdown.js uses."""
        found = self._due.get(value)
        if found is None:
            dates = self.dates
            found = self._due[value] = Moment(_iso(value), dates.dt(value), dates.countdown(value))
        return found


def _due(clock: Row, moments: _Moments) -> DueTexts:
    state = countdown_state(clock, moments.dates.now)
    counting = state != "paused" and clock.due_at is not None
    due = moments.due(clock.due_at) if counting else None
    warn = _iso(clock.warn_at) if counting and clock.warn_at else ""
    return DueTexts(state, clock.metric, counting, due, warn)


def row_texts(
    rows: Iterable[QueueRow],
    pressing: Mapping[int, Row | None],
    *,
    dates: RowDates,
    ticket_url: Callable[[int], str],
) -> dict[int, RowTexts]:
    """Each row's texts by ticket id, from the page's clock (`dates.now`) and each ticket's
    most pressing live clock (`queues.pressing_clocks`)."""
    now = dates.now
    moments = _Moments(dates)
    out = {}
    for row in rows:
        clock = pressing.get(row.id)
        pickup = row.expected_pickup_at
        out[row.id] = RowTexts(
            url=ticket_url(row.id),
            due=_due(clock, moments) if clock else None,
            created=moments.since(row.created_at),
            updated=moments.since(row.updated_at),
            pickup=moments.since(pickup) if pickup and pickup > now else None,
        )
    return out
