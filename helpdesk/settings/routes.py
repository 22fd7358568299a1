"""The language switcher (anyone) and the settings page (every signed-in user)."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import current_user, login_user

from helpdesk.auth.guards import roles_required
from helpdesk.auth.routes import home_for, safe_next
from helpdesk.extensions import db
from helpdesk.i18n import LOCALE_COOKIE
from helpdesk.portal.forms import ChangePasswordForm
from helpdesk.ratelimit import login_limits, mark_failed_login
from helpdesk.services import audit
from helpdesk.settings import bp
from helpdesk.settings.forms import SettingsForm

STAFF_ROLES = ("agent", "supervisor", "admin")  # customers have their settings in their portal

COOKIE_MAX_AGE = 365 * 24 * 3600


@bp.route("/language", methods=["POST"])
def set_language():
    """Remember the chosen UI language (cookie, and the user's setting) and go back."""
    code = request.form.get("locale", "")
    target = request.form.get("next") or ""
    back = safe_next(target) or (
        home_for(current_user) if current_user.is_authenticated else url_for("auth.index")
    )
    if code not in current_app.config["LANGUAGES"]:
        flash(_("That language is not offered."), "error")
        return redirect(back)
    if current_user.is_authenticated:
        current_user.locale = code
        db.session.commit()
    return _remember(redirect(back), code)


def _remember(response, code: str):
    """The language cookie, read by the locale selector for visitors and signed-out users."""
    response.set_cookie(
        LOCALE_COOKIE,
        code,
        max_age=COOKIE_MAX_AGE,
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        httponly=True,
        samesite="Lax",
    )
    return response


def settings_page(user, *, endpoint: str, change_endpoint: str):
    """GET shows, POST saves the user's language and time zone; one view for both realms."""
    form = SettingsForm()
    if request.method == "GET":
        _show_current(form, user)
    if form.validate_on_submit():
        user.locale = form.locale.data
        user.timezone = form.timezone.data
        db.session.commit()
        with force_locale(user.locale):
            flash(_("Your settings are saved."), "success")
        return _remember(redirect(url_for(endpoint)), user.locale)
    status = 422 if form.errors else 200
    return _render(user, form, ChangePasswordForm(formdata=None), change_endpoint), status


def password_page(user, *, endpoint: str, change_endpoint: str, realm: str):
    """POST changes the signed-in user's password (the current one required), then settings.

    A wrong current password counts as a failed sign-in of the account (the sign-in limits).
    """
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not user.check_password(form.current.data):
            mark_failed_login()
            form.current.errors = [_("That is not your current password.")]
        else:
            user.set_password(form.password.data)
            audit.record_request(
                db.session, "password_set", actor=user, data={"realm": realm, "via": "settings"}
            )
            db.session.commit()
            login_user(user)  # this session's id carries the new password's mark
            flash(_("Your password is changed. Every other session is signed out."), "success")
            return redirect(url_for(endpoint))
    settings = SettingsForm(formdata=None)
    _show_current(settings, user)
    return _render(user, settings, form, change_endpoint), 422


def _show_current(form: SettingsForm, user) -> None:
    # The language and zone the pages use now, as the form's starting values.
    form.locale.data = str(get_locale())
    form.timezone.data = user.timezone or str(get_timezone())


def _render(user, form, password_form, change_endpoint: str):
    return render_template(
        "settings/settings.html",
        form=form,
        password_form=password_form,
        password_action=url_for(change_endpoint),
        user=user,
    )


@bp.route("/settings", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
def staff_settings():
    """Staff settings; customers have theirs in their portal."""
    return settings_page(
        current_user,
        endpoint="settings.staff_settings",
        change_endpoint="settings.staff_password",
    )


@bp.route("/settings/password", methods=["POST"])
@roles_required(*STAFF_ROLES)
@login_limits
def staff_password():
    """Change a staff password; customers change theirs in their portal."""
    return password_page(
        current_user._get_current_object(),  # login_user must not get a proxy of itself
        endpoint="settings.staff_settings",
        change_endpoint="settings.staff_password",
        realm="staff",
    )
