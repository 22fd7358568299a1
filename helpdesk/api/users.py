"""API users: an admin deactivates or reactivates a person (PATCH /users/{id})."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import jsonify
from flask_babel import gettext as _

from helpdesk.api import bp
from helpdesk.api.openapi import operation
from helpdesk.api.parsing import parse_body
from helpdesk.api.principal import current_user
from helpdesk.extensions import db
from helpdesk.models import ID_MAX, User
from helpdesk.schemas import UserAccount, UserUpdate
from helpdesk.serializers import iso
from helpdesk.services import user_lifecycle
from helpdesk.services.errors import NotFound

_ID = re.compile(r"[1-9][0-9]{0,9}")


@bp.patch("/users/<user_id>")
@operation(
    summary="Deactivate or reactivate a user (admins).",
    description=(
        "`active: false` signs the user out everywhere at once (sessions, remember-me, API "
        "tokens, open sockets on every server) and hands off an agent's open tickets; the "
        "person can no longer sign in and their history keeps their name. `active: true` "
        "lets them sign in again. The same value again changes nothing. 409 `own_account` "
        "for yourself."
    ),
    body=UserUpdate,
    responses={200: UserAccount},
    errors=(403, 404, 409),
)
def patch_user(user_id: str):
    """Set a user's active flag."""
    admin = current_user("admin")
    data = parse_body(UserUpdate)
    user = None
    if _ID.fullmatch(user_id) and int(user_id) <= ID_MAX:
        user = db.session.get(User, int(user_id))
    if user is None:
        raise NotFound(_("No such user."))
    change = user_lifecycle.set_active(
        db.session, user, data.active, actor=admin, now=datetime.now(UTC)
    )
    return jsonify(
        id=user.id,
        email=user.email,
        name=user.name,
        role=user.role,
        client=user.client.slug if user.client is not None else None,
        active=bool(user.active),
        last_sign_in_at=iso(user_lifecycle.last_sign_in(db.session, user)),
        sessions_ended=change.sessions,
        tokens_revoked=change.tokens,
        sockets_closed=change.sockets,
        handed_off=change.handed_off,
    )
