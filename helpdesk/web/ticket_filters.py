"""Ticket list filters read from the query string (status, priority, client, text, sort, page),
shared by the agents' queue and the supervisors' ticket list."""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, or_, select
from wtforms import IntegerField, SearchField, SelectField
from wtforms.validators import Length, NumberRange, Optional

from helpdesk.models import ID_MAX, OPEN_STATUSES, PRIORITY_RANK, Client, Ticket, User
from helpdesk.models.types import likely
from helpdesk.web.forms import PRIORITY_LABELS, STATUS_LABELS, Form, choices, strip_text

SEARCH_MAX = 200


PAGE_MAX = 100_000


# "ACME-17" or "acme-eu-17": the client prefix, then the number.
REFERENCE_RE = re.compile(r"^([a-z0-9][a-z0-9_-]*)-(\d{1,10})$")


STATUS_FILTER_CHOICES = choices(
    [("active", _l("Open work")), ("all", _l("All statuses")), *STATUS_LABELS.items()]
)


SORT_LABELS = {
    "due": _l("Due time"),
    "priority": _l("Priority"),
    "oldest": _l("Oldest first"),
    "updated": _l("Latest activity"),
}


def like_pattern(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, with its own wildcards taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class TicketFilterForm(Form):
    """Ticket list filters read from the query string; a bad value is reported and ignored."""

    class Meta:
        csrf = False  # a GET form: filtering changes nothing

    status = SelectField(_l("Status"), choices=STATUS_FILTER_CHOICES, default="active")
    priority = SelectField(
        _l("Priority"),
        choices=choices([("", _l("Any priority")), *PRIORITY_LABELS.items()]),
        default="",
    )
    client = SelectField(_l("Client"), choices=choices([("", _l("All clients"))]), default="")
    assignee = SelectField(
        _l("Assignee"),
        choices=choices(
            [("any", _l("Anyone")), ("me", _l("Me")), ("unassigned", _l("Unassigned"))]
        ),
        default="any",
    )
    q = SearchField(
        _l("Search"),
        validators=[Optional(), Length(max=SEARCH_MAX)],
        filters=[strip_text],
        render_kw={"placeholder": _l("Subject or reference")},
    )
    sort = SelectField(_l("Sort by"), choices=choices(SORT_LABELS.items()), default="due")
    page = IntegerField(
        _l("Page"), validators=[Optional(), NumberRange(min=1, max=PAGE_MAX)], default=1
    )

    def set_clients(self, clients: list[Client]) -> None:
        """Offer the clients the viewer may see."""
        self.client.choices = choices(
            [("", _l("All clients"))] + [(c.slug, c.name) for c in clients]
        )

    def value(self, name: str):
        """The field's value if it was valid, else its default (bad input is ignored)."""
        field = self._fields.get(name)
        if field is None:
            return None
        if field.errors:
            return field.default
        return field.data if field.data not in (None, "") else field.default

    def apply(self, stmt: Select, *, viewer: User, ignore: tuple[str, ...] = ()) -> Select:
        """Narrow a ticket SELECT by the valid filters, except those named in `ignore`."""
        status = None if "status" in ignore else self.value("status")
        if status == "active":
            # Open work is most of a list: read it in the wanted order (see `likely`).
            stmt = stmt.where(likely(Ticket.status.in_(OPEN_STATUSES)))
        elif status in STATUS_LABELS:
            stmt = stmt.where(Ticket.status == status)
        priority = self.value("priority")
        if priority:
            stmt = stmt.where(Ticket.priority == priority)
        slug = self.value("client")
        if slug:
            stmt = stmt.where(Ticket.client_id.in_(select(Client.id).where(Client.slug == slug)))
        assignee = None if "assignee" in ignore else self.value("assignee")
        if assignee == "me":
            stmt = stmt.where(Ticket.assignee_id == viewer.id)
        elif assignee == "unassigned":
            stmt = stmt.where(Ticket.assignee_id.is_(None))
        text = self.value("q")
        if text:
            matches = [Ticket.subject.ilike(like_pattern(text), escape="\\")]
            reference = REFERENCE_RE.match(text.lower())
            if reference and int(reference.group(2)) <= ID_MAX:
                prefix, number = reference.groups()
                matches.append(
                    Ticket.client_id.in_(select(Client.id).where(Client.slug == prefix))
                    & (Ticket.number == int(number))
                )
            stmt = stmt.where(or_(*matches))
        return stmt

    def ordering(self) -> list:
        """ORDER BY terms for the chosen sort; due time puts tickets without a live due last."""
        sort = self.value("sort")
        if sort == "priority":
            return [PRIORITY_RANK, Ticket.created_at, Ticket.id]
        if sort == "oldest":
            return [Ticket.created_at, Ticket.id]
        if sort == "updated":
            return [Ticket.updated_at.desc(), Ticket.id.desc()]
        return [Ticket.next_due_at.nulls_last(), PRIORITY_RANK, Ticket.created_at, Ticket.id]

    def query_args(self, *, ignore: tuple[str, ...] = (), **overrides) -> dict:
        """The valid, non-default filters as query arguments (for pagination links)."""
        args = {}
        for name in ("status", "priority", "client", "assignee", "q", "sort"):
            if name not in self._fields or name in ignore:
                continue
            value = self.value(name)
            if value not in (None, "") and value != self._fields[name].default:
                args[name] = value
        args.update(overrides)
        return args
