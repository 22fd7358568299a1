"""Business calendars agree with a minute-by-minute reading of the wall-clock rule."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from helpdesk.domain.calendar import WEEKDAYS, BusinessCalendar

ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Tokyo",
    "America/Sao_Paulo",
    "Pacific/Chatham",
    "Australia/Lord_Howe",
    "UTC",
    "Pacific/Kiritimati",  # +14: the widest gap between wall time and UTC
    "Pacific/Pago_Pago",  # -11
]
# Offset changes in 2026 for the zones above (northern and southern), a quiet day, and
# Sao Paulo's last changes, made at midnight (wall time falls back into the previous day).
DST_DAYS = [
    date(2018, 11, 4),
    date(2019, 2, 17),
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2026, 9, 27),
    date(2026, 7, 15),
]
MINUTE = timedelta(minutes=1)
# Every boundary (wall intervals at 15 minutes, offsets and their changes) falls on a whole
# UTC minute, so reading each minute at its first second measures business time exactly.
CAP = 6 * 24 * 60  # longest minute-by-minute walk, to keep each example cheap

PROPERTY = settings(
    max_examples=150,
    deadline=None,
    derandomize=False,
    database=None,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Case:
    """A calendar as raw weekly intervals (weekday, start minute, length), with the reference."""

    zone: str
    intervals: tuple[tuple[int, int, int], ...]
    holidays: frozenset[date]
    midnight_as_24: bool = True

    @cached_property
    def calendar(self) -> BusinessCalendar:
        spec: dict[str, list[str]] = {}
        for day, start, length in self.intervals:
            end = (start + length) % 1440
            end_text = "24:00" if end == 0 and (self.midnight_as_24 or start == 0) else hhmm(end)
            spec.setdefault(WEEKDAYS[day], []).append(f"{hhmm(start)}-{end_text}")
        holidays = [day.isoformat() for day in self.holidays]
        return BusinessCalendar.from_spec(self.zone, spec, holidays)

    @cached_property
    def _tables(self) -> tuple[list[set[int]], list[set[int]]]:
        # same[w]: wall minutes of weekday w inside an interval listed under w;
        # spill[w]: wall minutes of weekday w inside an interval listed under the day before.
        same: list[set[int]] = [set() for _ in range(7)]
        spill: list[set[int]] = [set() for _ in range(7)]
        for day, start, length in self.intervals:
            for minute in range(start, start + length):
                if minute < 1440:
                    same[day].add(minute)
                else:
                    spill[(day + 1) % 7].add(minute - 1440)
        return same, spill

    def open_at(self, t: datetime) -> bool:
        """API.md read literally: wall time inside an interval that did not start on a holiday."""
        wall = t.astimezone(ZoneInfo(self.zone))
        day, minute = wall.date(), wall.hour * 60 + wall.minute
        same, spill = self._tables
        if minute in same[day.weekday()] and day not in self.holidays:
            return True
        return minute in spill[day.weekday()] and day - timedelta(days=1) not in self.holidays

    def minutes(self, start: datetime, count: int) -> list[bool]:
        return [self.open_at(start + n * MINUTE) for n in range(count)]


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    week = 7 * 1440
    return any(max(a[0], b[0] + k) < min(a[1], b[1] + k) for k in (-week, 0, week))


@st.composite
def cases(draw: st.DrawFn) -> Case:
    zone = draw(st.sampled_from(ZONES))
    anchor = draw(st.sampled_from(DST_DAYS))
    raw = draw(
        st.lists(
            st.tuples(st.integers(0, 6), st.integers(0, 95), st.integers(1, 96)),
            min_size=1,
            max_size=8,
        )
    )
    kept: list[tuple[int, int, int]] = []
    for day, quarter, quarters in raw:
        if quarters == 96 and quarter != 0:
            quarters = 95  # a whole day can only be written 00:00-24:00
        start, length = quarter * 15, quarters * 15
        laid = (day * 1440 + start, day * 1440 + start + length)
        if all(not overlaps(laid, (d * 1440 + s, d * 1440 + s + n)) for d, s, n in kept):
            kept.append((day, start, length))
    holidays = draw(st.frozensets(st.integers(-6, 8), max_size=4))
    return Case(
        zone=zone,
        intervals=tuple(kept),
        holidays=frozenset(anchor + timedelta(days=n) for n in holidays),
        midnight_as_24=draw(st.booleans()),
    )


@st.composite
def starts(draw: st.DrawFn) -> datetime:
    anchor = draw(st.sampled_from(DST_DAYS))
    base = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
    return base + draw(st.integers(-3 * 1440, 2 * 1440)) * MINUTE


NY_NIGHTS = Case("America/New_York", ((5, 1320, 540), (6, 780, 300), (6, 1380, 120)), frozenset())
LORD_HOWE_EARLY = Case("Australia/Lord_Howe", ((6, 60, 120),), frozenset({date(2026, 10, 5)}))
CHATHAM_ALL_WEEK = Case("Pacific/Chatham", tuple((d, 0, 1440) for d in range(7)), frozenset())
FALL_BACK_NY = datetime(2026, 10, 31, 20, tzinfo=UTC)
SPRING_LORD_HOWE = datetime(2026, 10, 3, 12, tzinfo=UTC)


@PROPERTY
@given(case=cases(), start=starts(), probes=st.lists(st.integers(-2880, 2880), max_size=40))
@example(NY_NIGHTS, FALL_BACK_NY, list(range(0, 900, 15)))
@example(LORD_HOWE_EARLY, SPRING_LORD_HOWE, list(range(0, 600, 15)))
def test_is_open_matches_the_wall_clock_rule(case, start, probes):
    zone = ZoneInfo(case.zone)
    for n in probes:
        t = start + n * MINUTE
        expected = case.open_at(t)
        assert case.calendar.is_open(t) is expected
        assert case.calendar.is_open(t.astimezone(zone)) is expected  # same instant, local form
        assert case.calendar.is_open(t + timedelta(seconds=59, microseconds=999_999)) is expected


@PROPERTY
@given(case=cases(), start=starts(), target=st.integers(0, 1500))
@example(NY_NIGHTS, FALL_BACK_NY, 700)
@example(LORD_HOWE_EARLY, SPRING_LORD_HOWE, 90)
@example(CHATHAM_ALL_WEEK, datetime(2026, 9, 26, 13, tzinfo=UTC), 180)
def test_due_is_the_end_of_the_minute_where_the_count_reaches_the_target(case, start, target):
    calendar, count = case.calendar, 0
    for n, is_open in enumerate(case.minutes(start, CAP)):
        if target == 0 and is_open:
            assert calendar.due(start, 0) == start + n * MINUTE
            assert calendar.next_opening(start) == start + n * MINUTE
            return
        count += is_open
        if target and count == target:
            assert calendar.due(start, target) == start + (n + 1) * MINUTE
            return
    # Not reached in CAP minutes: a target of 0 may still open at minute CAP itself.
    assert calendar.due(start, target) >= start + (CAP + (1 if target else 0)) * MINUTE
    assert calendar.elapsed(start, start + CAP * MINUTE) == count * MINUTE


@PROPERTY
@given(
    case=cases(),
    start=starts(),
    jitter=st.integers(0, 59_999_999),
    target=st.integers(0, 3 * 1440),
    extra=st.sampled_from([0, 0.5]),
)
@example(NY_NIGHTS, FALL_BACK_NY, 0, 840, 0)
def test_business_time_from_start_to_due_is_the_target(case, start, jitter, target, extra):
    start += timedelta(microseconds=jitter)
    due = case.calendar.due(start, target + extra)
    assert due >= start and due.tzinfo is UTC
    assert case.calendar.elapsed(start, due) == timedelta(minutes=target + extra)


@PROPERTY
@given(case=cases(), start=starts(), targets=st.lists(st.floats(0, 3 * 1440), min_size=2))
def test_due_never_moves_earlier_for_a_larger_target(case, start, targets):
    dues = [case.calendar.due(start, minutes) for minutes in sorted(targets)]
    assert dues == sorted(dues)


@PROPERTY
@given(
    case=cases(),
    start=starts(),
    length=st.integers(0, 4 * 1440),
    pauses=st.lists(
        st.tuples(st.integers(-600, 4 * 1440), st.one_of(st.none(), st.integers(0, 2000))),
        max_size=4,
    ),
)
@example(NY_NIGHTS, FALL_BACK_NY, 1440, [(300, 120), (360, 120), (900, None)])
def test_elapsed_with_pauses_leaves_out_business_time_inside_any_pause(case, start, length, pauses):
    spans = [
        (start + a * MINUTE, None if n is None else start + (a + n) * MINUTE) for a, n in pauses
    ]
    paused = {a + k for a, n in pauses for k in range(length - a if n is None else n)}
    expected = sum(
        is_open and n not in paused for n, is_open in enumerate(case.minutes(start, length))
    )
    end = start + length * MINUTE
    assert case.calendar.elapsed(start, end, spans) == expected * MINUTE
    assert case.calendar.elapsed_minutes(start, end, spans) == expected


@PROPERTY
@given(case=cases(), start=starts(), length=st.integers(1, 3 * 1440))
@example(CHATHAM_ALL_WEEK, datetime(2026, 9, 25, tzinfo=UTC), 3 * 1440)
@example(NY_NIGHTS, FALL_BACK_NY, 1440)
def test_open_spans_are_the_runs_of_open_minutes(case, start, length):
    runs: list[tuple[datetime, datetime]] = []
    for n, is_open in enumerate(case.minutes(start, length)):
        t = start + n * MINUTE
        if is_open and runs and runs[-1][1] == t:
            runs[-1] = (runs[-1][0], t + MINUTE)
        elif is_open:
            runs.append((t, t + MINUTE))
    assert case.calendar.open_spans(start, start + length * MINUTE) == runs


@PROPERTY
@given(case=cases(), start=starts())
@example(NY_NIGHTS, datetime(2026, 11, 1, 3, tzinfo=UTC))
def test_next_closing_is_the_first_closed_minute(case, start):
    closing = case.calendar.next_closing(start)
    for n, is_open in enumerate(case.minutes(start, CAP)):
        if not is_open:
            assert closing == start + n * MINUTE
            return
    assert closing is None or closing > start + CAP * MINUTE
