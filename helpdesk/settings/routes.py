"""The language switcher (anyone) and the settings page (every signed-in user)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.extensions import db
from helpdesk.ratelimit import login_limits
from helpdesk.services import accounts
from helpdesk.settings import bp
from helpdesk.web import second_factor as factor_pages
from helpdesk.web.accounts import (
    end_other_sessions_page,
    end_session_page,
    password_page,
    remember_language,
    revoke_token_page,
    settings_page,
)
from helpdesk.web.guards import roles_required
from helpdesk.web.navigation import home_for, safe_next

STAFF_ROLES = ("agent", "supervisor", "admin")  # customers have their settings in their portal


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
        accounts.save_language(db.session, current_user, code)
    return remember_language(redirect(back), code)


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


@bp.route("/settings/security")
@roles_required(*STAFF_ROLES)
def security():
    """The staff member's second factor (and, for admins, who must use one)."""
    return factor_pages.security_page(current_user._get_current_object())


@bp.route("/settings/security/enrol", methods=["GET", "POST"])
@roles_required(*STAFF_ROLES)
@login_limits
def security_enrol():
    """Set up a second factor: a QR code and key, confirmed by the app's first code."""
    return factor_pages.enrol_page(current_user._get_current_object())


@bp.route("/settings/security/recovery-codes", methods=["POST"])
@roles_required(*STAFF_ROLES)
@login_limits
def security_recovery_codes():
    """New recovery codes, shown once (the old ones stop working)."""
    return factor_pages.new_recovery_codes(current_user._get_current_object())


@bp.route("/settings/security/disable", methods=["POST"])
@roles_required(*STAFF_ROLES)
@login_limits
def security_disable():
    """Turn the second factor off, with a code or the password as proof."""
    return factor_pages.turn_off(current_user._get_current_object())


@bp.route("/settings/security/policy", methods=["POST"])
@roles_required("admin")
def security_policy():
    """An admin chooses who must use a second factor: admins only, or every staff member."""
    return factor_pages.policy_page(current_user._get_current_object())


@bp.route("/settings/sessions/<int:session_id>/end", methods=["POST"])
@roles_required(*STAFF_ROLES)
def end_session(session_id: int):
    """Sign out one of the caller's sessions (another user's: 404)."""
    return end_session_page(
        current_user._get_current_object(), session_id, endpoint="settings.staff_settings"
    )


@bp.route("/settings/sessions/end-others", methods=["POST"])
@roles_required(*STAFF_ROLES)
def end_other_sessions():
    """Sign out every other session of the caller, and their API tokens."""
    return end_other_sessions_page(
        current_user._get_current_object(), endpoint="settings.staff_settings"
    )


@bp.route("/settings/tokens/<int:token_id>/revoke", methods=["POST"])
@roles_required(*STAFF_ROLES)
def revoke_token(token_id: int):
    """Revoke one of the caller's API tokens (another user's: 404)."""
    return revoke_token_page(
        current_user._get_current_object(), token_id, endpoint="settings.staff_settings"
    )
