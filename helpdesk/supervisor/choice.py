"""Which client a supervisor page shows: the supervisor's own; for admins, the one they pick."""

from __future__ import annotations

from flask import abort
from flask_login import current_user

from helpdesk.extensions import db
from helpdesk.models import Client
from helpdesk.services.scope import visible_clients


def chosen_client(slug: str | None) -> tuple[Client | None, list[Client]]:
    """(the client asked for by `slug` or None for "all", the clients the viewer may pick).

    A supervisor has their own client only: another slug is 404. An admin may pick any
    client, or none (every client); an unknown slug is 404.
    """
    if current_user.role == "supervisor":
        if slug is not None and slug != current_user.client.slug:
            abort(404)
        return current_user.client, [current_user.client]
    clients = visible_clients(db.session, current_user)
    client = next((c for c in clients if c.slug == slug), None) if slug else None
    if slug and client is None:
        abort(404)
    return client, clients
