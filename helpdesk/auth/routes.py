"""Staff sign-in and sign-out."""

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from helpdesk.auth import bp
from helpdesk.extensions import db
from helpdesk.models import STAFF_REALM
from helpdesk.ratelimit import (
    login_limits,
    mark_failed_login,
    password_link_per_address,
)
from helpdesk.services import accounts
from helpdesk.services.auth import authenticate
from helpdesk.web import browser_session, passwords, sign_in
from helpdesk.web import second_factor as factor_pages
from helpdesk.web.forms import LoginForm
from helpdesk.web.navigation import home_for, safe_next


@bp.route("/")
def index():
    """Staff home: straight to the right page, or to sign-in."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    """Sign in agents, supervisors and admins."""
    if current_user.is_authenticated and current_user.realm == STAFF_REALM:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(
            db.session, email=form.email.data, password=form.password.data, realm=STAFF_REALM
        )
        if user is None:
            # Same words whether or not the e-mail exists.
            mark_failed_login()
            accounts.failed_sign_in(db.session, email=form.email.data, realm="staff")
            flash(_("Wrong e-mail or password."), "error")
        else:
            target = safe_next(request.args.get("next")) or home_for(user)
            return sign_in.finish(user, realm="staff", target=target)
    return render_template(
        "auth/login.html", form=form
    ), 200 if request.method == "GET" or not form.errors else 422


@bp.route("/login/second-factor", methods=["GET", "POST"])
@login_limits
def second_factor():
    """The second step of a staff sign-in: a code from the app or a recovery code."""
    return factor_pages.sign_in_code_page()


@bp.route("/login/second-factor/enrol", methods=["GET", "POST"])
@login_limits
def second_factor_enrol():
    """A staff member the site requires to have a second factor sets one up to sign in."""
    return factor_pages.sign_in_enrol_page()


@bp.route("/password", methods=["GET", "POST"])
@password_link_per_address
def password_link():
    """Ask for a link that sets a staff password."""
    return passwords.ask_page(
        realm=STAFF_REALM, realm_name="staff", client_id=None, sign_in_url=url_for("auth.login")
    )


@bp.route("/password/<token>", methods=["GET", "POST"])
def set_password(token: str):
    """Choose a staff password from a mailed link."""
    return passwords.set_page(
        token,
        realm=STAFF_REALM,
        realm_name="staff",
        ask_url=url_for("auth.password_link"),
        home=home_for,
    )


@bp.route("/logout", methods=["GET", "POST"])
def logout():
    """Sign out on POST (an online agent becomes away first); GET only asks for confirmation.

    A link or an image elsewhere must not sign anyone out, so the state change needs the
    form and its CSRF token.
    """
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if request.method == "GET":
        return render_template("auth/logout.html")
    # An online agent becomes away, not offline: open tickets stay until the shift ends.
    accounts.signing_out(
        db.session,
        current_user._get_current_object(),
        realm="staff",
        now=datetime.now(UTC),
        session_key=browser_session.current_key(),
    )
    logout_user()
    browser_session.forget()
    flash(_("You are signed out."), "success")
    return redirect(url_for("auth.login"))
