"""Supervisor forms: the ticket list filters (the agents' ones, without assignee)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from helpdesk.agent.forms import STATUS_FILTER_CHOICES, TicketFilterForm


class SupervisorFilterForm(TicketFilterForm):
    """Status, priority, client (admins pick one) and text; every status by default."""

    status = SelectField(_l("Status"), choices=STATUS_FILTER_CHOICES, default="all")
    assignee = None  # supervisors review a client's tickets, not their own work
    sort = None  # the overview always shows the latest activity first
