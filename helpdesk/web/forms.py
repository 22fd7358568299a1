"""The form base, field helpers, labels every audience's pages show, and the account forms."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from helpdesk.extensions import db
from helpdesk.services.addresses import BadAddress
from helpdesk.services.addresses import normalize_email as checked_email
from helpdesk.services.errors import ServiceError

PASSWORD_MIN = 8
PASSWORD_MAX = 1024  # services.auth.authenticate refuses longer ones

# Shown by every audience's pages (badges, selects).
STATUS_LABELS = {
    "new": _l("New"),
    "open": _l("Open"),
    "pending": _l("Pending"),
    "solved": _l("Solved"),
    "closed": _l("Closed"),
}
PRIORITY_LABELS = {
    "low": _l("Low"),
    "normal": _l("Normal"),
    "high": _l("High"),
    "urgent": _l("Urgent"),
}


def choices(pairs) -> list[SelectChoice]:
    """Select options from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def strip_text(value):
    """Filter: trim surrounding white space from text input."""
    return value.strip() if isinstance(value, str) else value


def normalize_email(value):
    """Filter: e-mail addresses are compared trimmed and lower-case."""
    return value.strip().lower() if isinstance(value, str) else value


def email_syntax(_form, field) -> None:
    """Validator: an e-mail address with valid syntax (no DNS lookup; `.test` allowed)."""
    if not field.data:
        return
    try:
        checked_email(field.data)
    except BadAddress as exc:
        raise ValidationError(_l("Enter a valid e-mail address.")) from exc


class Form(FlaskForm):
    """A Flask-WTF form that can show a service's refusal as form errors."""

    def add_service_error(self, exc: ServiceError) -> int:
        """Attach the error's field messages (or its message) to the form; return its status."""
        placed = False
        for name, message in exc.fields.items():
            field = self._fields.get(name)
            if field is not None and name != "csrf_token":
                field.errors = [*field.errors, message]
                placed = True
        if not placed:
            self.form_errors.append(exc.message)
        return exc.status

    def attempt(self, action: Callable[[], object]) -> int | None:
        """Run the service call a submitted form asks for; None if it was done, else the
        status to re-render with (its refusal shown as form errors, nothing half-stored)."""
        try:
            action()
        except ServiceError as exc:
            db.session.rollback()
            return self.add_service_error(exc)
        return None


def new_password_field(label) -> PasswordField:
    """A field for choosing a password: the length rules every audience shares."""
    return PasswordField(
        label,
        validators=[
            DataRequired(),
            Length(
                min=PASSWORD_MIN,
                max=PASSWORD_MAX,
                message=_l("Use at least %(min)d and at most %(max)d characters."),
            ),
        ],
        description=_l("At least %(count)d characters.", count=PASSWORD_MIN),
    )


class PasswordLinkForm(Form):
    """Ask for a link that sets a password (forgotten, or never had one)."""

    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254), email_syntax],
        filters=[normalize_email],
    )


class NewPasswordForm(Form):
    """A new password, typed twice."""

    password = new_password_field(_l("New password"))
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
    )


class ChangePasswordForm(NewPasswordForm):
    """A signed-in user's new password, with the current one as proof."""

    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1024)])
