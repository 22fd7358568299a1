"""Objects a page asks for by id, scoped to the viewer: another client's answers 404 as if it
did not exist."""

from __future__ import annotations

from flask import abort

from helpdesk.extensions import db
from helpdesk.models import Ticket, User
from helpdesk.services.scope import get_visible_ticket


def visible_ticket_or_404(user: User, ticket_id: int) -> Ticket:
    """The ticket if `user` may see it; 404 otherwise."""
    ticket = get_visible_ticket(db.session, user, ticket_id)
    if ticket is None:
        abort(404)
    return ticket
