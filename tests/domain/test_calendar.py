"""Business calendars: the API.md worked examples, DST nights, overnight shifts and validation."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from helpdesk.domain.calendar import (
    ALWAYS,
    BusinessCalendar,
    CalendarError,
    parse_holidays,
    parse_hours,
)

NEW_YORK = ZoneInfo("America/New_York")
MANILA = ZoneInfo("Asia/Manila")
WEEKDAYS_9_TO_5 = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold)


@pytest.fixture
def acme() -> BusinessCalendar:
    return BusinessCalendar.from_spec("America/New_York", WEEKDAYS_9_TO_5, ["2026-12-25"])


@pytest.fixture
def manila() -> BusinessCalendar:
    shifts = {"mon": ["22:00-07:00"], "tue": ["22:00-07:00"]}
    return BusinessCalendar.from_spec("Asia/Manila", shifts, ["2026-12-30"])


def hours_on(calendar: BusinessCalendar, day: date) -> timedelta:
    """Business time in the UTC day `day` and the UTC days either side of it."""
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), UTC)
    return calendar.elapsed(start, start + timedelta(days=3))


# -- the worked examples in API.md ---------------------------------------------------------------


def test_a_120_minute_target_started_thursday_at_four_is_due_friday_at_ten(acme):
    assert acme.due(utc(2026, 11, 5, 21), 120) == utc(2026, 11, 6, 15)


def test_a_60_minute_target_started_saturday_is_due_monday_at_ten_local(acme):
    due = acme.due(local(NEW_YORK, 2026, 11, 7, 12), 60)
    assert due == local(NEW_YORK, 2026, 11, 9, 10)


def test_a_target_ending_at_closing_time_is_due_at_closing_not_the_next_opening(acme):
    due = acme.due(local(NEW_YORK, 2026, 11, 9, 9), 480)
    assert due == local(NEW_YORK, 2026, 11, 9, 17)


def test_manila_agents_are_on_shift_tuesday_0659_and_off_at_0700(manila):
    assert manila.is_open(local(MANILA, 2026, 11, 10, 6, 59))
    assert not manila.is_open(local(MANILA, 2026, 11, 10, 7, 0))


def test_due_times_are_aware_utc(acme):
    due = acme.due(local(NEW_YORK, 2026, 11, 9, 9), 30)
    assert due.tzinfo is UTC
    assert acme.next_opening(utc(2026, 11, 7)).tzinfo is UTC


# -- DST nights: a missing hour does not exist, a repeated hour counts twice ----------------------


def test_new_york_spring_forward_night_shift_loses_the_missing_hour():
    night = BusinessCalendar.from_spec("America/New_York", {"sat": ["22:00-07:00"]})
    assert hours_on(night, date(2026, 3, 8)) == timedelta(hours=8)
    assert night.open_spans(utc(2026, 3, 7), utc(2026, 3, 10)) == [
        (utc(2026, 3, 8, 3), utc(2026, 3, 8, 11))
    ]
    assert night.due(utc(2026, 3, 8, 3), 8 * 60) == utc(2026, 3, 8, 11)


def test_new_york_spring_forward_early_hours_run_three_hours():
    early = BusinessCalendar.from_spec("America/New_York", {"sun": ["00:00-04:00"]})
    assert hours_on(early, date(2026, 3, 8)) == timedelta(hours=3)
    # 01:59 EST is followed by 03:00 EDT: two hours counted by 07:00Z, then 30 more minutes.
    assert early.due(local(NEW_YORK, 2026, 3, 8, 0), 150) == local(NEW_YORK, 2026, 3, 8, 3, 30)
    assert early.is_open(utc(2026, 3, 8, 7)) and not early.is_open(utc(2026, 3, 8, 8))


def test_new_york_fall_back_night_shift_counts_the_repeated_hour_twice():
    night = BusinessCalendar.from_spec("America/New_York", {"sat": ["22:00-07:00"]})
    assert hours_on(night, date(2026, 11, 1)) == timedelta(hours=10)
    assert night.is_open(local(NEW_YORK, 2026, 11, 1, 1, 30, fold=0))
    assert night.is_open(local(NEW_YORK, 2026, 11, 1, 1, 30, fold=1))
    assert night.due(utc(2026, 11, 1, 2), 600) == local(NEW_YORK, 2026, 11, 1, 7)


def test_new_york_fall_back_early_hours_run_five_hours():
    early = BusinessCalendar.from_spec("America/New_York", {"sun": ["00:00-04:00"]})
    assert hours_on(early, date(2026, 11, 1)) == timedelta(hours=5)
    assert early.open_spans(utc(2026, 10, 31), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 4), utc(2026, 11, 1, 9))
    ]


def test_an_interval_starting_in_the_repeated_hour_closes_for_the_second_early_half():
    # 01:30-05:00 holds 01:30 EDT onwards, but 01:00-01:29 EST is outside it again.
    calendar = BusinessCalendar.from_spec("America/New_York", {"sun": ["01:30-05:00"]})
    assert calendar.open_spans(utc(2026, 11, 1), utc(2026, 11, 2)) == [
        (utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6)),
        (utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 10)),
    ]


def test_an_interval_starting_in_the_missing_hour_opens_when_the_clock_jumps():
    calendar = BusinessCalendar.from_spec("America/New_York", {"sun": ["02:30-05:00"]})
    assert calendar.next_opening(utc(2026, 3, 8)) == local(NEW_YORK, 2026, 3, 8, 3)
    assert hours_on(calendar, date(2026, 3, 8)) == timedelta(hours=2)


@pytest.mark.parametrize(
    ("zone", "day", "expected"),
    [
        ("Europe/Berlin", date(2026, 3, 29), timedelta(hours=5)),
        ("Europe/Berlin", date(2026, 10, 25), timedelta(hours=7)),
        ("Australia/Sydney", date(2026, 4, 5), timedelta(hours=7)),
        ("Australia/Sydney", date(2026, 10, 4), timedelta(hours=5)),
        ("Australia/Lord_Howe", date(2026, 4, 5), timedelta(hours=6, minutes=30)),
        ("Australia/Lord_Howe", date(2026, 10, 4), timedelta(hours=5, minutes=30)),
    ],
)
def test_six_early_hours_on_a_dst_sunday_follow_the_wall_clock(zone, day, expected):
    calendar = BusinessCalendar.from_spec(zone, {"sun": ["00:00-06:00"]})
    assert hours_on(calendar, day) == expected


def test_berlin_hours_across_the_spring_change_are_due_by_wall_clock():
    calendar = BusinessCalendar.from_spec("Europe/Berlin", {"sun": ["00:00-06:00"]})
    # 00:00 CET is 23:00Z; 01:59 CET is followed by 03:00 CEST (01:00Z).
    assert calendar.due(utc(2026, 3, 28, 23), 150) == utc(2026, 3, 29, 1, 30)


def test_sydney_hours_across_the_autumn_change_count_the_repeated_hour():
    zone = ZoneInfo("Australia/Sydney")
    calendar = BusinessCalendar.from_spec("Australia/Sydney", {"sun": ["00:00-06:00"]})
    start = local(zone, 2026, 4, 5, 0)
    assert calendar.due(start, 7 * 60) == local(zone, 2026, 4, 5, 6)
    # 03:00 AEDT falls back to 02:00 AEST, so 3.5 hours in is the second 02:30.
    due = calendar.due(start, 210)
    assert due == utc(2026, 4, 4, 16, 30)
    assert (due.astimezone(zone).time().isoformat(), due.astimezone(zone).fold) == ("02:30:00", 1)


def test_a_fall_back_at_midnight_repeats_the_last_hour_of_the_day_before():
    # Sao Paulo left DST at 2019-02-17 00:00 (-02), back to 2019-02-16 23:00 (-03).
    calendar = BusinessCalendar.from_spec("America/Sao_Paulo", {"sat": ["22:00-24:00"]})
    assert calendar.open_spans(utc(2019, 2, 16), utc(2019, 2, 18)) == [
        (utc(2019, 2, 17, 0), utc(2019, 2, 17, 3))
    ]
    assert calendar.is_open(utc(2019, 2, 17, 2, 30))
    assert calendar.due(utc(2019, 2, 17, 2, 30), 30) == utc(2019, 2, 17, 3)


# -- fractional offsets ---------------------------------------------------------------------------


def test_kolkata_opens_at_0330_utc_and_counts_from_there():
    calendar = BusinessCalendar.from_spec("Asia/Kolkata", WEEKDAYS_9_TO_5)
    assert not calendar.is_open(utc(2026, 3, 9, 3, 29))
    assert calendar.is_open(utc(2026, 3, 9, 3, 30))
    assert calendar.due(utc(2026, 3, 9), 60) == utc(2026, 3, 9, 4, 30)


def test_kathmandu_hours_run_0315_to_1115_utc():
    calendar = BusinessCalendar.from_spec("Asia/Kathmandu", WEEKDAYS_9_TO_5)
    assert calendar.next_opening(utc(2026, 3, 9)) == utc(2026, 3, 9, 3, 15)
    assert calendar.next_closing(utc(2026, 3, 9, 4)) == utc(2026, 3, 9, 11, 15)
    assert calendar.due(utc(2026, 3, 9, 11), 30) == utc(2026, 3, 10, 3, 30)


# -- holidays, weekends and starts outside hours --------------------------------------------------


def test_a_friday_holiday_carries_the_target_to_monday():
    calendar = BusinessCalendar.from_spec("America/New_York", WEEKDAYS_9_TO_5, ["2026-11-27"])
    due = calendar.due(local(NEW_YORK, 2026, 11, 26, 16, 30), 60)
    assert due == local(NEW_YORK, 2026, 11, 30, 9, 30)


def test_christmas_is_closed_on_the_acme_calendar(acme):
    assert not acme.is_open(local(NEW_YORK, 2026, 12, 25, 12))
    assert acme.next_opening(local(NEW_YORK, 2026, 12, 25, 12)) == local(NEW_YORK, 2026, 12, 28, 9)


def test_a_clock_started_outside_hours_counts_from_the_next_opening(acme):
    start = local(NEW_YORK, 2026, 11, 10, 20)
    assert acme.due(start, 30) == local(NEW_YORK, 2026, 11, 11, 9, 30)
    assert acme.elapsed(start, local(NEW_YORK, 2026, 11, 11, 9, 30)) == timedelta(minutes=30)


def test_a_zero_target_is_due_at_start_when_open_else_at_the_next_opening(acme):
    assert acme.due(local(NEW_YORK, 2026, 11, 9, 11), 0) == local(NEW_YORK, 2026, 11, 9, 11)
    assert acme.due(local(NEW_YORK, 2026, 11, 9, 17), 0) == local(NEW_YORK, 2026, 11, 10, 9)


def test_fractional_minutes_and_microseconds_are_kept(acme):
    start = local(NEW_YORK, 2026, 11, 9, 10, 0, 5, 250)
    assert acme.due(start, 0.5) == start + timedelta(seconds=30)
    assert acme.elapsed_minutes(start, start + timedelta(seconds=90)) == 1.5


def test_a_long_target_spans_months_of_weekends_and_holidays(acme):
    start = local(NEW_YORK, 2026, 11, 9, 9)
    due = acme.due(start, 100_000)
    assert acme.elapsed(start, due) == timedelta(minutes=100_000)
    assert due.astimezone(NEW_YORK).hour in range(9, 18)


# -- 24x7 and whole days --------------------------------------------------------------------------


def test_24x7_has_no_gap_at_midnight():
    assert ALWAYS.due(utc(2026, 3, 9, 23, 45), 30) == utc(2026, 3, 10, 0, 15)
    assert ALWAYS.is_open(utc(2026, 3, 10))
    assert ALWAYS.next_closing(utc(2026, 3, 10)) is None
    assert ALWAYS.open_spans(utc(2026, 3, 9, 23), utc(2026, 3, 10, 1)) == [
        (utc(2026, 3, 9, 23), utc(2026, 3, 10, 1))
    ]


def test_24x7_counts_real_minutes_across_dst_and_ignores_holidays():
    calendar = BusinessCalendar(
        "America/New_York", (((0, 1440),),) * 7, frozenset({date(2026, 3, 8)}), True
    )
    start = local(NEW_YORK, 2026, 3, 8, 1, 30)
    assert calendar.due(start, 60) == local(NEW_YORK, 2026, 3, 8, 3, 30)
    assert calendar.is_open(local(NEW_YORK, 2026, 3, 8, 12))


def test_whole_day_hours_every_day_never_close():
    every_day = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    calendar = BusinessCalendar.from_spec("America/New_York", every_day)
    assert calendar.next_closing(utc(2026, 3, 7)) is None
    assert calendar.open_spans(utc(2026, 3, 7), utc(2026, 3, 10)) == [
        (utc(2026, 3, 7), utc(2026, 3, 10))
    ]
    assert calendar.elapsed(utc(2026, 3, 7), utc(2026, 3, 10)) == timedelta(days=3)


def test_a_holiday_breaks_whole_day_hours_at_local_midnight():
    every_day = {day: ["00:00-24:00"] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    calendar = BusinessCalendar.from_spec("America/New_York", every_day, ["2026-12-25"])
    assert calendar.next_closing(utc(2026, 12, 20)) == local(NEW_YORK, 2026, 12, 25)
    assert calendar.next_opening(local(NEW_YORK, 2026, 12, 25, 8)) == local(NEW_YORK, 2026, 12, 26)


# -- overnight shifts and split hours -------------------------------------------------------------


def test_a_sunday_night_shift_runs_into_monday_morning():
    shifts = BusinessCalendar.from_spec("Asia/Manila", {"sun": ["22:00-07:00"]})
    assert shifts.is_open(local(MANILA, 2026, 11, 9, 3))  # Monday 03:00
    assert not shifts.is_open(local(MANILA, 2026, 11, 9, 7))
    assert not shifts.is_open(local(MANILA, 2026, 11, 8, 21, 59))
    assert shifts.next_opening(local(MANILA, 2026, 11, 9, 7)) == local(MANILA, 2026, 11, 15, 22)


def test_back_to_back_overnight_and_morning_intervals_merge_into_one_span():
    shifts = BusinessCalendar.from_spec("UTC", {"mon": ["22:00-00:00"], "tue": ["00:00-06:00"]})
    assert shifts.hours[0] == ((22 * 60, 1440),)
    assert shifts.next_closing(utc(2026, 11, 9, 23)) == utc(2026, 11, 10, 6)


def test_split_hours_close_for_lunch():
    calendar = BusinessCalendar.from_spec("UTC", {"mon": ["13:00-17:00", "09:00-12:00"]})
    assert calendar.hours[0] == ((540, 720), (780, 1020))
    assert not calendar.is_open(utc(2026, 11, 9, 12, 30))
    assert calendar.next_closing(utc(2026, 11, 9, 10)) == utc(2026, 11, 9, 12)
    assert calendar.next_opening(utc(2026, 11, 9, 12)) == utc(2026, 11, 9, 13)
    assert calendar.due(utc(2026, 11, 9, 9), 240) == utc(2026, 11, 9, 14)
    assert calendar.open_spans(utc(2026, 11, 9, 10), utc(2026, 11, 9, 14)) == [
        (utc(2026, 11, 9, 10), utc(2026, 11, 9, 12)),
        (utc(2026, 11, 9, 13), utc(2026, 11, 9, 14)),
    ]


def test_a_holiday_on_the_day_an_overnight_shift_ends_keeps_the_shift(manila):
    # 2026-12-30 is a Wednesday: Tuesday's 22:00-07:00 started before it.
    assert manila.is_open(local(MANILA, 2026, 12, 30, 3))


def test_a_holiday_on_the_day_an_overnight_shift_starts_cancels_the_shift():
    shifts = {"mon": ["22:00-07:00"], "tue": ["22:00-07:00"]}
    calendar = BusinessCalendar.from_spec("Asia/Manila", shifts, ["2026-12-29"])
    assert calendar.is_open(local(MANILA, 2026, 12, 29, 3))  # Monday's shift, into Tuesday
    assert not calendar.is_open(local(MANILA, 2026, 12, 29, 23))
    assert not calendar.is_open(local(MANILA, 2026, 12, 30, 3))


def test_next_closing_of_a_closed_calendar_is_the_instant_itself(acme):
    assert acme.next_closing(utc(2026, 11, 7, 12)) == utc(2026, 11, 7, 12)


# -- elapsed time and pauses ----------------------------------------------------------------------


def test_overlapping_pauses_are_subtracted_once(acme):
    start, end = local(NEW_YORK, 2026, 11, 9, 9), local(NEW_YORK, 2026, 11, 9, 17)
    pauses = [
        (local(NEW_YORK, 2026, 11, 9, 10), local(NEW_YORK, 2026, 11, 9, 12)),
        (local(NEW_YORK, 2026, 11, 9, 11), local(NEW_YORK, 2026, 11, 9, 13)),
    ]
    assert acme.elapsed(start, end, pauses) == timedelta(hours=5)


def test_a_pause_outside_hours_subtracts_nothing(acme):
    start, end = local(NEW_YORK, 2026, 11, 6, 9), local(NEW_YORK, 2026, 11, 9, 17)
    weekend = [(local(NEW_YORK, 2026, 11, 7, 8), local(NEW_YORK, 2026, 11, 8, 20))]
    assert acme.elapsed(start, end, weekend) == timedelta(hours=16)


def test_an_open_ended_pause_runs_to_the_end(acme):
    start, end = local(NEW_YORK, 2026, 11, 9, 9), local(NEW_YORK, 2026, 11, 9, 17)
    pauses = [(local(NEW_YORK, 2026, 11, 9, 15), None)]
    assert acme.elapsed_minutes(start, end, pauses) == 6 * 60


def test_a_pause_reaching_outside_the_window_is_clipped(acme):
    start, end = local(NEW_YORK, 2026, 11, 9, 10), local(NEW_YORK, 2026, 11, 9, 12)
    pauses = [(local(NEW_YORK, 2026, 11, 9, 8), local(NEW_YORK, 2026, 11, 9, 11))]
    assert acme.elapsed(start, end, pauses) == timedelta(hours=1)


def test_elapsed_is_zero_when_the_end_is_not_after_the_start(acme):
    at = local(NEW_YORK, 2026, 11, 9, 10)
    assert acme.elapsed(at, at - timedelta(hours=1)) == timedelta(0)


def test_a_pause_ending_before_it_starts_is_rejected(acme):
    at = local(NEW_YORK, 2026, 11, 9, 10)
    with pytest.raises(ValueError, match=r"pauses\[0\] ends before it starts"):
        acme.elapsed(at, at + timedelta(hours=2), [(at + timedelta(hours=1), at)])


# -- calendars that never open --------------------------------------------------------------------


def test_a_calendar_without_hours_has_no_opening_and_no_due_time():
    empty = BusinessCalendar.from_spec("UTC", {})
    assert empty.next_opening(utc(2026, 1, 1)) is None
    assert not empty.is_open(utc(2026, 1, 1))
    assert empty.elapsed(utc(2026, 1, 1), utc(2026, 2, 1)) == timedelta(0)
    with pytest.raises(CalendarError, match="no business hours"):
        empty.due(utc(2026, 1, 1), 10)


def test_a_calendar_closed_by_holidays_for_years_gives_up_instead_of_looping():
    mondays = [date(2026, 1, 5) + timedelta(weeks=n) for n in range(4 * 53)]
    calendar = BusinessCalendar("UTC", (((540, 1020),), (), (), (), (), (), ()), frozenset(mondays))
    assert calendar.next_opening(utc(2026, 1, 1)) is None
    with pytest.raises(CalendarError, match="no business hours for 1098 days"):
        calendar.due(utc(2026, 1, 1), 10)


# -- inputs ---------------------------------------------------------------------------------------


def test_naive_datetimes_are_rejected(acme):
    naive = datetime(2026, 11, 9, 10)
    aware = utc(2026, 11, 9, 10)
    for call in (
        lambda: acme.is_open(naive),
        lambda: acme.due(naive, 10),
        lambda: acme.next_opening(naive),
        lambda: acme.next_closing(naive),
        lambda: acme.open_spans(aware, naive),
        lambda: acme.elapsed(aware, aware, [(naive, None)]),
    ):
        with pytest.raises(ValueError, match="must be timezone-aware"):
            call()


def test_a_date_is_not_an_instant(acme):
    with pytest.raises(TypeError, match="at must be a datetime"):
        acme.is_open(date(2026, 11, 9))


@pytest.mark.parametrize("minutes", [-1, float("nan"), float("inf")])
def test_a_negative_or_non_finite_target_is_rejected(acme, minutes):
    with pytest.raises(ValueError, match="minutes must be a finite number >= 0"):
        acme.due(utc(2026, 11, 9, 15), minutes)


def test_equal_specs_make_equal_hashable_calendars():
    one = BusinessCalendar.from_spec("UTC", {"mon": ["09:00-12:00", "13:00-17:00"]}, ["2026-01-01"])
    two = BusinessCalendar.from_spec("UTC", {"mon": ["13:00-17:00", "09:00-12:00"]}, ["2026-01-01"])
    assert one == two and hash(one) == hash(two)


# -- validation -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "message"),
    [
        ({"mon": ["25:00-26:00"]}, "bad time '25:00' in '25:00-26:00' under mon"),
        ({"mon": ["09:60-17:00"]}, "bad time '09:60' in '09:60-17:00' under mon"),
        ({"tue": ["24:00-02:00"]}, "bad time '24:00' in '24:00-02:00' under tue"),
        ({"mon": ["24:01-02:00"]}, "bad time '24:01'"),
        ({"mon": ["9-17"]}, "bad interval '9-17' under mon: expected 'HH:MM-HH:MM'"),
        ({"mon": ["9:00-17:00"]}, "bad interval '9:00-17:00' under mon"),
        ({"mon": [" 09:00-17:00"]}, "bad interval"),
        ({"mon": [900]}, "bad interval 900 under mon"),
        ({"mon": "09:00-17:00"}, "hours under mon must be a list"),
        ({"mom": ["09:00-17:00"]}, "unknown weekday 'mom'"),
        ({"Mon": ["09:00-17:00"]}, "unknown weekday 'Mon'"),
        ({"mon": ["09:00-09:00"]}, "empty interval '09:00-09:00' under mon: start equals end"),
        ({"mon": ["00:00-00:00"]}, "start equals end"),
        (
            {"mon": ["09:00-17:00", "16:00-18:00"]},
            "overlapping intervals: mon 09:00-17:00 and mon 16:00-18:00",
        ),
        (
            {"mon": ["22:00-07:00"], "tue": ["06:00-09:00"]},
            "overlapping intervals: mon 22:00-07:00 and tue 06:00-09:00",
        ),
        (
            {"sun": ["22:00-07:00"], "mon": ["06:30-09:00"]},
            "overlapping intervals: sun 22:00-07:00 and mon 06:30-09:00",
        ),
        ({"mon": ["00:00-24:00", "12:00-13:00"]}, "overlapping intervals"),
        (["09:00-17:00"], "hours must map weekdays to interval lists, got list"),
    ],
)
def test_bad_hours_are_rejected_with_what_is_wrong(hours, message):
    with pytest.raises(CalendarError) as caught:
        BusinessCalendar.from_spec("UTC", hours)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    "holiday", ["2026-02-30", "2026/12/25", "20261225", "2026-W52-5", "", "25.12.2026", 20261225]
)
def test_bad_holiday_dates_are_rejected(holiday):
    with pytest.raises(CalendarError, match=f"bad holiday date {holiday!r}: expected YYYY-MM-DD"):
        BusinessCalendar.from_spec("UTC", WEEKDAYS_9_TO_5, [holiday])


def test_a_single_holiday_string_is_not_a_list_of_dates():
    with pytest.raises(CalendarError, match="single string"):
        parse_holidays("2026-12-25")


@pytest.mark.parametrize("zone", ["Mars/Base", "", "America", "../etc/passwd", "utc", None])
def test_unknown_time_zones_are_rejected(zone):
    with pytest.raises(CalendarError, match=f"unknown time zone {zone!r}"):
        BusinessCalendar.from_spec(zone, WEEKDAYS_9_TO_5)


def test_direct_construction_is_validated_too():
    with pytest.raises(CalendarError, match="unknown time zone 'Mars/Base'"):
        BusinessCalendar("Mars/Base", ((),) * 7)
    with pytest.raises(CalendarError, match="7 weekdays"):
        BusinessCalendar("UTC", ((),) * 6)
    with pytest.raises(CalendarError, match="bad interval"):
        BusinessCalendar("UTC", (((600, 1500),),) + ((),) * 6)
    with pytest.raises(CalendarError, match="overlapping intervals: sun 22:00-07:00"):
        BusinessCalendar("UTC", (((360, 540),),) + ((),) * 5 + (((1320, 420),),))


def test_parsing_accepts_midnight_ends_and_yaml_dates():
    assert parse_hours({"mon": ["00:00-24:00"], "fri": ["22:00-00:00"], "sat": None}) == (
        ((0, 1440),),
        (),
        (),
        (),
        ((1320, 1440),),
        (),
        (),
    )
    assert parse_holidays(["2026-12-25", date(2026, 12, 26)]) == {
        date(2026, 12, 25),
        date(2026, 12, 26),
    }
