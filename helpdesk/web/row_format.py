"""What a page of many rows says about each row, worked out once per page: dates, relative
times and countdowns in the viewer's language and zone (the very text of the `dt`, `reltime`
and `countdown` filters, from Babel's patterns parsed once) and links built from one URL."""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from datetime import date, datetime, timedelta, tzinfo

from babel import Locale
from babel.dates import (
    TIMEDELTA_UNITS,
    format_timedelta,
    get_date_format,
    get_datetime_format,
    get_time_format,
    parse_pattern,
)
from flask import url_for
from flask_babel import get_locale, get_timezone

from helpdesk.models import ID_MAX

UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
# Pattern fields that read only the hour, minute and second (not the zone, not the date).
_CLOCK_FIELDS = frozenset("abBhHKkms")
# Remembered texts per viewer language and zone; the keys are few (days, clock times, units).
_REMEMBER = 4096


def countdown_parts(due_at: datetime, now: datetime) -> tuple[int, str]:
    """Whole units to a due time (negative: past) and the unit, rounded as countdown.js does."""
    seconds = (due_at - now).total_seconds()
    # Half up, as the browser's Math.round; at least one so nothing reads "in 0 minutes".
    minutes = max(1, math.floor(abs(seconds) / 60 + 0.5))
    sign = 1 if seconds > 0 else -1
    if minutes < 90:
        return sign * minutes, "minute"
    if minutes < 48 * 60:
        return sign * math.floor(minutes / 60 + 0.5), "hour"
    return sign * math.floor(minutes / 1440 + 0.5), "day"


def _said_as(seconds: float, granularity: str, threshold: float) -> tuple[str, int, bool]:
    """The unit, whole value and direction Babel's format_timedelta says `seconds` with.

    Its text depends on these three only, so texts can be remembered by them.
    """
    for unit, per_unit in TIMEDELTA_UNITS:
        value = abs(seconds) / per_unit
        if value >= threshold or unit == granularity:
            if unit == granularity and value > 0:
                value = max(1, value)
            return unit, int(round(value)), seconds >= 0
    return "", 0, seconds >= 0


def _fields(pattern) -> set[str]:
    return {name[0] for name in re.findall(r"%\((\w+)\)s", pattern.format)}


class DateTexts:
    """One language and zone's medium date-time, relative time and countdown texts."""

    def __init__(self, locale: Locale, zone: tzinfo):
        self.locale = locale
        self.zone = zone
        # As babel.dates.format_datetime(value, "medium") puts the two together.
        self._joined = get_datetime_format("medium", locale=locale).replace("'", "")
        self._date = parse_pattern(get_date_format("medium", locale=locale))
        self._time = parse_pattern(get_time_format("medium", locale=locale))
        self._clock_only = _fields(self._time) <= _CLOCK_FIELDS
        self._days: dict[date, str] = {}
        self._clocks: dict[tuple[int, int, int], str] = {}
        self._spans: dict[tuple, str] = {}

    def medium(self, value: datetime) -> str:
        """`value` as the `dt` filter shows it ("Mar 9, 2026, 5:05:00 PM")."""
        local = value.astimezone(self.zone)
        day = local.date()
        day_text = self._days.get(day)
        if day_text is None:
            day_text = self._remember(self._days, day, self._date.apply(day, self.locale))
        if self._clock_only:
            clock = (local.hour, local.minute, local.second)
            time_text = self._clocks.get(clock)
            if time_text is None:
                text = self._time.apply(local.timetz(), self.locale, reference_date=day)
                time_text = self._remember(self._clocks, clock, text)
        else:
            time_text = self._time.apply(local.timetz(), self.locale, reference_date=day)
        return self._joined.replace("{0}", time_text).replace("{1}", day_text)

    def span(self, delta: timedelta, granularity: str, threshold: float) -> str:
        """Babel's format_timedelta(delta, granularity, threshold, add_direction=True)."""
        key = (granularity, threshold, *_said_as(delta.total_seconds(), granularity, threshold))
        text = self._spans.get(key)
        if text is None:
            text = format_timedelta(
                delta,
                granularity=granularity,
                threshold=threshold,
                add_direction=True,
                locale=self.locale,
            )
            self._remember(self._spans, key, text)
        return text

    @staticmethod
    def _remember(memo: dict, key, text: str) -> str:
        if len(memo) >= _REMEMBER:
            memo.clear()
        memo[key] = text
        return text


@functools.lru_cache(maxsize=64)
def date_texts(locale: Locale, zone: tzinfo) -> DateTexts:
    """The process's DateTexts for a language and zone."""
    return DateTexts(locale, zone)


class RowDates:
    """A page's date filters with one `now`: `dt`, `reltime` and `countdown` as methods."""

    __slots__ = ("texts", "now")

    def __init__(self, locale: Locale, zone: tzinfo, now: datetime):
        self.texts = date_texts(locale, zone)
        self.now = now

    @classmethod
    def for_viewer(cls, now: datetime) -> RowDates:
        """The dates of this request's viewer: their language and time zone."""
        return cls(get_locale(), get_timezone(), now)

    def dt(self, value: datetime | None) -> str:
        """As the `dt` filter: medium date and time in the viewer's zone."""
        return "" if value is None else self.texts.medium(value)

    def reltime(self, value: datetime | None) -> str:
        """As the `reltime` filter: "in 2 hours" / "3 minutes ago", from the page's now."""
        if value is None:
            return ""
        return self.texts.span(value - self.now, "minute", 0.85)

    def countdown(self, due_at: datetime | None) -> str:
        """As the `countdown` filter: "in 23 minutes" / "5 minutes ago", in countdown.js units."""
        if due_at is None:
            return ""
        value, unit = countdown_parts(due_at, self.now)
        # An infinite threshold keeps the chosen unit; Babel would otherwise pick the largest.
        return self.texts.span(timedelta(seconds=value * UNIT_SECONDS[unit]), unit, math.inf)


def id_url(endpoint: str, name: str, **values) -> Callable[[int], str]:
    """url_for(endpoint, name=id, **values) for many ids, from one url_for call.

    Rows link to the same route with only the id changing: build it once with a marker id
    and put each id in its place.
    """
    head, _, tail = url_for(endpoint, **{name: ID_MAX}, **values).partition(str(ID_MAX))
    return lambda ident: f"{head}{int(ident)}{tail}"
