"""Template filters of the staff pages: SLA countdowns and figures, routing reasons, and the
day and time formats of the coverage grid, in the viewer's language and time zone."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta

from babel.dates import format_skeleton
from flask_babel import format_decimal, format_time, format_timedelta, get_locale, get_timezone
from flask_babel import gettext as _

from helpdesk.agent import bp
from helpdesk.describe import handoff_cause, routing_reason
from helpdesk.services.sla_report import parse_time
from helpdesk.web.row_format import UNIT_SECONDS, countdown_parts


@bp.app_template_filter("routing_reason")
def routing_reason_filter(note: dict | None) -> str:
    """A stored routing decision {"code", "params"} as one sentence in the viewer's language."""
    return routing_reason(note) if isinstance(note, dict) else ""


@bp.app_template_filter("handoff_cause")
def handoff_cause_filter(cause: object) -> str:
    """Why a handed-off ticket moved (shift end, offline, deactivated, reroute), in words."""
    return handoff_cause(cause if isinstance(cause, str) else None)


@bp.app_template_filter("dayname")
def dayname_filter(value: date) -> str:
    """A date as a short weekday and day, e.g. "Mon, Mar 9", in the viewer's language."""
    return format_skeleton("MMMEd", value, locale=get_locale())


@bp.app_template_filter("weekday")
def weekday_filter(value: date) -> str:
    """A date's abbreviated weekday in the viewer's language ("Mon", "Mo.")."""
    return format_skeleton("E", value, locale=get_locale())


@bp.app_template_filter("monthday")
def monthday_filter(value: date) -> str:
    """A date as month and day in the viewer's language ("Mar 9", "9. März")."""
    return format_skeleton("MMMd", value, locale=get_locale())


@bp.app_template_filter("timespan")
def timespan_filter(span: tuple[datetime, datetime]) -> str:
    """A [start, end) span in the viewer's zone; the day is said once if it does not change."""
    start, end = span
    zone = get_timezone()
    # An end at local midnight closes the day it ends, not the next one.
    same_day = (
        start.astimezone(zone).date() == (end - timedelta(microseconds=1)).astimezone(zone).date()
    )
    if same_day:
        return _(
            "%(day)s, %(start)s – %(end)s",
            day=format_skeleton("MMMEd", start, tzinfo=zone, locale=get_locale()),
            start=format_time(start, "short"),
            end=format_time(end, "short"),
        )
    return _("%(start)s – %(end)s", start=daytime_filter(start), end=daytime_filter(end))


@bp.app_template_filter("daytime")
def daytime_filter(value: datetime | None) -> str:
    """An instant as weekday, day and time in the viewer's zone, e.g. "Mon, Mar 9, 17:00"."""
    if value is None:
        return ""
    day = format_skeleton("MMMEd", value, tzinfo=get_timezone(), locale=get_locale())
    return _("%(day)s, %(time)s", day=day, time=format_time(value, "short"))


@bp.app_template_filter("countdown")
def countdown_filter(due_at: datetime | None, now: datetime | None = None) -> str:
    """A due time as "in 23 minutes" / "5 minutes ago" in the viewer's language."""
    if due_at is None:
        return ""
    value, unit = countdown_parts(due_at, now or datetime.now(UTC))
    return format_timedelta(
        timedelta(seconds=value * UNIT_SECONDS[unit]),
        granularity=unit,
        threshold=math.inf,  # keep the chosen unit; Babel would otherwise pick the largest
        add_direction=True,
    )


@bp.app_template_filter("fromiso")
def fromiso_filter(value: object) -> datetime | None:
    """An ISO 8601 string from event data as an aware datetime (None if it is not one)."""
    return parse_time(value)


@bp.app_template_filter("num")
def num_filter(value: float | int | None) -> str:
    """A figure such as business minutes in the viewer's number format, at most 2 decimals."""
    if value is None:
        return ""
    return format_decimal(round(value, 2) + 0.0, format="#,##0.##")


@bp.app_template_filter("said")
def said_filter(labels: dict) -> dict:
    """Labels (lazy strings) said once in the viewer's language, for rows that repeat them."""
    return {key: str(value) for key, value in labels.items()}


@bp.app_template_filter("utc")
def utc_filter(value: datetime | None) -> str:
    """An instant in UTC as evidence shows it: 2026-03-09 15:05:00 UTC."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
