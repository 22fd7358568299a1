"""Business calendars and shifts: weekly hours in a time zone, holidays, and business-time math."""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "ALWAYS",
    "WEEKDAYS",
    "BusinessCalendar",
    "CalendarError",
    "parse_holidays",
    "parse_hours",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Week = tuple[tuple[tuple[int, int], ...], ...]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EPOCH_ORDINAL = _EPOCH.date().toordinal()
_ONE_US = timedelta(microseconds=1)
_US = 1_000_000
_DAY_S = 86_400
_DAY_MIN = 1_440
_WEEK_MIN = 7 * _DAY_MIN
# A calendar closed for this long is treated as never opening again, so no search runs forever.
_HORIZON_DAYS = 3 * 366
# UTC offsets are sampled this often; no real zone changes its offset twice within 6 hours.
_SAMPLE_S = 6 * 3600

_INTERVAL_RE = re.compile(r"([0-9]{2}:[0-9]{2})-([0-9]{2}:[0-9]{2})")
_TIME_RE = re.compile(r"([0-9]{2}):([0-9]{2})")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class CalendarError(ValueError):
    """A calendar definition is invalid, or a calendar cannot answer (it never opens)."""


# -- parsing and validation ---------------------------------------------------------------------


def parse_hours(spec: Mapping[str, Iterable[str]]) -> Week:
    """Parse {"mon": ["09:00-17:00"], ...} into seven tuples of (start, end) minutes."""
    if not isinstance(spec, Mapping):
        raise CalendarError(f"hours must map weekdays to interval lists, got {type(spec).__name__}")
    for key in spec:
        if key not in WEEKDAYS:
            raise CalendarError(f"unknown weekday {key!r}: expected one of {', '.join(WEEKDAYS)}")
    week = []
    for day in WEEKDAYS:
        items = spec.get(day) or ()
        if not isinstance(items, (list, tuple)):
            raise CalendarError(f"hours under {day} must be a list of 'HH:MM-HH:MM' strings")
        week.append(tuple(_parse_interval(text, day) for text in items))
    return _normalize_week(week)


def parse_holidays(spec: Iterable[str | date]) -> frozenset[date]:
    """Parse ISO dates ("2026-12-25", or date objects as YAML loads them) into a set of dates."""
    if isinstance(spec, str):
        raise CalendarError("holidays must be a list of 'YYYY-MM-DD' dates, got a single string")
    days = set()
    for item in spec:
        if isinstance(item, date) and not isinstance(item, datetime):
            days.add(item)
            continue
        try:
            if not (isinstance(item, str) and _DATE_RE.fullmatch(item)):
                raise ValueError
            days.add(date.fromisoformat(item))
        except ValueError:
            raise CalendarError(f"bad holiday date {item!r}: expected YYYY-MM-DD") from None
    return frozenset(days)


def _parse_interval(text: object, day: str) -> tuple[int, int]:
    match = _INTERVAL_RE.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise CalendarError(f"bad interval {text!r} under {day}: expected 'HH:MM-HH:MM'")
    start = _parse_time(match[1], text, day, may_be_24=False)
    end = _parse_time(match[2], text, day, may_be_24=True)
    if start == end:
        raise CalendarError(f"empty interval {text!r} under {day}: start equals end")
    return start, end


def _parse_time(text: str, interval: str, day: str, *, may_be_24: bool) -> int:
    hour, minute = (int(part) for part in _TIME_RE.fullmatch(text).groups())
    if minute > 59 or hour > 24 or (hour == 24 and (minute or not may_be_24)):
        raise CalendarError(f"bad time {text!r} in {interval!r} under {day}")
    return hour * 60 + minute


def _fmt(day: int, start: int, end: int) -> str:
    return f"{WEEKDAYS[day]} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def _normalize_week(week: Iterable[Iterable[tuple[int, int]]]) -> Week:
    try:
        days = [sorted(tuple(interval) for interval in intervals) for intervals in week]
    except TypeError:
        raise CalendarError("hours must be 7 lists of (start, end) minute pairs") from None
    if len(days) != 7:
        raise CalendarError(f"hours must have 7 weekdays (Monday first), got {len(days)}")
    laid = []  # (start, end) in minutes from Monday 00:00, overnight intervals reaching past it
    for day, intervals in enumerate(days):
        for i, interval in enumerate(intervals):
            if len(interval) != 2 or not all(type(x) is int for x in interval):
                raise CalendarError(f"bad interval {interval!r} under {WEEKDAYS[day]}")
            start, end = interval
            if not (0 <= start < _DAY_MIN and 0 <= end <= _DAY_MIN) or start == end:
                raise CalendarError(f"bad interval {interval!r} under {WEEKDAYS[day]}")
            if end == 0:  # "22:00-00:00" ends at midnight, as "22:00-24:00" does
                end = _DAY_MIN
                intervals[i] = (start, end)
            length = end - start if end > start else end + _DAY_MIN - start
            laid.append((day * _DAY_MIN + start, day * _DAY_MIN + start + length, day, start, end))
    laid.sort()
    # The last interval of the week may run past Sunday midnight into Monday's first one.
    pairs = list(itertools.pairwise(laid))
    if len(laid) > 1:
        pairs.append((laid[-1], (laid[0][0] + _WEEK_MIN, 0, *laid[0][2:])))
    for before, after in pairs:
        if after[0] < before[1]:
            raise CalendarError(
                f"overlapping intervals: {_fmt(*before[2:])} and {_fmt(*after[2:])}"
            )
    return tuple(tuple(intervals) for intervals in days)


