"""A browser's User-Agent in words ("Firefox on Windows"), for the list of one's sessions.

Only the common browsers and systems are told apart; anything else is "Unknown browser" or
"unknown system". The string is what the browser claims, never proof of anything.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

# Checked in order: Edge and Opera also say "Chrome", Chrome also says "Safari".
BROWSERS = (
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Chromium/", "Chromium"),
    ("CriOS/", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
    ("curl/", "curl"),
    ("python-requests/", "Python"),
)
SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)
UNKNOWN_BROWSER = _l("Unknown browser")
UNKNOWN_SYSTEM = _l("unknown system")


def describe(user_agent: str | None) -> str:
    """The browser and system a User-Agent names, in the viewer's language."""
    text = user_agent or ""
    browser = next((name for mark, name in BROWSERS if mark in text), None)
    system = next((name for mark, name in SYSTEMS if mark in text), None)
    if "HeadlessChrome/" in text:
        browser = "Headless Chrome"
    return _(
        "%(browser)s on %(system)s",
        browser=browser or str(UNKNOWN_BROWSER),
        system=system or str(UNKNOWN_SYSTEM),
    )
