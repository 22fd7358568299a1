"""The second-factor pages: the code at sign-in, setting a factor up (at sign-in when the site
requires it, or from the staff settings), recovery codes shown once, turning it off, and the
site's rule for admins.

A secret being set up is not stored until a code confirms it: the session keeps only a random
nonce, and the secret is derived from it with the app's key, so the cookie never holds it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

import segno
from flask import (
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import BooleanField, PasswordField, RadioField, StringField
from wtforms.validators import DataRequired, Length, Optional

from helpdesk.extensions import db
from helpdesk.models import User
from helpdesk.ratelimit import mark_failed_login
from helpdesk.services import second_factor
from helpdesk.services.errors import ServiceError
from helpdesk.web import pending_sign_in, sign_in
from helpdesk.web.forms import Form, choices, strip_text

ISSUER = "Helpdesk"
ENROL_KEY = "second_factor_enrol"
CODE_MAX = 40
REFUSED = object()  # a change needing proof was not made (the form says why)


def _code_field(label) -> StringField:
    return StringField(
        label, validators=[DataRequired(), Length(max=CODE_MAX)], filters=[strip_text]
    )


class CodeForm(Form):
    """The code asked for at sign-in: from the app, or a recovery code."""

    code = _code_field(_l("Code"))
    remember = BooleanField(_l("Remember this device"))


class ConfirmForm(Form):
    """The first code from the app, which turns a new factor on."""

    code = _code_field(_l("Code from the app"))


class ProofForm(Form):
    """Proof for a change to the factor: a code, or else the password."""

    code = StringField(
        _l("Code from the app, or a recovery code"),
        validators=[Optional(), Length(max=CODE_MAX)],
        filters=[strip_text],
    )
    password = PasswordField(_l("Or your password"), validators=[Optional(), Length(max=1024)])

    def validate(self, extra_validators=None) -> bool:
        """Valid fields, and at least one of the two filled in."""
        if not super().validate(extra_validators):
            return False
        if not (self.code.data or self.password.data):
            self.form_errors.append(_("Enter a code from your app or your password."))
            return False
        return True


class PolicyForm(Form):
    """Who must use a second factor."""

    policy = RadioField(
        _l("Who must use a second factor"),
        choices=choices(
            [
                ("admins", _l("Administrators only")),
                ("staff", _l("Every staff member: agents, supervisors and administrators")),
            ]
        ),
        validators=[DataRequired()],
    )


def qr_svg(uri: str) -> Markup:
    """The otpauth:// address as an inline SVG QR code (no script, no image request)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        svgclass="qr-code",
        dark="#111",
        light="#fff",
        title=_("QR code for your authenticator app"),
    )
    return Markup(svg)  # noqa: S704 (segno escapes the title; the rest is its own markup)


def _pending_secret(user: User) -> str:
    # The nonce in the session, keyed with the app's secret: a copy of the cookie alone
    # cannot give the secret away. A new nonce per user and per set-up.
    data = session.get(ENROL_KEY)
    if not isinstance(data, dict) or data.get("user") != user.id or not data.get("nonce"):
        data = {"user": user.id, "nonce": secrets.token_hex(16)}
        session[ENROL_KEY] = data
    key = current_app.config["SECRET_KEY"].encode()
    material = f"totp-enrol:{user.id}:{data['nonce']}".encode()
    return base64.b32encode(hmac.new(key, material, hashlib.sha256).digest()[:20]).decode()


def _spaced(secret: str) -> str:
    # Typed by hand when the camera cannot read the QR code: groups of four.
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _enrolment(user: User) -> dict:
    secret = _pending_secret(user)
    uri = second_factor.provisioning_uri(secret, account=user.email, issuer=ISSUER)
    return {"qr": qr_svg(uri), "key": _spaced(secret)}


def _with_cookies_of(source, page):
    # A page shown in place of a redirect keeps the cookies the redirect set (signed in).
    for cookie in source.headers.getlist("Set-Cookie"):
        page.headers.add("Set-Cookie", cookie)
    return page


def _start_over():
    flash(_("Your sign-in took too long or was interrupted. Please sign in again."), "error")
    return redirect(url_for("auth.login"))


def _refuse_code(form, exc: ServiceError) -> None:
    # The wrong code is cleared, not shown again: the next one is typed afresh.
    form.code.errors = [exc.message]
    form.code.raw_data, form.code.data = [], ""


def _wrong_code(form, exc: ServiceError):
    """Count a wrong code at sign-in: False when the pending sign-in is over."""
    mark_failed_login()
    if not pending_sign_in.failed():
        flash(_("Too many wrong codes. Please sign in again."), "error")
        return False
    _refuse_code(form, exc)
    return True


def sign_in_code_page():
    """The second step of a staff sign-in: a code from the app or a recovery code."""
    held = pending_sign_in.current("code")
    if held is None:
        return _start_over()
    form = CodeForm()
    days = current_app.config["SECOND_FACTOR_REMEMBER_DAYS"]
    form.remember.label.text = _("Remember this device for %(days)d days", days=days)
    if form.validate_on_submit():
        try:
            how = second_factor.verify(
                db.session, held.user, form.code.data, now=datetime.now(UTC), via=held.realm
            )
        except second_factor.WrongCode as exc:
            if not _wrong_code(form, exc):
                return redirect(url_for("auth.login"))
        else:
            pending_sign_in.clear()
            response = sign_in.complete(held.user, realm=held.realm, target=held.target)
            if form.remember.data:
                pending_sign_in.remember(response, held.user)
            if how == "recovery":
                _recovery_code_used(held.user)
            return response
    recovery = request.args.get("recovery") == "1"
    if recovery:
        form.code.label.text = _("Recovery code")
    status = 422 if form.errors else 200
    return render_template(
        "auth/second_factor.html", form=form, user=held.user, recovery=recovery
    ), status


