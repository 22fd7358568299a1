"""Portal forms (registration, new ticket, reply, chat), the form base and the labels pages show."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from helpdesk.services.addresses import BadAddress
from helpdesk.services.addresses import normalize_email as checked_email
from helpdesk.services.errors import ServiceError
from helpdesk.services.tickets import BODY_MAX, SUBJECT_MAX

ID_MAX = 2**31 - 1  # ids and numbers are INTEGER columns; larger ones match nothing
PASSWORD_MIN = 8
PASSWORD_MAX = 1024  # services.auth.authenticate refuses longer ones

# Shown by every audience's pages (badges, selects); staff forms import them from here.
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


class RegisterForm(Form):
    """A new customer account on one client's portal."""

    name = StringField(
        _l("Your name"), validators=[DataRequired(), Length(max=120)], filters=[strip_text]
    )
    email = EmailField(
        _l("E-mail"),
        validators=[DataRequired(), Length(max=254), email_syntax],
        filters=[normalize_email],
    )
    password = new_password_field(_l("Password"))


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


class NewTicketForm(Form):
    """What a customer files; `category` choices are set per client by the view."""

    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(), Length(max=SUBJECT_MAX)],
        filters=[strip_text],
        description=_l("A short summary, for example “VPN drops every few minutes”."),
    )
    body = TextAreaField(
        _l("Describe the problem"),
        validators=[DataRequired(), Length(max=BODY_MAX)],
        description=_l("What happened, what you expected, and anything you already tried."),
    )
    priority = SelectField(
        _l("Priority"), choices=choices(PRIORITY_LABELS.items()), default="normal"
    )
    category = SelectField(_l("Category"), choices=[], default="")

    def set_categories(self, skills: list[str]) -> None:
        """Offer the given skills, plus an empty choice for "not sure"."""
        self.category.choices = choices(
            [("", _l("Not sure"))]
            + [(skill, skill.replace("-", " ").replace("_", " ").capitalize()) for skill in skills]
        )


class ReplyForm(Form):
    """A customer's reply on their ticket."""

    body = TextAreaField(_l("Your reply"), validators=[DataRequired(), Length(max=BODY_MAX)])


CHAT_SUBJECT_MAX = 80  # a chat's subject is its first line, cut to fit a queue row


def chat_subject(body: str) -> str:
    """The subject of a chat: the first non-blank line of its first message, shortened."""
    line = next((ln.strip() for ln in (body or "").splitlines() if ln.strip()), "")
    if len(line) <= CHAT_SUBJECT_MAX:
        return line
    cut = line[: CHAT_SUBJECT_MAX - 1]
    # Cut at a word boundary when one is near the end, so no word is left half-shown.
    space = cut.rfind(" ")
    if space >= CHAT_SUBJECT_MAX // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


class ChatStartForm(Form):
    """The first message of a live chat; its first line becomes the ticket's subject."""

    body = TextAreaField(
        _l("How can we help?"),
        validators=[DataRequired(), Length(max=BODY_MAX)],
        description=_l("Your first message. An agent sees it as soon as the chat starts."),
    )


class ChangePasswordForm(NewPasswordForm):
    """A signed-in user's new password, with the current one as proof."""

    current = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)]
    )
