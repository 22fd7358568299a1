"""What a metrics request asks for, read the same way by the API and the dashboard: the client
it may see, the period in a time zone, and the drill-down behind a figure."""

from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from helpdesk.domain.metrics import MAX_DAY, MAX_DAYS, MIN_DAY, Period
from helpdesk.i18n import is_timezone
from helpdesk.models import ID_MAX, Client, User
from helpdesk.services import metrics
from helpdesk.services.errors import NotFound, ValidationFailed
from helpdesk.services.scope import get_visible_client

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def visible_client(session: Session, user: User, slug: str) -> Client:
    """The client `slug` if the user may see it; NotFound otherwise."""
    client = get_visible_client(session, user, slug)
    if client is None:
        raise NotFound(_("No such client."))
    return client


def scope_of(session: Session, query, user: User, *, now: datetime) -> metrics.Scope:
    """The client and period of a metrics query (`client`, `from_`, `to`, `tz`)."""
    client = visible_client(session, user, query.client)
    return metrics.Scope(client=client, period=period_of(query, user, client), now=now)


def period_of(query, user: User, client: Client) -> Period:
    """The period of a query in its zone (else the user's, else the client's); 422 naming
    each bad field."""
    fields: dict[str, str] = {}
    first = _date(query.from_, "from", fields)
    last = _date(query.to, "to", fields)
    if query.tz is not None and not is_timezone(query.tz):
        fields["tz"] = _("Unknown time zone; give an IANA name such as America/New_York.")
    if first and last and last < first:
        fields["to"] = _("The period ends before it starts.")
    elif first and last and (last - first).days + 1 > MAX_DAYS:
        fields["to"] = _("A period covers at most %(days)d days.", days=MAX_DAYS)
    if fields:
        raise ValidationFailed(_("The request has invalid fields."), fields=fields)
    tz = query.tz
    if tz is None:
        tz = next((z for z in (user.timezone, client.timezone) if z and is_timezone(z)), "UTC")
    return Period(first, last, tz)


def drill_of(query) -> metrics.Drill:
    """The drill-down filters of a query (figure, metric, status, …, day, weekday, hour)."""
    fields: dict[str, str] = {}
    day = _date(query.day, "day", fields) if query.day is not None else None
    if query.agent not in (None, metrics.NONE) and int(query.agent) > ID_MAX:
        fields["agent"] = _("No such user id.")
    if fields:
        raise ValidationFailed(_("The request has invalid fields."), fields=fields)
    agent = query.agent
    return metrics.Drill(
        figure=query.figure,
        metric=query.metric,
        status=query.status,
        priority=query.priority,
        channel=query.channel,
        locale=query.locale,
        site=query.site,
        agent=agent if agent in (None, metrics.NONE) else int(agent),
        day=day,
        weekday=query.weekday,
        hour=query.hour,
    )


def _date(value: str, name: str, fields: dict) -> date | None:
    if not _DATE.fullmatch(value):
        fields[name] = _("Give a date as YYYY-MM-DD.")
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        fields[name] = _("No such date.")
        return None
    if not MIN_DAY <= day <= MAX_DAY:
        fields[name] = _(
            "Give a date from %(first)s to %(last)s.",
            first=MIN_DAY.isoformat(),
            last=MAX_DAY.isoformat(),
        )
        return None
    return day
