"""SLA clock arithmetic: due and warning instants with pauses on business calendars."""

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from helpdesk.domain.calendar import BusinessCalendar
from helpdesk.domain.sla import clock_times, due_with_pauses, merged_pauses

NY = BusinessCalendar.from_spec(
    "America/New_York",
    {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
    ["2026-12-25"],
)
ALWAYS = BusinessCalendar.always()


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def test_without_pauses_the_due_time_is_the_calendars():
    start = utc(2026, 11, 5, 21, 0)  # Thursday 16:00 EST
    assert due_with_pauses(NY, start, 120) == utc(2026, 11, 6, 15, 0)


def test_a_pause_moves_the_due_time_by_the_paused_business_time():
    start = utc(2026, 11, 2, 14, 0)  # Monday 09:00 EST
    pause = (utc(2026, 11, 2, 15, 0), utc(2026, 11, 2, 16, 30))  # 90 business minutes
    assert due_with_pauses(NY, start, 240, [pause]) == utc(2026, 11, 2, 19, 30)


def test_a_pause_outside_business_hours_moves_nothing():
    start = utc(2026, 11, 6, 20, 0)  # Friday 15:00 EST
    weekend = (utc(2026, 11, 7, 12, 0), utc(2026, 11, 8, 12, 0))
    assert due_with_pauses(NY, start, 240, [weekend]) == due_with_pauses(NY, start, 240)


def test_a_pause_after_the_due_time_does_not_undo_a_breach():
    start = utc(2026, 3, 1, 0, 0)
    late_pause = (utc(2026, 3, 1, 2, 0), utc(2026, 3, 1, 5, 0))
    assert due_with_pauses(ALWAYS, start, 60, [late_pause]) == utc(2026, 3, 1, 1, 0)


def test_an_open_pause_holds_the_clock():
    start = utc(2026, 3, 1, 0, 0)
    assert due_with_pauses(ALWAYS, start, 60, [(utc(2026, 3, 1, 0, 30), None)]) is None


def test_overlapping_pauses_count_once():
    start = utc(2026, 3, 1, 0, 0)
    pauses = [
        (utc(2026, 3, 1, 0, 10), utc(2026, 3, 1, 0, 40)),
        (utc(2026, 3, 1, 0, 20), utc(2026, 3, 1, 0, 30)),
    ]
    assert merged_pauses(pauses) == [(utc(2026, 3, 1, 0, 10), utc(2026, 3, 1, 0, 40))]
    assert due_with_pauses(ALWAYS, start, 60, pauses) == start + timedelta(minutes=90)


def test_the_warning_comes_at_three_quarters_of_the_target():
    times = clock_times(ALWAYS, utc(2026, 3, 1, 0, 0), 60)
    assert (times.warn_at, times.due_at) == (utc(2026, 3, 1, 0, 45), utc(2026, 3, 1, 1, 0))


@settings(max_examples=150, deadline=None)
@given(
    start_min=st.integers(0, 60 * 24 * 14),
    minutes=st.integers(0, 60 * 30),
    raw_pauses=st.lists(
        st.tuples(st.integers(0, 60 * 24 * 20), st.integers(0, 60 * 24 * 3)), max_size=4
    ),
)
def test_business_time_up_to_the_due_time_outside_pauses_is_the_target(
    start_min, minutes, raw_pauses
):
    base = utc(2026, 3, 2)
    start = base + timedelta(minutes=start_min)
    pauses = [
        (base + timedelta(minutes=a), base + timedelta(minutes=a + length))
        for a, length in raw_pauses
    ]
    due = due_with_pauses(NY, start, minutes, pauses)
    assert NY.elapsed_minutes(start, due, pauses) == minutes
    assert due_with_pauses(NY, start, minutes + 1, pauses) > due
