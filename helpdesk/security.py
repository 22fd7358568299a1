"""Response hardening: security headers on every response, Secure cookies behind HTTPS, ProxyFix.

The Content-Security-Policy allows scripts and styles from this origin only: templates carry
no inline script, no on* handler and no style attribute (tests/security checks them).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, Response, current_app, request
from werkzeug.middleware.proxy_fix import ProxyFix

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self' ws: wss:",  # Socket.IO
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
    ]
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000"


def secure_cookie_header(value: str) -> str:
    """A Set-Cookie value with the Secure attribute (unchanged if it has it already)."""
    attributes = [part.strip().lower() for part in value.split(";")[1:]]
    return value if "secure" in attributes else value + "; Secure"


def add_security_headers(response: Response) -> Response:
    """Set the headers on one response; HSTS only when the request came over HTTPS."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    if request.endpoint != "static":
        # Pages and API answers carry someone's tickets, tokens or a form's CSRF token: no
        # shared or back-button cache may keep them. Static files keep their own caching.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def set_private_cookie(response: Response, name: str, value: str, *, days: int) -> Response:
    """A cookie of this app's own (language, known device): HTTP only, same-site Lax, Secure
    when the session cookie is; kept for `days`."""
    response.set_cookie(
        name,
        value,
        max_age=days * 24 * 3600,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


def mark_cookies_secure(response: Response) -> Response:
    """Behind HTTPS (configured, or this request came over it) cookies set by views get Secure,
    such as the language cookie. The session and remember-me cookies are written after this
    hook; SESSION_COOKIE_SECURE and REMEMBER_COOKIE_SECURE (set by HELPDESK_HTTPS) cover them."""
    if not (current_app.config.get("HELPDESK_HTTPS") or request.is_secure):
        return response
    cookies = response.headers.getlist("Set-Cookie")
    if cookies:
        del response.headers["Set-Cookie"]
        for cookie in cookies:
            response.headers.add("Set-Cookie", secure_cookie_header(cookie))
    return response


def socket_origins(config) -> Callable[[str | None, dict], bool]:
    """Which browser pages may open a Socket.IO connection: the app's own origin only.

    A connection authenticated by the session cookie must not be opened by another site's
    page (cross-site WebSocket hijacking). Allowed: the origin the request came to (its
    scheme and Host, as ProxyFix reports them behind TRUSTED_PROXIES), PUBLIC_URL's, and
    those listed in SOCKETIO_ALLOWED_ORIGINS. Programs send no Origin and are let through:
    they authenticate with a token.
    """
    listed = {_origin(config.get("PUBLIC_URL") or "")} | {
        _origin(o) for o in (config.get("SOCKETIO_ALLOWED_ORIGINS") or "").split() if o
    }

    def allowed(origin: str | None, environ: dict) -> bool:
        if not origin:
            return True
        own = f"{environ.get('wsgi.url_scheme', 'http')}://{environ.get('HTTP_HOST', '')}"
        return origin.rstrip("/").lower() in listed | {own.lower()}

    return allowed


def _origin(url: str) -> str:
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def init_app(app: Flask) -> None:
    """Register the hooks; with HELPDESK_HTTPS build https URLs; trust the configured proxies."""
    app.after_request(add_security_headers)
    app.after_request(mark_cookies_secure)
    if app.config.get("HELPDESK_HTTPS"):
        app.config["PREFERRED_URL_SCHEME"] = "https"
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    proxies = app.config.get("TRUSTED_PROXIES", 0)
    if proxies:
        # X-Forwarded-For/-Proto/-Host/-Port from that many proxies in front; never more,
        # or a client could forge its address (and dodge per-address rate limits).
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies
        )
