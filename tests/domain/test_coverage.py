"""Weekly coverage: 168 UTC hours, who is on shift at each start, and the gaps between."""

from datetime import UTC, date, datetime, timedelta

import pytest

from helpdesk.domain.calendar import BusinessCalendar
from helpdesk.domain.coverage import week_coverage
from helpdesk.domain.routing import AgentView

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
MANILA = BusinessCalendar.from_spec("Asia/Manila", {"mon": ["22:00-07:00"], "tue": ["22:00-07:00"]})
KRAKOW = BusinessCalendar.from_spec("Europe/Warsaw", {day: ["09:00-17:00"] for day in WEEKDAYS})
ACME, GLOBEX = 1, 2
WEEK = date(2026, 11, 9)  # a Monday, CET in Krakow


def agent(agent_id: int, site: str | None, shift: BusinessCalendar | None, **changes) -> AgentView:
    values = {
        "id": agent_id,
        "name": f"Agent {agent_id}",
        "site": site,
        "shift": shift,
        "languages": frozenset({"en"}),
        "skills": frozenset(),
        "serves_all": False,
        "clients": frozenset({ACME}),
        "capacity": 5,
        "load": 0,
        "presence": "offline",
        "last_assigned_at": None,
    }
    values.update(changes)
    return AgentView(**values)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def covered_hours(coverage, day: int) -> list[int]:
    """UTC hours of the week's `day` (0 = Monday) whose slot is covered."""
    return [n % 24 for n, slot in enumerate(coverage.slots) if n // 24 == day and slot.agents]


def test_a_week_has_168_hourly_slots_from_monday_midnight_utc():
    coverage = week_coverage([], ACME, "en", WEEK)
    assert len(coverage.slots) == 168
    assert coverage.slots[0].start == utc(2026, 11, 9)
    assert coverage.slots[-1].start == utc(2026, 11, 15, 23)
    assert all(
        b.start - a.start == timedelta(hours=1)
        for a, b in zip(coverage.slots, coverage.slots[1:], strict=False)
    )
    assert coverage.gaps == ((utc(2026, 11, 9), utc(2026, 11, 16)),)


def test_manila_nights_and_krakow_days_leave_known_gaps():
    agents = [
        agent(1, "manila", MANILA),
        agent(2, "krakow", KRAKOW),
        agent(3, "krakow", KRAKOW),
    ]
    coverage = week_coverage(agents, ACME, "en", WEEK)
    # Krakow 09:00-17:00 CET is 08:00-16:00 UTC; Manila 22:00-07:00 is 14:00-23:00 UTC.
    assert covered_hours(coverage, 0) == list(range(8, 23))
    assert covered_hours(coverage, 1) == list(range(8, 23))
    assert covered_hours(coverage, 2) == list(range(8, 16))
    assert covered_hours(coverage, 5) == covered_hours(coverage, 6) == []
    monday_1500 = coverage.slots[15]
    assert (monday_1500.sites, monday_1500.agents) == (("krakow", "manila"), 3)
    assert (coverage.slots[9].sites, coverage.slots[9].agents) == (("krakow",), 2)
    assert (coverage.slots[20].sites, coverage.slots[20].agents) == (("manila",), 1)
    assert coverage.gaps == (
        (utc(2026, 11, 9, 0), utc(2026, 11, 9, 8)),
        (utc(2026, 11, 9, 23), utc(2026, 11, 10, 8)),
        (utc(2026, 11, 10, 23), utc(2026, 11, 11, 8)),
        (utc(2026, 11, 11, 16), utc(2026, 11, 12, 8)),
        (utc(2026, 11, 12, 16), utc(2026, 11, 13, 8)),
        (utc(2026, 11, 13, 16), utc(2026, 11, 16, 0)),
    )


def test_a_slot_counts_whoever_is_on_shift_at_its_start_instant():
    half_past = BusinessCalendar.from_spec("UTC", {"mon": ["09:30-10:30"]})
    coverage = week_coverage([agent(1, "x", half_past)], ACME, "en", WEEK)
    assert covered_hours(coverage, 0) == [10]  # on shift at 10:00, not at 09:00


def test_only_agents_serving_the_client_and_speaking_the_locale_count_and_presence_does_not():
    agents = [
        agent(1, "manila", MANILA, languages=frozenset({"ja"})),
        agent(2, "cebu", MANILA, clients=frozenset({GLOBEX})),
        agent(3, "davao", MANILA, clients=frozenset(), serves_all=True, presence="offline"),
        agent(4, "iloilo", MANILA, languages=frozenset({"en_GB"})),
        agent(5, None, None, serves_all=True),
    ]
    slot = week_coverage(agents, ACME, "en_US", WEEK).slots[14]
    assert (slot.sites, slot.agents) == (("davao", "iloilo"), 2)
    assert week_coverage(agents, GLOBEX, "en", WEEK).slots[14].sites == ("cebu", "davao")


def test_an_agent_without_a_site_counts_but_names_no_site():
    slot = week_coverage([agent(1, None, KRAKOW)], ACME, "en", WEEK).slots[9]
    assert (slot.sites, slot.agents) == ((), 1)


def test_krakow_hours_move_an_hour_earlier_in_utc_after_the_european_spring_change():
    agents = [agent(1, "krakow", KRAKOW)]
    before = week_coverage(agents, ACME, "en", date(2026, 3, 23))  # CET, +01:00
    after = week_coverage(agents, ACME, "en", date(2026, 3, 30))  # CEST, +02:00
    for day in range(5):
        assert covered_hours(before, day) == list(range(8, 16))
        assert covered_hours(after, day) == list(range(7, 15))


def test_a_sunday_night_shift_covers_both_ends_of_the_week():
    night = BusinessCalendar.from_spec("UTC", {"sun": ["22:00-07:00"]})
    coverage = week_coverage([agent(1, "night", night)], ACME, "en", WEEK)
    assert covered_hours(coverage, 0) == list(range(7))  # the previous Sunday's shift
    assert covered_hours(coverage, 6) == [22, 23]
    assert coverage.gaps == ((utc(2026, 11, 9, 7), utc(2026, 11, 15, 22)),)


def test_a_holiday_on_the_sunday_before_removes_monday_morning_but_one_on_monday_does_not():
    sunday_off = BusinessCalendar.from_spec("UTC", {"sun": ["22:00-07:00"]}, ["2026-11-08"])
    monday_off = BusinessCalendar.from_spec("UTC", {"sun": ["22:00-07:00"]}, ["2026-11-09"])
    assert covered_hours(week_coverage([agent(1, "a", sunday_off)], ACME, "en", WEEK), 0) == []
    assert covered_hours(week_coverage([agent(1, "a", monday_off)], ACME, "en", WEEK), 0) == list(
        range(7)
    )


def test_week_of_must_be_a_monday_date():
    with pytest.raises(ValueError, match="Monday"):
        week_coverage([], ACME, "en", date(2026, 11, 10))
    with pytest.raises(TypeError, match="date"):
        week_coverage([], ACME, "en", datetime(2026, 11, 9, tzinfo=UTC))
