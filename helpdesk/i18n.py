"""Locale and time-zone selection, and the date filters templates use."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from flask import Flask, current_app, g, request
from flask_babel import format_datetime, format_timedelta, get_locale, get_timezone
from flask_login import current_user

LOCALE_COOKIE = "hd_locale"


def normalize_locale(value: str | None) -> str | None:
    """A locale code for a BCP 47 or POSIX tag ("pt-BR" -> "pt_BR"), or None if Babel knows none.

    The caller's spelling is kept ("tl" stays "tl" though CLDR aliases it to fil_PH), so
    ticket locales and agent languages compare as people wrote them.
    """
    if not isinstance(value, str) or not value or len(value) > 35:
        return None
    parts = value.replace("-", "_").split("_")
    if not parts[0].isalpha() or not 2 <= len(parts[0]) <= 3:
        return None
    code = "_".join(
        [parts[0].lower()] + [p.title() if len(p) == 4 else p.upper() for p in parts[1:]]
    )
    try:
        Locale.parse(code)
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return code


def is_timezone(name: str | None) -> bool:
    """Whether the name is an IANA time zone known to zoneinfo."""
    if not name or len(name) > 64 or name not in _zones():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


_ZONES: frozenset[str] | None = None


def _zones() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def _supported(code: str | None) -> str | None:
    """The best supported UI language for a locale code (de_AT -> de), if any."""
    if not code:
        return None
    languages = current_app.config["LANGUAGES"]
    if code in languages:
        return code
    base = code.split("_")[0]
    return base if base in languages else None


def select_locale() -> str:
    """UI language: user setting, switcher cookie, Accept-Language, then the client default."""
    if current_user and current_user.is_authenticated:
        chosen = _supported(current_user.locale)
        if chosen:
            return chosen
    if request:
        chosen = _supported(request.cookies.get(LOCALE_COOKIE))
        if chosen:
            return chosen
        best = request.accept_languages.best_match(
            current_app.config["LANGUAGES"]
            + [lang.replace("_", "-") for lang in current_app.config["LANGUAGES"]]
        )
        if best:
            return best.replace("-", "_")
        for tag, _quality in request.accept_languages:
            chosen = _supported(normalize_locale(tag))
            if chosen:
                return chosen
    client = g.get("client")
    return _supported(client.default_locale if client else None) or "en"


def select_timezone() -> str:
    """Display zone: the user's own, else the client's, else UTC."""
    if current_user and current_user.is_authenticated and is_timezone(current_user.timezone):
        return current_user.timezone
    client = g.get("client")
    if client is not None and is_timezone(client.timezone):
        return client.timezone
    return "UTC"


def dt(value: datetime | None, fmt: str = "medium") -> str:
    """A datetime shown in the viewer's zone and language."""
    if value is None:
        return ""
    return format_datetime(value, fmt)


def reltime(value: datetime | None, now: datetime | None = None) -> str:
    """A datetime as "in 2 hours" / "3 minutes ago" in the viewer's language."""
    if value is None:
        return ""
    now = now or datetime.now(UTC)
    return format_timedelta(value - now, add_direction=True, granularity="minute")


def init_app(app: Flask) -> None:
    """Register template globals and filters for dates and the current locale."""
    app.jinja_env.globals.update(get_locale=get_locale, get_timezone=get_timezone)
    app.jinja_env.filters["dt"] = dt
    app.jinja_env.filters["reltime"] = reltime
    app.jinja_env.filters["isoutc"] = lambda v: v.astimezone(UTC).isoformat() if v else ""

    @app.context_processor
    def _text_direction():
        locale = get_locale()
        return {"text_direction": locale.character_order == "right-to-left" and "rtl" or "ltr"}
