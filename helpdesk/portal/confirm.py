"""A registration proves its e-mail address: the mailed link, a new link, "I did not register".

Until the link is followed (with the password chosen at registration), the account cannot
sign in, so it sees and files nothing; tickets filed for the address by e-mail or API void
the registration instead of joining it (services.accounts.find_or_create_customer).
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import current_app, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext as _

from helpdesk import password_tokens
from helpdesk.extensions import db
from helpdesk.portal import bp
from helpdesk.portal.forms import ConfirmForm
from helpdesk.ratelimit import login_limits, mark_failed_login, password_link_per_address
from helpdesk.services import accounts
from helpdesk.web import sign_in
from helpdesk.web.forms import PasswordLinkForm

PENDING_KEY = "confirm_email"  # the address just registered, to fill in the form for a new link


def remember_pending(email: str) -> None:
    """Keep the address just registered (or tried) for the "new link" form."""
    session[PENDING_KEY] = email


def _registration(token: str):
    return password_tokens.user_for_token(
        db.session, token, realm=g.client.id, now=datetime.now(UTC), kind="confirm"
    )


def _invalid():
    return render_template("portal/confirm_invalid.html"), 404


@bp.route("/confirm", methods=["GET", "POST"])
@password_link_per_address
def confirm_sent():
    """ "Check your inbox", with a form that mails a new link (the same answer either way)."""
    form = PasswordLinkForm()
    if form.validate_on_submit():
        accounts.ask_confirmation_link(
            db.session, client_id=g.client.id, email=form.email.data, now=datetime.now(UTC)
        )
        remember_pending(form.email.data)
        flash(
            _(
                "If a registration with this e-mail awaits confirmation here, a new link is on "
                "its way."
            ),
            "info",
        )
        return redirect(url_for("portal.confirm_sent"))
    if not form.is_submitted():
        form.email.data = session.get(PENDING_KEY)
    status = 422 if form.errors else 200
    hours = current_app.config["CONFIRM_LINK_HOURS"]
    return render_template("portal/confirm_sent.html", form=form, hours=hours), status


@bp.route("/confirm/<token>", methods=["GET", "POST"])
@login_limits
def confirm_email(token: str):
    """The mailed link: the password chosen at registration confirms the address."""
    user = _registration(token)
    if user is None:
        return _invalid()
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            accounts.confirm_registration(
                db.session, user, password=form.password.data, now=datetime.now(UTC)
            )
        except accounts.WrongPassword:
            mark_failed_login()
            form.password.errors.append(_("That is not the password chosen at registration."))
        else:
            session.pop(PENDING_KEY, None)
            welcome = _("Your e-mail address is confirmed. Welcome, %(name)s!", name=user.name)
            flash(welcome, "success")
            return sign_in.finish(user, realm="portal", target=url_for("portal.new_ticket"))
    status = 422 if form.errors else 200
    return render_template("portal/confirm.html", form=form, user=user, token=token), status


@bp.route("/confirm/<token>/decline", methods=["POST"])
def decline_registration(token: str):
    """ "I did not register": the registrant's password and name go (CSRF-checked, as every
    form is)."""
    user = _registration(token)
    if user is None:
        return _invalid()
    accounts.decline_registration(db.session, user, now=datetime.now(UTC))
    flash(_("Thank you. The registration is cancelled: nobody can sign in with it."), "success")
    return redirect(url_for("portal.home"))
