"""The language switcher (anyone) and the settings page (every signed-in user)."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from helpdesk.extensions import db
from helpdesk.ratelimit import login_limits
from helpdesk.services import accounts
from helpdesk.settings import bp
from helpdesk.web.accounts import password_page, remember_language, settings_page
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