def _zone(name: object) -> ZoneInfo:
    try:
        if isinstance(name, str) and name:
            return _cached_zone(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    raise CalendarError(f"unknown time zone {name!r}")


@functools.lru_cache(maxsize=1024)
def _cached_zone(name: str) -> ZoneInfo:
    # ZoneInfo's own strong cache holds 8 zones; a desk spanning more would reload tz files.
    return ZoneInfo(name)


# -- instants as integer microseconds since the epoch, so span arithmetic is exact -------------


def _to_us(value: object, name: str) -> int:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}")
    if value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value.isoformat()}")
    return (value - _EPOCH) // _ONE_US


def _from_us(us: int) -> datetime:
    return _EPOCH + timedelta(microseconds=us)


def _minutes_to_us(minutes: float) -> int:
    if not isinstance(minutes, (int, float)) or not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"minutes must be a finite number >= 0, got {minutes!r}")
    return round(minutes * 60 * _US)


def _offset_s(zone: ZoneInfo, ts: int) -> int:
    return datetime.fromtimestamp(ts, zone).utcoffset() // timedelta(seconds=1)


def _offset_runs(zone: ZoneInfo, lo: int, hi: int) -> list[tuple[int, int, int]]:
    """Split [lo, hi) UTC seconds into (start, end, offset) runs of constant UTC offset."""
    # zoneinfo does not expose its transitions, so find them by sampling and bisection.
    runs, run_start, t, offset = [], lo, lo, _offset_s(zone, lo)
    while t < hi:
        nxt = min(t + _SAMPLE_S, hi)
        if _offset_s(zone, nxt) == offset:
            t = nxt
            continue
        while nxt - t > 1:
            mid = (t + nxt) // 2
            t, nxt = (mid, nxt) if _offset_s(zone, mid) == offset else (t, mid)
        runs.append((run_start, nxt, offset))
        run_start = t = nxt
        offset = _offset_s(zone, nxt)
    runs.append((run_start, hi, offset))
    return runs


@functools.lru_cache(maxsize=16_384)
def _local_day_spans(tz: str, intervals: tuple[tuple[int, int], ...], day: int) -> tuple:
    """UTC microsecond spans whose wall time in `tz` lies in `intervals` laid on `day`."""
    base = (day - _EPOCH_ORDINAL) * _DAY_S  # the day's local midnight, read as if it were UTC
    # Offsets are within ±24 h and the intervals within [base, base + 48 h) of wall time.
    runs = _offset_runs(_cached_zone(tz), base - _DAY_S, base + 3 * _DAY_S)
    spans = []
    for start, end in intervals:
        wall_lo = base + start * 60
        wall_hi = base + (end if end > start else end + _DAY_MIN) * 60
        # Instants of a run with offset `off` show wall time t + off, so they count exactly
        # when t + off lies in [wall_lo, wall_hi).
        for run_lo, run_hi, off in runs:
            lo, hi = max(wall_lo - off, run_lo), min(wall_hi - off, run_hi)
            if lo < hi:
                spans.append((lo * _US, hi * _US))
    return tuple(sorted(spans))


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _overlap(a: list[tuple[int, int]], b: list[tuple[int, int]]) -> int:
    total, i, j = 0, 0, 0
    while i < len(a) and j < len(b):
        total += max(0, min(a[i][1], b[j][1]) - max(a[i][0], b[j][0]))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return total


# -- the calendar --------------------------------------------------------------------------------


