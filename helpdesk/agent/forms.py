"""Agent forms: queue views (GET), reply or note, status and priority, take or reassign a
ticket, presence."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    SelectField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length

from helpdesk.models import ID_MAX
from helpdesk.services.tickets import BODY_MAX
from helpdesk.web.forms import PRIORITY_LABELS, STATUS_LABELS, Form, choices
from helpdesk.web.ticket_filters import TicketFilterForm

VIEW_LABELS = {
    "mine": _l("My tickets"),
    "waiting": _l("Waiting for me"),
    "all": _l("All"),
}
PRESENCE_LABELS = {
    "online": _l("Online"),
    "away": _l("Away"),
    "offline": _l("Offline"),
}


# The filters each queue view offers; the others do not apply to it and are ignored.
VIEW_FIELDS = {
    "mine": ("status", "priority", "client", "sort"),
    "waiting": ("priority", "client", "sort"),
    "all": ("status", "priority", "client", "assignee", "sort"),
}


class QueueFilterForm(TicketFilterForm):
    """The agent queue's filters plus its view (tab): mine, waiting for me, or all."""

    view = SelectField(
        _l("View"), choices=choices([("", _l("Default")), *VIEW_LABELS.items()]), default=""
    )

    def ignored(self, view: str) -> tuple[str, ...]:
        """The filters the view does not offer."""
        return tuple(f for f in ("status", "assignee") if f not in VIEW_FIELDS[view])

    def view_args(self, view: str, **overrides) -> dict:
        """Query arguments that keep the view and its valid filters (pagination, sorting)."""
        return {"view": view, **self.query_args(ignore=self.ignored(view)), **overrides}


class ReplyForm(Form):
    """A public reply to the customer, or an internal note for agents."""

    body = TextAreaField(_l("Message"), validators=[DataRequired(), Length(max=BODY_MAX)])
    internal = BooleanField(_l("Internal note (only agents see it)"))


class UpdateForm(Form):
    """Status and priority of a ticket."""

    status = SelectField(_l("Status"), choices=choices(STATUS_LABELS.items()))
    priority = SelectField(_l("Priority"), choices=choices(PRIORITY_LABELS.items()))


class TakeForm(Form):
    """Assign the ticket to the signed-in agent.

    `assignee` is the assignee the page showed ("" for nobody): if someone else took the
    ticket meanwhile, taking it is refused instead of silently taking it from them. `next`
    is where to return when taking fails (the queue view the button was on).
    """

    assignee = HiddenField()
    next = HiddenField()

    def seen_assignee(self) -> int | None:
        """The assignee id the page showed, or None."""
        value = (self.assignee.data or "").strip()
        return int(value) if value.isdigit() and int(value) <= ID_MAX else None


def optional_id(value):
    """Coerce: "" or None is None, digits are an id; anything else is refused."""
    if value in (None, ""):
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 10:
        return int(value)
    raise ValueError("not an id")


class ReassignForm(Form):
    """Give the ticket to an agent serving its client, or to nobody."""

    # Not limited to the offered choices: the ticket service says which agents may have it.
    assignee_id = SelectField(
        _l("Reassign to"), coerce=optional_id, validate_choice=False, choices=[]
    )

    def set_agents(self, options: list[tuple[str, str]]) -> None:
        """Offer "unassigned" and the given (id, label) agents."""
        self.assignee_id.choices = choices([("", _l("Nobody (back to the queue)")), *options])


class PresenceForm(Form):
    """The signed-in agent's presence: online, away or offline."""

    status = SelectField(
        _l("Status"), choices=choices(PRESENCE_LABELS.items()), validators=[DataRequired()]
    )
    next = HiddenField()
