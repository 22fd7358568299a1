"""The settings and change-password pages, one view for staff and for every client portal."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import login_user

from helpdesk.extensions import db
from helpdesk.i18n import LOCALE_COOKIE
from helpdesk.ratelimit import mark_failed_login
from helpdesk.security import set_private_cookie
from helpdesk.services import accounts
from helpdesk.web.forms import ChangePasswordForm
from helpdesk.web.settings_form import SettingsForm

COOKIE_DAYS = 365


def remember_language(response, code: str):
    """The language cookie, read by the locale selector for visitors and signed-out users."""
    return set_private_cookie(response, LOCALE_COOKIE, code, days=COOKIE_DAYS)


def settings_page(user, *, endpoint: str, change_endpoint: str):
    """GET shows, POST saves the user's language and time zone; one view for both realms."""
    form = SettingsForm()
    if request.method == "GET":
        _show_current(form, user)
    if form.validate_on_submit():
        accounts.save_preferences(
            db.session, user, locale=form.locale.data, timezone=form.timezone.data
        )
        with force_locale(user.locale):
            flash(_("Your settings are saved."), "success")
        return remember_language(redirect(url_for(endpoint)), user.locale)
    status = 422 if form.errors else 200
    return _render(user, form, ChangePasswordForm(formdata=None), change_endpoint), status


def password_page(user, *, endpoint: str, change_endpoint: str, realm: str):
    """POST changes the signed-in user's password (the current one required), then settings.

    A wrong current password counts as a failed sign-in of the account (the sign-in limits).
    """
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                db.session, user, current=form.current.data, new=form.password.data, realm=realm
            )
        except accounts.WrongPassword:
            mark_failed_login()
            form.current.errors = [_("That is not your current password.")]
        else:
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
