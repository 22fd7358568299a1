"""The settings and change-password pages, one view for staff and for every client portal.

The settings page also lists the user's sessions (ending one, or all but this one) and API
tokens (revoking one). The routes of each realm (settings.routes, portal.settings) register
these views under the same endpoint names in their blueprint.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, get_locale, get_timezone
from flask_babel import gettext as _
from flask_login import login_user

from helpdesk.extensions import db
from helpdesk.i18n import LOCALE_COOKIE
from helpdesk.models import ID_MAX
from helpdesk.ratelimit import mark_failed_login
from helpdesk.security import set_private_cookie
from helpdesk.services import accounts, sessions
from helpdesk.services.errors import NotFound
from helpdesk.web import browser_session, devices
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
        record = browser_session.current_record()
        try:
            accounts.change_password(
                db.session,
                user,
                current=form.current.data,
                new=form.password.data,
                realm=realm,
                now=datetime.now(UTC),
                keep_session=record.id if record is not None else None,
            )
        except accounts.WrongPassword:
            mark_failed_login()
            form.current.errors = [_("That is not your current password.")]
        else:
            login_user(user)  # this session's id carries the new password's mark
            flash(
                _(
                    "Your password is changed. Every other session is signed out. Your API "
                    "tokens are revoked."
                ),
                "success",
            )
            return redirect(url_for(endpoint))
    settings = SettingsForm(formdata=None)
    _show_current(settings, user)
    return _render(user, settings, form, change_endpoint), 422


def _show_current(form: SettingsForm, user) -> None:
    # The language and zone the pages use now, as the form's starting values.
    form.locale.data = str(get_locale())
    form.timezone.data = user.timezone or str(get_timezone())


def end_session_page(user, session_id: int, *, endpoint: str):
    """POST signs out one of the user's sessions (another user's: 404)."""
    if session_id > ID_MAX:
        abort(404)
    try:
        sessions.end(db.session, user, session_id, reason="signed_out_elsewhere", now=_now())
    except NotFound:
        abort(404)
    if session_id == _current_session_id():
        return redirect(url_for(endpoint))  # signed out here: the page asks to sign in
    flash(_("That session is signed out."), "success")
    return redirect(url_for(endpoint))


def end_other_sessions_page(user, *, endpoint: str):
    """POST signs out every other session of the user, and every API token."""
    sessions.end_all(
        db.session,
        user,
        reason="signed_out_elsewhere",
        now=_now(),
        actor=user,
        keep=_current_session_id(),
    )
    flash(_("Every other session and every API token is signed out."), "success")
    return redirect(url_for(endpoint))


def revoke_token_page(user, token_id: int, *, endpoint: str):
    """POST revokes one of the user's API tokens at once (another user's: 404)."""
    if token_id > ID_MAX:
        abort(404)
    try:
        sessions.revoke_token(db.session, user, token_id, now=_now())
    except NotFound:
        abort(404)
    flash(_("The token is revoked."), "success")
    return redirect(url_for(endpoint))


def _now() -> datetime:
    return datetime.now(UTC)


def _current_session_id() -> int | None:
    record = browser_session.current_record()
    return record.id if record is not None else None


def _render(user, form, password_form, change_endpoint: str):
    realm = change_endpoint.partition(".")[0]  # "settings" (staff) or "portal"
    current = _current_session_id()
    listed = [
        {
            "id": record.id,
            "device": devices.describe(record.user_agent),
            "ip": record.ip,
            "created_at": record.created_at,
            "last_seen_at": record.last_seen_at,
            "current": record.id == current,
        }
        for record in sessions.sessions_of(db.session, user)
    ]
    listed.sort(key=lambda row: not row["current"])  # this device first
    return render_template(
        "settings/settings.html",
        form=form,
        password_form=password_form,
        password_action=url_for(change_endpoint),
        user=user,
        user_sessions=listed,
        api_tokens=sessions.tokens_of(db.session, user, now=_now()),
        end_session_endpoint=f"{realm}.end_session",
        end_others_action=url_for(f"{realm}.end_other_sessions"),
        revoke_token_endpoint=f"{realm}.revoke_token",
    )
