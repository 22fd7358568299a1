"""The one way a browser becomes signed in: every sign-in page ends here.

The staff and portal sign-in forms, a password set from a mailed link and a confirmed
registration call `finish`: the session starts, the sign-in is audited, and the browser
becomes a known device of the account (it passes the account-wide sign-in limit).
"""

from __future__ import annotations

from flask import redirect
from flask_login import login_user

from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.ratelimit import remember_device
from helpdesk.services import accounts
from helpdesk.web import browser_session, pending_sign_in


def finish(user: User, *, realm: str, target: str):
    """The password (or a mailed link) is proven: sign in, after a second factor if needed.

    Staff with a second factor (unless this browser is remembered) are asked for a code, and
    staff the site's rule requires to have one but who have none set it up first; both pages
    call `complete` once done.
    """
    step = pending_sign_in.step_for(user, realm=realm)
    if step is not None:
        return pending_sign_in.hold(user, realm=realm, target=target, step=step)
    return complete(user, realm=realm, target=target)


def complete(user: User, *, realm: str, target: str):
    """Sign the user in on this browser and send them to `target` (a safe local URL).

    The browser gets a server-side session record (its key in the signed cookie): every
    request checks it, and sign-out or a revocation ends it.
    """
    login_user(user)
    browser_session.begin(user, realm=realm)
    accounts.signed_in(db.session, user, realm=realm)
    return remember_device(redirect(target), user.email)
