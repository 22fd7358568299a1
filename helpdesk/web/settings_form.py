"""The settings form: UI language and an IANA time zone, grouped by region."""

from __future__ import annotations

from babel.dates import get_timezone_location
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.validators import InputRequired, ValidationError

from helpdesk.i18n import is_timezone, language_choices, zone_names

# The first part of a zone name, as the select groups them.
REGIONS = {
    "Africa": _l("Africa"),
    "America": _l("Americas"),
    "Antarctica": _l("Antarctica"),
    "Arctic": _l("Arctic"),
    "Asia": _l("Asia"),
    "Atlantic": _l("Atlantic Ocean"),
    "Australia": _l("Australia"),
    "Europe": _l("Europe"),
    "Indian": _l("Indian Ocean"),
    "Pacific": _l("Pacific Ocean"),
}


def zone_choices() -> dict[str, list[tuple[str, str]]]:
    """Canonical Region/City zones grouped by region, each named in the viewer's language."""
    locale = get_locale()
    groups: dict[str, list[tuple[str, str]]] = {str(_l("Universal")): [("UTC", "UTC")]}
    for region, label in REGIONS.items():
        names = [name for name in zone_names() if name.startswith(region + "/")]
        options = []
        for name in names:
            city = get_timezone_location(name, locale=locale, return_city=True)
            options.append((name, f"{city} ({name})" if city not in name else name))
        groups[str(label)] = sorted(options, key=lambda option: option[1].casefold())
    return groups


class SettingsForm(FlaskForm):
    """Language and time zone; the zone must be an IANA name zoneinfo knows."""

    # validate_choice=False: the validators below say what is wrong, once, in our words.
    locale = SelectField(_l("Language"), validators=[InputRequired()], validate_choice=False)
    timezone = SelectField(
        _l("Time zone"),
        validators=[InputRequired()],
        description=_l("Dates and times are shown in this zone."),
        validate_choice=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = [
            (code, name, {"lang": code.replace("_", "-")}) for code, name in language_choices()
        ]
        self.timezone.choices = zone_choices()

    def validate_locale(self, field) -> None:
        if field.data not in current_app.config["LANGUAGES"]:
            raise ValidationError(_l("Choose one of the languages offered."))

    def validate_timezone(self, field) -> None:
        if not is_timezone(field.data):
            raise ValidationError(_l("Choose a time zone from the list."))
