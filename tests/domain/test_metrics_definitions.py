"""Metric definitions as plain values: periods in a zone, percentiles, attainment, outcomes."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpdesk.domain.metrics import (
    MAX_DAYS,
    ClockFacts,
    Period,
    PeriodError,
    TicketFacts,
    age_bucket,
    attainment,
    clock_outcome,
    day_start,
    local_slot,
    percentile,
    summarize,
)

NOW = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "values, p50, p90",
    [
        ([5.0], 5.0, 5.0),
        ([1.0, 2.0], 1.5, 1.9),
        ([1.0, 2.0, 3.0, 4.0], 2.5, 3.7),
        ([4.0, 1.0, 3.0, 2.0, 5.0], 3.0, 4.6),  # order of input does not matter
        ([10.0, 10.0, 10.0], 10.0, 10.0),
    ],
)
def test_percentiles_interpolate_linearly_between_neighbour_ranks(values, p50, p90):
    assert percentile(values, 0.5) == pytest.approx(p50)
    assert percentile(values, 0.9) == pytest.approx(p90)


def test_a_percentile_of_nothing_is_none():
    assert percentile([], 0.5) is None


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50), st.floats(0, 1))
def test_a_percentile_lies_between_the_smallest_and_largest_value(values, fraction):
    assert min(values) <= percentile(values, fraction) <= max(values)


@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=50))
def test_percentiles_never_decrease_with_the_fraction(values):
    assert percentile(values, 0.5) <= percentile(values, 0.9) <= percentile(values, 1.0)
    assert percentile(values, 0.0) == min(values) and percentile(values, 1.0) == max(values)


def test_attainment_is_met_over_met_plus_missed_and_none_without_either():
    assert attainment(3, 1) == 0.75
    assert attainment(0, 2) == 0.0
    assert attainment(0, 0) is None


@pytest.mark.parametrize(
    "state, due_at, outcome",
    [
        ("hit", None, "met"),
        ("missed", None, "missed"),
        ("active", NOW - timedelta(seconds=1), "missed"),  # breached, scanner not yet run
        ("active", NOW, "missed"),  # due at this instant: the target is spent
        ("active", NOW + timedelta(minutes=1), "running"),
        ("active", None, "running"),  # paused
        ("cancelled", None, "cancelled"),
    ],
)
def test_a_clock_outcome_follows_its_state_and_due_time(state, due_at, outcome):
    assert clock_outcome(state, due_at, NOW) == outcome


def test_a_period_runs_from_local_midnight_to_the_midnight_after_its_last_day():
    period = Period(date(2026, 3, 1), date(2026, 3, 31), "America/New_York")
    assert period.start == utc(2026, 3, 1, 5)
    assert period.end == utc(2026, 4, 1, 4)
    assert period.contains(utc(2026, 4, 1, 3, 59, 59))  # March 31, 23:59:59 EDT
    assert not period.contains(utc(2026, 4, 1, 4))
    assert not period.contains(utc(2026, 3, 1, 4, 59))


def test_a_fall_back_month_is_an_hour_longer():
    period = Period(date(2026, 11, 1), date(2026, 11, 30), "America/New_York")
    assert period.end - period.start == timedelta(days=30, hours=1)


def test_a_day_that_starts_in_a_dst_gap_starts_at_the_transition():
    # Chile springs forward at 00:00 on 2026-09-06: that day's first instant is 01:00 local.
    santiago = ZoneInfo("America/Santiago")
    start = day_start(date(2026, 9, 6), santiago)
    assert start == utc(2026, 9, 6, 4)
    assert start.astimezone(santiago).hour == 1
    assert (start - timedelta(seconds=1)).astimezone(santiago).date() == date(2026, 9, 5)


def test_offset_runs_cover_the_period_and_change_at_the_transition():
    period = Period(date(2026, 3, 1), date(2026, 3, 31), "America/New_York")
    runs = period.offset_runs()
    assert runs == [
        (period.start, utc(2026, 3, 8, 7), -300),
        (utc(2026, 3, 8, 7), period.end, -240),
    ]
    lord_howe = Period(date(2026, 4, 1), date(2026, 4, 30), "Australia/Lord_Howe")
    assert [offset for *_, offset in lord_howe.offset_runs()] == [660, 630]  # half-hour DST
    assert Period(date(2026, 1, 1), date(2026, 12, 31), "Asia/Kolkata").offset_runs() == [
        (utc(2025, 12, 31, 18, 30), utc(2026, 12, 31, 18, 30), 330)
    ]


@pytest.mark.parametrize(
    "first, last, tz, field",
    [
        (date(2026, 3, 2), date(2026, 3, 1), "UTC", "to"),
        (date(2026, 1, 1), date(2026, 1, 1) + timedelta(days=MAX_DAYS), "UTC", "to"),
        (date(2026, 1, 1), date(2026, 1, 31), "Mars/Olympus", "tz"),
        (date(1, 1, 1), date(1, 1, 2), "Asia/Tokyo", "from"),
        (date(2026, 1, 1), date(9999, 12, 31), "UTC", "to"),
    ],
)
def test_an_unreadable_period_names_the_offending_field(first, last, tz, field):
    with pytest.raises(PeriodError) as error:
        Period(first, last, tz)
    assert error.value.field == field


def test_a_leap_year_fits_in_one_period():
    period = Period(date(2028, 1, 1), date(2028, 12, 31), "UTC")
    assert len(period.days) == MAX_DAYS


def test_local_slot_gives_the_local_date_weekday_and_hour():
    assert local_slot(utc(2026, 4, 1, 3, 30), ZoneInfo("America/New_York")) == (
        date(2026, 3, 31),
        1,
        23,
    )
    assert local_slot(utc(2026, 3, 9, 4, 15), ZoneInfo("Asia/Kathmandu"))[2] == 10


@pytest.mark.parametrize(
    "age, bucket",
    [
        (timedelta(0), "under_1d"),
        (timedelta(hours=23, minutes=59), "under_1d"),
        (timedelta(days=1), "1d_to_3d"),
        (timedelta(days=3), "3d_to_7d"),
        (timedelta(days=7), "7d_or_more"),
        (timedelta(days=-1), "under_1d"),  # filed after `now`: the youngest bucket
    ],
)
def test_backlog_age_buckets_include_their_lower_bound(age, bucket):
    assert age_bucket(NOW - age, NOW) == bucket


def test_summarize_counts_only_the_periods_tickets_and_their_clocks():
    period = Period(date(2026, 3, 1), date(2026, 3, 31), "UTC")
    tickets = [
        TicketFacts(1, utc(2026, 3, 2), "solved"),
        TicketFacts(2, utc(2026, 3, 3), "open"),
        TicketFacts(3, utc(2026, 4, 1), "open"),  # April
    ]
    clocks = [
        ClockFacts(1, "first_response", "hit", None, 10.0),
        ClockFacts(2, "first_response", "active", NOW - timedelta(hours=1), None),
        ClockFacts(3, "first_response", "missed", None, 99.0),
    ]
    result = summarize(period, tickets, clocks, now=NOW)
    assert (result.tickets, result.solved, result.backlog["open"]) == (2, 1, 1)
    fr = result.metrics["first_response"]
    assert (fr.count, fr.median_minutes, fr.met, fr.missed) == (1, 10.0, 1, 1)
    assert fr.attainment == 0.5 and result.breaches == 1
    assert result.metrics["resolution"].attainment is None
