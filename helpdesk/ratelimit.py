"""Rate limits (Flask-Limiter): sign-in per account and per address, API intake per token,
portal registration, filing and password links per address; a 429 with Retry-After in the
API's error shape or as an error page.

Limits come from app.config at request time (RATELIMIT_LOGIN_ACCOUNT, ...), so an operator sets
them by environment and a test can set one on the running app; an empty string switches a
limit off. The counters live in RATELIMIT_STORAGE_URI: memory:// in one process, redis://...
when several processes must share them.
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import Flask, Response, current_app, g, render_template, request
from flask_babel import gettext as _
from flask_limiter.errors import RateLimitExceeded
from itsdangerous import BadData, URLSafeSerializer

from helpdesk.errors import error_response, wants_json
from helpdesk.extensions import limiter
from helpdesk.security import set_private_cookie


def _setting(name: str):
    return lambda: current_app.config.get(name) or ""


def _digest(value: str) -> str:
    # Counters are keyed on digests: no e-mail or token is written to the storage in clear.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def client_address() -> str:
    """The caller's address (ProxyFix has put the proxy's X-Forwarded-For here when trusted)."""
    return request.remote_addr or "unknown"


def _tried_email() -> str:
    email = request.form.get("email")
    if email is None:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return email.strip().lower() if isinstance(email, str) else ""


def tried_account() -> str:
    """The e-mail a sign-in tries, from the form or the JSON body, normalised."""
    return "account:" + _digest(_tried_email())


def tried_account_here() -> str:
    """The e-mail a sign-in tries and the address it comes from: a stranger's failures fill
    their own bucket, not the owner's."""
    return tried_account() + ":" + client_address()


DEVICE_COOKIE = "hd_device"
DEVICE_SALT = "helpdesk.known-device"
DEVICE_ACCOUNTS_MAX = 5
DEVICE_DAYS = 180


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def _known_accounts() -> list[str]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        accounts = _devices().loads(raw)
    except BadData:
        return []
    return [a for a in accounts if isinstance(a, str)] if isinstance(accounts, list) else []


def known_device() -> bool:
    """Whether this browser signed in to the tried account before (a signed cookie says so)."""
    return _digest(_tried_email()) in _known_accounts()


def remember_device(response: Response, email: str) -> Response:
    """After a successful sign-in: this browser is a known device of the account."""
    account = _digest(email.strip().lower())
    accounts = [account, *(a for a in _known_accounts() if a != account)][:DEVICE_ACCOUNTS_MAX]
    return set_private_cookie(response, DEVICE_COOKIE, _devices().dumps(accounts), days=DEVICE_DAYS)


def bearer_key() -> str:
    """The calling token, hashed (an intake integration or a user token)."""
    return "token:" + _digest(request.headers.get("Authorization", ""))


def mark_failed_login() -> None:
    """Called by a sign-in view when the credentials were wrong: only failures count."""
    g.login_failed = True


def _login_failed(_response) -> bool:
    return bool(g.get("login_failed"))


# Buckets shared by the staff, portal and API sign-ins, so the three doors do not triple an
# attacker's guesses; only failed attempts are deducted. Per account and address: a stranger
# cannot lock the owner out from elsewhere. Per account from everywhere, a much larger bucket
# against guessing from many addresses, which a known device of the account passes.
login_per_account = limiter.shared_limit(
    _setting("RATELIMIT_LOGIN_ACCOUNT"),
    scope="login-account",
    key_func=tried_account_here,
    methods=["POST"],
    deduct_when=_login_failed,
)
login_per_account_anywhere = limiter.shared_limit(
    _setting("RATELIMIT_LOGIN_ACCOUNT_ANYWHERE"),
    scope="login-account-anywhere",
    key_func=tried_account,
    methods=["POST"],
    deduct_when=_login_failed,
    exempt_when=known_device,
)
login_per_address = limiter.shared_limit(
    _setting("RATELIMIT_LOGIN_ADDRESS"),
    scope="login-address",
    key_func=client_address,
    methods=["POST"],
    deduct_when=_login_failed,
)
intake_per_token = limiter.limit(
    _setting("RATELIMIT_API_INTAKE"), key_func=bearer_key, methods=["POST"]
)
register_per_address = limiter.limit(
    _setting("RATELIMIT_REGISTER"), key_func=client_address, methods=["POST"]
)
# Filing a ticket and starting a chat (which files one) share a bucket.
filing_per_address = limiter.shared_limit(
    _setting("RATELIMIT_PORTAL_FILING"),
    scope="portal-filing",
    key_func=client_address,
    methods=["POST"],
)


# Asking for a password link mails someone: staff and portal forms share one bucket.
password_link_per_address = limiter.shared_limit(
    _setting("RATELIMIT_PASSWORD_LINK"),
    scope="password-link",
    key_func=client_address,
    methods=["POST"],
)


def login_limits(view):
    """The sign-in limits on a view."""
    return login_per_account_anywhere(login_per_account(login_per_address(view)))


def retry_after() -> int:
    """Whole seconds until the breached limit lets a request through again (at least 1)."""
    limit = limiter.current_limit
    if limit is None:
        return 1
    return max(1, math.ceil(limit.reset_at - time.time()))


def too_many_requests(_exc: RateLimitExceeded):
    """429: the API's error shape or the error page, both saying how long to wait."""
    seconds = retry_after()
    message = _(
        "Too many attempts. Please wait %(seconds)s seconds and try again.", seconds=seconds
    )
    if wants_json():
        response, status = error_response(429, "rate_limited", message)
    else:
        response = current_app.make_response(
            (render_template("errors/error.html", status=429, message=message), 429)
        )
        status = 429
    response.headers["Retry-After"] = str(seconds)
    return response, status


def init_app(app: Flask) -> None:
    """Bind the limiter and its 429 handler."""
    limiter.init_app(app)
    app.register_error_handler(RateLimitExceeded, too_many_requests)
