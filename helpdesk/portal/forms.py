"""Portal forms: registration and its confirmation, new ticket, reply, chat."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from helpdesk.services.tickets import BODY_MAX, SUBJECT_MAX
from helpdesk.web.forms import (
    PRIORITY_LABELS,
    Form,
    choices,
    email_syntax,
    new_password_field,
    normalize_email,
    strip_text,
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


class ConfirmForm(Form):
    """Confirming a registration from its mailed link: the password chosen at registration."""

    password = PasswordField(
        _l("The password you chose"), validators=[DataRequired(), Length(max=1024)]
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
