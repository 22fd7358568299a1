"""Navigation every face shares: where a user starts, and safe ?next= targets."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import url_for


def home_for(user) -> str:
    """Where a signed-in user starts."""
    if user.role == "agent":
        return url_for("agent.queue")
    if user.role in ("supervisor", "admin"):
        return url_for("supervisor.dashboard")
    return url_for("portal.tickets", client_slug=user.client.slug)


def safe_next(target: str | None) -> str | None:
    """A same-site relative path from ?next=, or None (no open redirects).

    Browsers read a backslash as a slash and drop tabs and line breaks, so a target
    with any of them could leave the site: it is refused.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    return target if not parts.netloc and not parts.scheme else None