@dataclass(frozen=True)
class BusinessCalendar:
    """Weekly hours in one IANA time zone minus holidays (or 24x7); also a site's shifts."""

    timezone: str
    hours: Week
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        _zone(self.timezone)
        object.__setattr__(self, "hours", _normalize_week(self.hours))
        object.__setattr__(self, "holidays", parse_holidays(self.holidays))

    @classmethod
    def from_spec(
        cls, timezone: str, hours: Mapping[str, Iterable[str]], holidays: Iterable[str | date] = ()
    ) -> BusinessCalendar:
        """Build a calendar from provisioning values, raising CalendarError on anything wrong."""
        _zone(timezone)
        return cls(timezone, parse_hours(hours), parse_holidays(holidays))

    @classmethod
    def always(cls, timezone: str = "UTC") -> BusinessCalendar:
        """A 24x7 calendar: open at every instant, holidays ignored."""
        return cls(timezone, (((0, _DAY_MIN),),) * 7, always_open=True)

    def is_open(self, at: datetime) -> bool:
        """Whether `at` is business time ("on shift at T")."""
        t = _to_us(at, "at")
        return self.always_open or next(self._spans(t, stop=t + 1), None) is not None

    def next_opening(self, at: datetime) -> datetime | None:
        """The first open instant at or after `at`; None if the calendar never opens."""
        t = _to_us(at, "at")
        if self.always_open:
            return _from_us(t)
        first = next(self._spans(t), None) if any(self.hours) else None
        return None if first is None else _from_us(first[0])

    def next_closing(self, at: datetime) -> datetime | None:
        """The first closed instant at or after `at` (`at` itself if closed); None if never."""
        t = _to_us(at, "at")
        if self.always_open:
            return None
        if not self.is_open(at):
            return _from_us(t)
        last_day = self._local_day(t) + _HORIZON_DAYS
        end = t
        for lo, hi in self._spans(t, last_day=last_day):
            if lo > end:
                break
            end = hi
        else:
            # The walk stopped at the horizon: a span running into its last day may go on.
            if end > (last_day - _EPOCH_ORDINAL) * _DAY_S * _US:
                return None
        return _from_us(end)

    def open_spans(self, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
        """The merged, sorted, half-open UTC spans of open time within [start, end)."""
        lo, hi = _to_us(start, "start"), _to_us(end, "end")
        if hi <= lo:
            return []
        spans = [(lo, hi)] if self.always_open else _merge(list(self._spans(lo, stop=hi)))
        return [(_from_us(a), _from_us(b)) for a, b in spans]

    def due(self, start: datetime, minutes: float) -> datetime:
        """The earliest instant by which `minutes` of business time have elapsed since `start`."""
        t, need = _to_us(start, "start"), _minutes_to_us(minutes)
        if self.always_open:
            return _from_us(t + need)
        if not any(self.hours):
            raise CalendarError("calendar has no business hours")
        for lo, hi in self._spans(t):
            if need <= hi - lo:
                return _from_us(lo + need)
            need -= hi - lo
        raise CalendarError(
            f"calendar has no business hours for {_HORIZON_DAYS} days from {start.isoformat()}"
        )

    def elapsed(
        self,
        start: datetime,
        end: datetime,
        pauses: Iterable[tuple[datetime, datetime | None]] = (),
    ) -> timedelta:
        """Business time in [start, end) outside the pauses (a pause ending None runs to end)."""
        lo, hi = _to_us(start, "start"), _to_us(end, "end")
        cuts = []
        for i, (pause_start, pause_end) in enumerate(pauses):
            p_lo = _to_us(pause_start, f"pauses[{i}] start")
            p_hi = max(hi, p_lo) if pause_end is None else _to_us(pause_end, f"pauses[{i}] end")
            if p_hi < p_lo:
                raise ValueError(f"pauses[{i}] ends before it starts")
            cuts.append((max(p_lo, lo), min(p_hi, hi)))
        if hi <= lo:
            return timedelta(0)
        spans = [(lo, hi)] if self.always_open else list(self._spans(lo, stop=hi))
        cuts = _merge([(a, b) for a, b in cuts if a < b])
        total = sum(b - a for a, b in spans) - _overlap(spans, cuts)
        return timedelta(microseconds=total)

    def elapsed_minutes(
        self,
        start: datetime,
        end: datetime,
        pauses: Iterable[tuple[datetime, datetime | None]] = (),
    ) -> float:
        """elapsed() in minutes, as a float."""
        return self.elapsed(start, end, pauses) / timedelta(minutes=1)

    # -- internals -------------------------------------------------------------------------------

    def _local_day(self, us: int) -> int:
        return _from_us(us).astimezone(_cached_zone(self.timezone)).toordinal()

    def _day_spans(self, day: int) -> tuple:
        intervals = self.hours[(day - 1) % 7]  # ordinal 1 was a Monday
        if not intervals or date.fromordinal(day) in self.holidays:
            return ()
        return _local_day_spans(self.timezone, intervals, day)

    def _spans(
        self, start: int, stop: int | None = None, last_day: int | None = None
    ) -> Iterator[tuple[int, int]]:
        """Yield open spans clipped to [start, stop) in order (disjoint, not merged)."""
        # A day's intervals cover wall times [midnight, midnight + 48 h) and offsets are within
        # ±24 h, so days before local(start) - 3 end before `start`.
        day = self._local_day(start) - 3
        pending: list[tuple[int, int]] = []
        idle = 0
        while last_day is None or day <= last_day:
            new = self._day_spans(day)
            idle = 0 if new else idle + 1
            if idle > _HORIZON_DAYS:
                return
            if new:
                pending = sorted(pending + list(new))
            # Later days only add instants after this day's midnight read as UTC, so spans
            # starting by then come before anything still to be found.
            settled = (day - _EPOCH_ORDINAL) * _DAY_S * _US
            done = stop is not None and settled >= stop  # all that starts before stop is known
            while pending and (done or pending[0][0] <= settled):
                lo, hi = pending.pop(0)
                if stop is not None and lo >= stop:
                    return
                lo, hi = max(lo, start), hi if stop is None else min(hi, stop)
                if lo < hi:
                    yield lo, hi
            if done:
                return
            day += 1


ALWAYS = BusinessCalendar.always()
