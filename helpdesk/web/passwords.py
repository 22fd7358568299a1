"""The two password-link pages, shared by the staff sign-in and every client portal.

Asking always answers the same way, whether or not the address has an account. The link's
page sets the password and signs the person in; a link that is forged, expired, used, or
of another portal answers 404 with a way to ask again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from flask import current_app, flash, redirect, render_template
from flask_babel import gettext as _

from helpdesk import password_tokens
from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.services import accounts
from helpdesk.web import sign_in
from helpdesk.web.forms import NewPasswordForm, PasswordLinkForm


def ask_page(*, realm: int, realm_name: str, client_id: int | None, sign_in_url: str):
    """The form that asks for a link; on a valid e-mail, back to sign-in with the same words."""
    form = PasswordLinkForm()
    if form.validate_on_submit():
        now = datetime.now(UTC)
        accounts.ask_password_link(
            db.session,
            realm=realm,
            realm_name=realm_name,
            client_id=client_id,
            email=form.email.data,
            now=now,
        )
        flash(
            _(
                "If an account with this e-mail exists here, a link to set its password is on "
                "its way. It works for %(minutes)s minutes.",
                minutes=current_app.config["PASSWORD_LINK_MINUTES"],
            ),
            "info",
        )
        return redirect(sign_in_url)
    status = 422 if form.errors else 200
    return render_template("auth/password_link.html", form=form, sign_in_url=sign_in_url), status


def set_page(token: str, *, realm: int, realm_name: str, ask_url: str, home: Callable[[User], str]):
    """The link's page: choose the password, then signed in and sent `home`."""
    now = datetime.now(UTC)
    user = next(
        (
            found
            for kind in password_tokens.SETS_PASSWORD
            if (
                found := password_tokens.user_for_token(
                    db.session, token, realm=realm, now=now, kind=kind
                )
            )
        ),
        None,
    )
    if user is None:
        return render_template("auth/password_link_invalid.html", ask_url=ask_url), 404
    form = NewPasswordForm()
    if form.validate_on_submit():
        accounts.set_password_from_link(
            db.session, user, form.password.data, realm_name=realm_name, now=now
        )
        flash(_("Your password is set."), "success")
        return sign_in.finish(user, realm=realm_name, target=home(user))
    status = 422 if form.errors else 200
    return render_template("auth/set_password.html", form=form, user=user), status
