"""A staff sign-in waiting for its second factor, and the browsers that may skip it.

After the password (or a mailed link) a staff member with a second factor, or required to
have one, is not signed in yet: a short-lived marker in the Flask session (signed, so it
cannot be forged) names who, the password they proved, where to go after, and until when.
A remembered device is a signed cookie bound to the user id and a digest of their current
TOTP secret, so resetting or replacing the factor forgets every such browser.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from dataclasses import dataclass

from flask import current_app, redirect, request, session, url_for
from itsdangerous import BadData, URLSafeSerializer

from helpdesk.extensions import db
from helpdesk.models import STAFF_REALM, User
from helpdesk.security import set_private_cookie
from helpdesk.services import second_factor

PENDING_KEY = "second_factor_pending"
PENDING_SECONDS = 300
FAILURES_MAX = 5  # wrong codes before the password must be given again
DEVICE_COOKIE = "hd_second_factor"
DEVICE_SALT = "helpdesk.second-factor-device"
DEVICES_MAX = 5  # remembered accounts per browser
STEPS = ("code", "enrol")


@dataclass(frozen=True)
class Held:
    """A live pending sign-in: who, how they came in, where they go, and what is asked."""

    user: User
    realm: str
    target: str
    step: str


def step_for(user: User, *, realm: str) -> str | None:
    """What a sign-in of `user` still needs: "code", "enrol" or nothing (None).

    Only staff sign-ins ask; a remembered device of an enrolled user skips the code.
    """
    if realm != "staff" or user.realm != STAFF_REALM:
        return None
    if second_factor.enrolled(user):
        return None if remembered(user) else "code"
    return "enrol" if second_factor.required_for(db.session, user) else None


def hold(user: User, *, realm: str, target: str, step: str):
    """Keep the pending marker and send the browser to the step's page."""
    session[PENDING_KEY] = {
        "user": user.id,
        "mark": user.password_mark(),
        "realm": realm,
        "target": target,
        "step": step,
        "until": time.time() + PENDING_SECONDS,
        "failures": 0,
    }
    endpoint = "auth.second_factor" if step == "code" else "auth.second_factor_enrol"
    return redirect(url_for(endpoint))


def current(step: str) -> Held | None:
    """The live pending sign-in at this step, or None (none, expired, or the account changed)."""
    marker = session.get(PENDING_KEY)
    if not isinstance(marker, dict) or marker.get("step") != step:
        return None
    if not isinstance(marker.get("until"), (int, float)) or marker["until"] < time.time():
        clear()
        return None
    user = db.session.get(User, marker.get("user")) if isinstance(marker.get("user"), int) else None
    fresh = user is not None and user.active and user.realm == STAFF_REALM
    if not fresh or not hmac.compare_digest(user.password_mark(), str(marker.get("mark"))):
        clear()  # deactivated, or a new password since: the password step counts no more
        return None
    return Held(user=user, realm=marker["realm"], target=marker["target"], step=step)


def failed() -> bool:
    """Count a wrong code; False (and the marker dropped) once there were too many."""
    marker = session.get(PENDING_KEY)
    if not isinstance(marker, dict):
        return False
    marker["failures"] = int(marker.get("failures", 0)) + 1
    session[PENDING_KEY] = marker
    if marker["failures"] >= FAILURES_MAX:
        clear()
        return False
    return True


def clear() -> None:
    """Forget the pending sign-in (done, expired or abandoned)."""
    session.pop(PENDING_KEY, None)


def _devices() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=DEVICE_SALT)


def _secret_digest(user: User) -> str:
    return hashlib.sha256((user.totp_secret or "").encode()).hexdigest()[:32]


def _entries() -> list[list]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw:
        return []
    try:
        entries = _devices().loads(raw)
    except BadData:
        return []
    if not isinstance(entries, list):
        return []
    now = time.time()
    return [
        e
        for e in entries
        if isinstance(e, list) and len(e) == 3 and isinstance(e[2], (int, float)) and e[2] > now
    ]


def remembered(user: User) -> bool:
    """Whether this browser was remembered by `user` under their current secret, not expired."""
    digest = _secret_digest(user)
    return any(
        e[0] == user.id and isinstance(e[1], str) and hmac.compare_digest(e[1], digest)
        for e in _entries()
    )


def remember(response, user: User):
    """Remember this browser for `user` for SECOND_FACTOR_REMEMBER_DAYS."""
    days = current_app.config["SECOND_FACTOR_REMEMBER_DAYS"]
    entry = [user.id, _secret_digest(user), time.time() + days * 24 * 3600]
    entries = [entry, *(e for e in _entries() if e[0] != user.id)][:DEVICES_MAX]
    return set_private_cookie(response, DEVICE_COOKIE, _devices().dumps(entries), days=days)
