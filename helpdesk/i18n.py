"""Locale and time-zone selection, and the date filters templates use."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from flask import Flask, current_app, g, request
from flask_babel import (
    force_locale,
    format_datetime,
    format_decimal,
    format_timedelta,
    get_locale,
    get_timezone,
)
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


def supported_language(code: str | None, languages: list[str]) -> str | None:
    """The best of `languages` for a locale code: itself, its base (de_AT -> de), or the one
    language sharing its base (pt, pt_PT -> pt_BR); None if there is none."""
    if not code:
        return None
    if code in languages:
        return code
    base = code.split("_")[0]
    if base in languages:
        return base
    kin = [lang for lang in languages if lang.split("_")[0] == base]
    return kin[0] if len(kin) == 1 else None


def zone_names() -> list[str]:
    """Every IANA zone name zoneinfo knows, sorted."""
    return sorted(_zones())


def _supported(code: str | None) -> str | None:
    return supported_language(code, current_app.config["LANGUAGES"])


def language_name(code: str) -> str:
    """A language named in itself, as a switcher shows it: "Deutsch", "日本語", "العربية"."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def language_choices() -> list[tuple[str, str]]:
    """(code, name in itself) for every UI language, in the configured order."""
    return [(code, language_name(code)) for code in current_app.config["LANGUAGES"]]


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
        # In the browser's order of preference, each tag or its nearest relative: "de-AT,
        # en;q=0.5" is German, not the English that an exact-match-first search would pick.
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


@contextmanager
def rendered_for(locale: str, zone: str) -> Iterator[None]:
    """Render text, dates and numbers in this language and zone, whoever's request this is.

    For what someone else reads: an e-mail to its recipient, a push to many people. Dates
    go to `zone` (UTC if it is not an IANA zone); the request's own zone comes back after.
    """
    ctx = g.get("_flask_babel") if g else None
    saved = getattr(ctx, "babel_tzinfo", None) if ctx is not None else None
    with force_locale(locale):
        get_timezone()  # creates Flask-Babel's cache on g if nothing was formatted yet
        ctx = g.get("_flask_babel")
        if ctx is None:
            yield
            return
        ctx.babel_tzinfo = ZoneInfo(zone if is_timezone(zone) else "UTC")
        try:
            yield
        finally:
            ctx.babel_tzinfo = saved


def desk_language():
    """Render in the desk's default language and UTC (Socket.IO payloads: many receivers)."""
    return rendered_for(current_app.config.get("BABEL_DEFAULT_LOCALE", "en"), "UTC")


class Number:
    """A number that prints in the locale of the moment it is shown (12,345 / 12.345 / 12 345).

    For messages made at import time (lazy_gettext) whose text is rendered later, per viewer.
    """

    __slots__ = ("value",)

    def __init__(self, value: int | float):
        self.value = value

    def __str__(self) -> str:
        return format_decimal(self.value)


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
    app.jinja_env.filters["num"] = format_decimal  # counts inside messages: %(count)s
    app.jinja_env.filters["reltime"] = reltime
    app.jinja_env.filters["isoutc"] = lambda v: v.astimezone(UTC).isoformat() if v else ""

    @app.context_processor
    def _text_direction():
        locale = get_locale()
        return {
            "text_direction": locale.character_order == "right-to-left" and "rtl" or "ltr",
            "language_choices": language_choices,
            "locale_code": str(locale),
        }