def _recovery_code_used(user: User) -> None:
    left = second_factor.recovery_codes_left(db.session, user)
    flash(
        _(
            "You signed in with a recovery code; %(left)d are left. New ones are in your "
            "settings, under Security.",
            left=left,
        ),
        "warning",
    )


def _confirm_enrolment(user: User, form) -> list[str]:
    # The secret being set up, confirmed by the form's first code; its recovery codes.
    return second_factor.confirm_enrolment(
        db.session, user, secret=_pending_secret(user), code=form.code.data, now=datetime.now(UTC)
    )


def sign_in_enrol_page():
    """A staff member the site requires to have a second factor sets one up, then is in."""
    held = pending_sign_in.current("enrol")
    if held is None:
        return _start_over()
    user = held.user
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            codes = _confirm_enrolment(user, form)
        except second_factor.WrongCode as exc:
            if not _wrong_code(form, exc):
                return redirect(url_for("auth.login"))
        else:
            pending_sign_in.clear()
            session.pop(ENROL_KEY, None)
            signed_in = sign_in.complete(user, realm=held.realm, target=held.target)
            page = make_response(
                render_template(
                    "settings/recovery_codes.html", codes=codes, next_url=held.target, user=user
                )
            )
            return _with_cookies_of(signed_in, page)
    status = 422 if form.errors else 200
    return render_template(
        "auth/second_factor_enrol.html", form=form, user=user, **_enrolment(user)
    ), status


def security_page(user: User, *, forms: dict | None = None, status: int = 200):
    """The staff member's second factor: its state and what they can do with it."""
    forms = forms or {}
    enrolled = second_factor.enrolled(user)
    policy = second_factor.policy(db.session)
    policy_form = forms.get("policy") or PolicyForm(formdata=None, policy=policy)
    return render_template(
        "settings/security.html",
        user=user,
        enrolled=enrolled,
        required=second_factor.required_for(db.session, user),
        codes_left=second_factor.recovery_codes_left(db.session, user) if enrolled else 0,
        codes_form=forms.get("codes") or ProofForm(prefix="codes", formdata=None),
        off_form=forms.get("off") or ProofForm(prefix="off", formdata=None),
        policy_form=policy_form if user.role == "admin" else None,
    ), status


def enrol_page(user: User):
    """Set up a second factor from the settings (or move it to a new device)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            codes = _confirm_enrolment(user, form)
        except second_factor.WrongCode as exc:
            mark_failed_login()
            _refuse_code(form, exc)
        else:
            session.pop(ENROL_KEY, None)
            flash(_("Your second factor is on."), "success")
            return render_template(
                "settings/recovery_codes.html",
                codes=codes,
                next_url=url_for("settings.security"),
                user=user,
            )
    status = 422 if form.errors else 200
    return render_template(
        "settings/second_factor_enrol.html",
        form=form,
        user=user,
        replacing=second_factor.enrolled(user),
        **_enrolment(user),
    ), status


def _proven(form: ProofForm, action):
    """Run a change that needs proof: its result, or REFUSED with the reason on the form (a
    wrong proof counts as a failed sign-in of the account)."""
    if not form.validate_on_submit():
        return REFUSED
    try:
        return action(code=form.code.data or "", password=form.password.data or "")
    except (second_factor.WrongCode, second_factor.WrongPassword) as exc:
        mark_failed_login()
        form.add_service_error(exc)
    except second_factor.StillRequired as exc:
        form.add_service_error(exc)
    return REFUSED


def new_recovery_codes(user: User):
    """New recovery codes (the old ones stop working), shown once."""
    form = ProofForm(prefix="codes")
    if not second_factor.enrolled(user):
        return redirect(url_for("settings.security"))
    codes = _proven(
        form,
        lambda **proof: second_factor.regenerate_recovery_codes(
            db.session, user, now=datetime.now(UTC), **proof
        ),
    )
    if codes is REFUSED:
        return security_page(user, forms={"codes": form}, status=422)
    return render_template(
        "settings/recovery_codes.html",
        codes=codes,
        next_url=url_for("settings.security"),
        user=user,
    )


def turn_off(user: User):
    """Turn the second factor off (not when the site requires it)."""
    form = ProofForm(prefix="off")
    if not second_factor.enrolled(user):
        return redirect(url_for("settings.security"))
    done = _proven(
        form,
        lambda **proof: second_factor.disable(db.session, user, now=datetime.now(UTC), **proof),
    )
    if done is REFUSED:
        return security_page(user, forms={"off": form}, status=422)
    flash(_("Your second factor is off. Signing in needs only your password now."), "success")
    return redirect(url_for("settings.security"))


def policy_page(user: User):
    """An admin changes who must use a second factor."""
    form = PolicyForm()
    if form.validate_on_submit():
        status = form.attempt(
            lambda: second_factor.set_policy(
                db.session, form.policy.data, actor=user, now=datetime.now(UTC)
            )
        )
        if status is None:
            flash(_("The second-factor rule is saved."), "success")
            return redirect(url_for("settings.security"))
    return security_page(user, forms={"policy": form}, status=422)
