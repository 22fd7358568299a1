"""Supervisor forms: the ticket list filters (the agents' ones, without assignee) and the
dashboard's period (from, to, time zone) with its presets."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import available_timezones

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import DateField, SelectField
from wtforms.validators import Optional

from helpdesk.domain.metrics import MAX_DAY, MAX_DAYS, MIN_DAY, Period, zone
from helpdesk.i18n import is_timezone
from helpdesk.web.forms import Form
from helpdesk.web.ticket_filters import STATUS_FILTER_CHOICES, TicketFilterForm

PRESET_LABELS = {
    "this_month": _l("This month"),
    "last_month": _l("Last month"),
    "last_7": _l("Last 7 days"),
    "last_30": _l("Last 30 days"),
}
_LEGACY_ZONES = ("Etc/", "SystemV/", "US/", "posix/", "right/", "Canada/", "Brazil/", "Mexico/")


class SupervisorFilterForm(TicketFilterForm):
    """Status, priority, client (admins pick one) and text; every status by default."""

    status = SelectField(_l("Status"), choices=STATUS_FILTER_CHOICES, default="all")
    assignee = None  # supervisors review a client's tickets, not their own work
    sort = None  # the overview always shows the latest activity first


def preset_days(preset: str, today: date) -> tuple[date, date]:
    """The first and last day of a preset period, counted from the local `today`."""
    if preset == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    if preset == "last_7":
        return today - timedelta(days=6), today
    if preset == "last_30":
        return today - timedelta(days=29), today
    return today.replace(day=1), today


def zone_choices(current: str) -> list[tuple[str, str]]:
    """The canonical IANA zones by name (and the current one, should it be a legacy alias)."""
    names = {z for z in available_timezones() if "/" in z and not z.startswith(_LEGACY_ZONES)}
    names |= {"UTC", current}
    return [(name, name.replace("_", " ")) for name in sorted(names)]


class PeriodForm(Form):
    """The dashboard's period (GET): first and last local day, and the zone they are read in.

    Without dates the period is this month so far; a bad value is a form error.
    """

    class Meta:
        csrf = False  # a GET form: it changes nothing

    tz = SelectField(_l("Time zone"), choices=[], validate_choice=False)

    def period(self, now: datetime, default_tz: str) -> Period | None:
        """The period asked for, or None with the reasons set as field errors."""
        first_field, last_field = self["from"], self["to"]
        if not self.tz.data:
            self.tz.data = default_tz
        self.tz.choices = zone_choices(self.tz.data if is_timezone(self.tz.data) else default_tz)
        valid = self.validate()
        if not is_timezone(self.tz.data):
            self.tz.errors = [_("Unknown time zone; pick one from the list.")]
            return None
        if not valid:
            return None
        today = now.astimezone(zone(self.tz.data)).date()
        first, last = first_field.data, last_field.data
        if first is None and last is None:
            first, last = preset_days("this_month", today)
        elif first is None:
            first = last.replace(day=1)
        elif last is None:
            last = max(first, min(today, first + timedelta(days=MAX_DAYS - 1)))
        for field, day in ((first_field, first), (last_field, last)):
            if not MIN_DAY <= day <= MAX_DAY:
                field.errors = [
                    _(
                        "Give a date from %(first)s to %(last)s.",
                        first=MIN_DAY.isoformat(),
                        last=MAX_DAY.isoformat(),
                    )
                ]
                return None
        if last < first:
            last_field.errors = [_("The period ends before it starts.")]
            return None
        if (last - first).days + 1 > MAX_DAYS:
            last_field.errors = [_("A period covers at most %(days)d days.", days=MAX_DAYS)]
            return None
        first_field.data, last_field.data = first, last
        return Period(first, last, self.tz.data)


# "from" is a Python keyword, so the field is set by name; the query string matches the API's.
setattr(PeriodForm, "from", DateField(_l("From"), validators=[Optional()]))  # noqa: B010
PeriodForm.to = DateField(_l("To"), validators=[Optional()])
