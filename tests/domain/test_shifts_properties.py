"""Shift maths, coverage and routing agree with a brute-force reading of the wall-clock rule."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from helpdesk.domain.calendar import WEEKDAYS, BusinessCalendar
from helpdesk.domain.coverage import week_coverage
from helpdesk.domain.routing import AgentView, Need, choose

# With and without DST, in both hemispheres, and on half-hour offsets.
ZONES = [
    "America/New_York",
    "Europe/Berlin",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Asia/Manila",
    "America/Sao_Paulo",
    "Australia/Adelaide",
    "UTC",
]
# Offset changes of the zones above (Sao Paulo's last ones, at local midnight), and a quiet day.
ANCHORS = [
    date(2026, 3, 8),
    date(2026, 11, 1),
    date(2026, 3, 29),
    date(2026, 10, 25),
    date(2026, 4, 5),
    date(2026, 10, 4),
    date(2018, 11, 4),
    date(2019, 2, 17),
    date(2026, 7, 15),
]
MINUTE = timedelta(minutes=1)
QUARTER = timedelta(minutes=15)
SCAN = 9 * 24 * 60  # minutes: a weekly shift reopens within this unless holidays intervene
LANGUAGES = ["en", "en_GB", "pt", "pt_BR"]
CLIENT_SETS = [frozenset({1}), frozenset({1, 2}), frozenset({2}), frozenset()]

PROPERTY = settings(
    max_examples=100,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass(frozen=True)
class Shift:
    """Weekly shifts as raw (weekday, start minute, length) triples, with a brute-force reading."""

    zone: str
    intervals: tuple[tuple[int, int, int], ...]
    holidays: frozenset[date] = frozenset()

    @cached_property
    def calendar(self) -> BusinessCalendar:
        spec: dict[str, list[str]] = {}
        for day, start, length in self.intervals:
            end = (start + length) % 1440
            spec.setdefault(WEEKDAYS[day], []).append(
                f"{hhmm(start)}-{'24:00' if end == 0 else hhmm(end)}"
            )
        return BusinessCalendar.from_spec(self.zone, spec, [d.isoformat() for d in self.holidays])

    def on_shift(self, t: datetime) -> bool:
        """The rule read literally: the wall time lies in an interval not started on a holiday."""
        wall = t.astimezone(ZoneInfo(self.zone))
        day, minute = wall.date(), wall.hour * 60 + wall.minute
        for weekday, start, length in self.intervals:
            today = day.weekday() == weekday and day not in self.holidays
            if today and start <= minute < start + length:
                return True
            yesterday = day - timedelta(days=1)
            spilled = yesterday.weekday() == weekday and yesterday not in self.holidays
            if spilled and minute + 1440 < start + length:
                return True
        return False

    def first(self, start: datetime, want: bool, step: timedelta = MINUTE) -> datetime | None:
        """The first instant from `start` (then on the `step` grid) whose state is `want`."""
        if self.on_shift(start) is want:
            return start
        t = _ceil(start, step)
        for _ in range(SCAN * MINUTE // step):
            if t > start and self.on_shift(t) is want:
                return t
            t += step
        return None


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _ceil(t: datetime, step: timedelta) -> datetime:
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return epoch + -((epoch - t) // step) * step


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    week = 7 * 1440
    return any(max(a[0], b[0] + k) < min(a[1], b[1] + k) for k in (-week, 0, week))


@st.composite
def shifts(
    draw: st.DrawFn, grid: int = 1, anchor: date | None = None, min_intervals: int = 1
) -> Shift:
    """A zone and non-overlapping shifts starting and ending on a `grid`-minute boundary."""
    anchor = anchor or draw(st.sampled_from(ANCHORS))
    slots = 1440 // grid
    raw = draw(
        st.lists(
            st.tuples(st.integers(0, 6), st.integers(0, slots - 1), st.integers(1, slots)),
            min_size=min_intervals,
            max_size=6,
        )
    )
    kept: list[tuple[int, int, int]] = []
    for day, start, length in raw:
        start, length = start * grid, min(length * grid, 1440 if start == 0 else 1440 - grid)
        laid = (day * 1440 + start, day * 1440 + start + length)
        if all(not _overlaps(laid, (d * 1440 + s, d * 1440 + s + n)) for d, s, n in kept):
            kept.append((day, start, length))
    holidays = draw(st.frozensets(st.integers(-7, 8), max_size=3))
    return Shift(
        zone=draw(st.sampled_from(ZONES)),
        intervals=tuple(kept),
        holidays=frozenset(anchor + timedelta(days=n) for n in holidays),
    )


@st.composite
def instants(draw: st.DrawFn, anchor: date | None = None) -> datetime:
    anchor = anchor or draw(st.sampled_from(ANCHORS))
    base = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC)
    return base + draw(st.integers(-3 * 1440, 3 * 1440)) * MINUTE


NIGHT_SUN = ((6, 22 * 60, 9 * 60),)  # Sunday 22:00 to Monday 07:00
NY_FALL_BACK_NIGHT = Shift("America/New_York", ((5, 23 * 60, 8 * 60),))  # Sat 23:00 - Sun 07:00
ADELAIDE_SPRING = Shift("Australia/Adelaide", ((5, 22 * 60 + 30, 6 * 60),))  # into 2026-10-04
KOLKATA_NIGHT = Shift("Asia/Kolkata", NIGHT_SUN, frozenset({date(2026, 3, 8)}))


# -- one calendar against the brute-force reference ----------------------------------------------


@PROPERTY
@given(
    shift=shifts(),
    start=instants(),
    probes=st.lists(st.integers(-2 * 1440, 2 * 1440), max_size=30),
    jitter=st.integers(0, 59_999_999),
)
@example(NY_FALL_BACK_NIGHT, datetime(2026, 11, 1, 3, tzinfo=UTC), list(range(0, 600, 10)), 0)
@example(ADELAIDE_SPRING, datetime(2026, 10, 3, 11, tzinfo=UTC), list(range(0, 600, 10)), 0)
@example(KOLKATA_NIGHT, datetime(2026, 3, 8, 12, tzinfo=UTC), list(range(0, 1440, 30)), 5)
def test_on_shift_matches_the_brute_force_reading(shift, start, probes, jitter):
    for n in probes:
        t = start + n * MINUTE + timedelta(microseconds=jitter)
        assert shift.calendar.is_open(t) is shift.on_shift(t)


@PROPERTY
@given(shift=shifts(), start=instants(), jitter=st.integers(0, 59_999_999))
@example(NY_FALL_BACK_NIGHT, datetime(2026, 10, 31, 12, tzinfo=UTC), 0)
@example(KOLKATA_NIGHT, datetime(2026, 3, 6, 12, tzinfo=UTC), 0)
def test_next_opening_is_the_first_open_minute(shift, start, jitter):
    start += timedelta(microseconds=jitter)
    expected = shift.first(start, True)
    opening = shift.calendar.next_opening(start)
    if expected is None:
        assert opening is None or opening > start + SCAN * MINUTE
    else:
        assert opening == expected


@PROPERTY
@given(shift=shifts(), start=instants())
@example(NY_FALL_BACK_NIGHT, datetime(2026, 11, 1, 4, tzinfo=UTC))
def test_next_closing_is_the_first_closed_minute(shift, start):
    expected = shift.first(start, False)
    closing = shift.calendar.next_closing(start)
    assert closing == expected or (expected is None and (closing is None or closing > start))


@pytest.mark.parametrize("zone", ZONES)
@pytest.mark.parametrize(
    "sunday", [date(2026, 3, 8), date(2026, 3, 29), date(2026, 4, 5), date(2026, 11, 1)]
)
def test_a_sunday_night_shift_is_open_monday_at_three_and_belongs_to_sunday(zone, sunday):
    tz = ZoneInfo(zone)
    monday = sunday + timedelta(days=1)
    at_three = datetime(monday.year, monday.month, monday.day, 3, tzinfo=tz)
    at_seven = at_three.replace(hour=7)
    night = Shift(zone, NIGHT_SUN)
    assert night.calendar.is_open(at_three) and night.on_shift(at_three)
    assert not night.calendar.is_open(at_seven)
    sunday_off = Shift(zone, NIGHT_SUN, frozenset({sunday}))
    assert not sunday_off.calendar.is_open(at_three) and not sunday_off.on_shift(at_three)
    monday_off = Shift(zone, NIGHT_SUN, frozenset({monday}))
    assert monday_off.calendar.is_open(at_three) and monday_off.on_shift(at_three)
    # Closed on the holiday's night, it reopens at the next Sunday's 22:00.
    next_sunday = sunday + timedelta(days=7)
    assert sunday_off.calendar.next_opening(at_three) == datetime(
        next_sunday.year, next_sunday.month, next_sunday.day, 22, tzinfo=tz
    )


# -- coverage and routing over several agents ----------------------------------------------------


@st.composite
def teams(draw: st.DrawFn, grid: int) -> tuple[date, list[Shift | None], list[AgentView]]:
    """Agents on a few shared site calendars (or none), with random clients and languages."""
    anchor = draw(st.sampled_from(ANCHORS))
    sites = draw(
        st.lists(shifts(grid=grid, anchor=anchor, min_intervals=3), min_size=1, max_size=3)
    )
    sites.append(None)  # for agents without a shift
    agents = []
    for n in range(draw(st.integers(1, 8))):
        shiftless = draw(st.integers(0, 7)) == 7
        site = len(sites) - 1 if shiftless else draw(st.integers(0, len(sites) - 2))
        capacity = draw(st.integers(0, 3))
        agents.append(
            AgentView(
                id=draw(st.integers(1, 50)) * 10 + n,
                name=f"Agent {n}",
                site=f"site{site}",
                shift=None if sites[site] is None else sites[site].calendar,
                languages=frozenset(
                    draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=2))
                ),
                skills=frozenset(draw(st.lists(st.sampled_from(["billing", "unix"]), max_size=2))),
                serves_all=draw(st.booleans()),
                clients=draw(st.sampled_from(CLIENT_SETS)),
                capacity=capacity,
                load=draw(st.integers(0, capacity + 1)),
                presence=draw(st.sampled_from(["online", "online", "away", "offline"])),
                last_assigned_at=draw(
                    st.none() | st.sampled_from([datetime(2026, 1, h, tzinfo=UTC) for h in (1, 2)])
                ),
            )
        )
    return anchor, sites, agents


def reference_fit(languages: frozenset[str], locale: str) -> int:
    if locale in languages:
        return 2
    return int(any(lang.split("_")[0] == locale.split("_")[0] for lang in languages))


def shift_of(agent: AgentView, sites: list[Shift | None]) -> Shift | None:
    return sites[int(agent.site.removeprefix("site"))]


@PROPERTY
@given(
    team=teams(grid=1), locale=st.sampled_from(["en", "en", "pt_BR", "ja"]), week=st.integers(-1, 0)
)
def test_each_coverage_slot_counts_the_agents_on_shift_at_its_start(team, locale, week):
    anchor, sites, agents = team
    week_of = anchor - timedelta(days=anchor.weekday() - 7 * week)
    coverage = week_coverage(agents, 1, locale, week_of)
    assert len(coverage.slots) == 168
    for n, slot in enumerate(coverage.slots):
        assert slot.start == datetime(week_of.year, week_of.month, week_of.day, tzinfo=UTC) + n * (
            60 * MINUTE
        )
        present = [
            agent
            for agent in agents
            if (agent.serves_all or 1 in agent.clients)
            and reference_fit(agent.languages, locale)
            and shift_of(agent, sites) is not None
            and shift_of(agent, sites).on_shift(slot.start)
        ]
        assert slot.agents == len(present)
        assert slot.sites == tuple(sorted({agent.site for agent in present}))
    uncovered = {slot.start for slot in coverage.slots if not slot.agents}
    in_gaps = {
        gap_start + k * 60 * MINUTE
        for gap_start, gap_end in coverage.gaps
        for k in range((gap_end - gap_start) // (60 * MINUTE))
    }
    assert in_gaps == uncovered
    assert all(a[1] < b[0] for a, b in zip(coverage.gaps, coverage.gaps[1:], strict=False))


# Shifts on a 15-minute grid change state only on 15-minute UTC instants (every offset and
# offset change of ZONES is a whole quarter hour), so the reference may scan quarter hours.
@PROPERTY
@given(
    team=teams(grid=15),
    locale=st.sampled_from(["en", "en_US", "pt_BR", "ja"]),
    skill=st.sampled_from([None, None, "billing"]),
    offset=st.integers(-3 * 1440, 3 * 1440),
    into_shift=st.none() | st.integers(0, 90),
    live=st.booleans(),
)
def test_routing_picks_the_reference_agent_or_the_reference_next_shift(
    team, locale, skill, offset, into_shift, live
):
    anchor, sites, agents = team
    at = datetime(anchor.year, anchor.month, anchor.day, tzinfo=UTC) + offset * MINUTE
    if into_shift is not None:  # often land just inside the first site's next shift
        opening = sites[0].first(at, True, QUARTER)
        at = at if opening is None else opening + into_shift * MINUTE
    decision = choose(agents, Need(1, locale, skill), at, live=live)

    qualified = [
        agent
        for agent in agents
        if (agent.serves_all or 1 in agent.clients)
        and reference_fit(agent.languages, locale)
        and (skill is None or skill in agent.skills)
        and shift_of(agent, sites) is not None
    ]
    eligible = [
        agent
        for agent in qualified
        if shift_of(agent, sites).on_shift(at)
        and (not live or (agent.presence == "online" and agent.load < agent.capacity))
    ]
    if eligible:

        def rank(agent: AgentView) -> tuple:
            fit = -reference_fit(agent.languages, locale)
            if not live:
                return fit, agent.id
            idle = agent.last_assigned_at or datetime.min.replace(tzinfo=UTC)
            return fit, agent.load / agent.capacity, idle, agent.id

        assert decision.reason == "assigned"
        assert decision.agent == min(eligible, key=rank)
        return

    pickups = []
    for agent in qualified:
        shift = shift_of(agent, sites)
        if shift.on_shift(at):  # on shift but unavailable: the shift after this one
            closing = shift.first(at, False, QUARTER)
            when = None if closing is None else shift.first(closing, True, QUARTER)
        else:
            when = shift.first(at, True, QUARTER)
        if when is not None:
            pickups.append((when, -reference_fit(agent.languages, locale), agent.id, agent))
    if not pickups:
        assert decision.reason == "no_coverage" or decision.expected_pickup_at > at + SCAN * MINUTE
        return
    when, _, _, agent = min(pickups, key=lambda p: p[:3])
    assert decision.reason == "queued_next_shift"
    assert decision.agent is None
    assert (decision.expected_pickup_at, decision.site) == (when, agent.site)
