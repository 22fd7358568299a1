"""A client's intake tokens: issue (the secret is shown once), list, revoke, note their use.

Issuing or revoking one changes the world version (services.world_cache), so every server
process stops accepting a revoked token within WORLD_CACHE_SECONDS, this one at once.
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from helpdesk.domain.text import without_bidi_controls
from helpdesk.models import INTAKE_TOKEN_NAME_MAX, Client, IntakeToken, User
from helpdesk.services import audit, world_cache
from helpdesk.services.auth import token_digest
from helpdesk.services.errors import NotFound, ValidationFailed

PREFIX = "hdi_"  # noqa: S105 (a prefix, not a secret)
USE_NOTE_SECONDS = 60  # last use is written at most this often per token and process
LIVE_MAX = 20  # live tokens per client

NOTED_MAX = 10_000
_noted: dict[str, float] = {}
_noted_lock = threading.Lock()


def tokens_of(session: Session, client: Client) -> list[IntakeToken]:
    """The client's issued tokens, live first, newest first."""
    return list(
        session.scalars(
            select(IntakeToken)
            .where(IntakeToken.client_id == client.id)
            .order_by(IntakeToken.revoked_at.is_not(None), IntakeToken.id.desc())
            # Last use is written by Core UPDATE: refresh rows this session already holds.
            .execution_options(populate_existing=True)
        )
    )


def clean_name(value: object) -> str:
    """A token's name as stored; ValidationFailed when missing or too long."""
    name = without_bidi_controls(value).strip() if isinstance(value, str) else ""
    if not name:
        raise ValidationFailed(
            _l("The token needs a name."),
            fields={"name": _l("Name the integration that uses it.")},
        )
    if len(name) > INTAKE_TOKEN_NAME_MAX:
        raise ValidationFailed(
            _l("The token needs a name."),
            fields={"name": _l("Use at most %(max)s characters.", max=INTAKE_TOKEN_NAME_MAX)},
        )
    return name


def issue(
    session: Session, client: Client, *, name: str, actor: User, now: datetime
) -> tuple[IntakeToken, str]:
    """A new token for the client (committed, audited); the secret is returned only here."""
    name = clean_name(name)
    live = session.scalars(
        select(IntakeToken.id).where(
            IntakeToken.client_id == client.id, IntakeToken.revoked_at.is_(None)
        )
    ).all()
    if len(live) >= LIVE_MAX:
        raise ValidationFailed(
            _l("This client has %(max)s live intake tokens; revoke one first.", max=LIVE_MAX),
            fields={"name": _l("Too many live tokens.")},
        )
    secret = PREFIX + secrets.token_urlsafe(32)
    row = IntakeToken(
        client=client,
        name=name,
        token_hash=token_digest(secret),
        created_at=now,
        created_by_id=actor.id,
    )
    session.add(row)
    session.flush()
    audit.record_request(
        session,
        "token_issued",
        actor=actor,
        client_id=client.id,
        now=now,
        data={"realm": "intake", "token_id": row.id, "name": name, "client": client.slug},
    )
    session.commit()
    return row, secret


def revoke(session: Session, client: Client, token_id: int, *, actor: User, now: datetime) -> bool:
    """Revoke one of the client's tokens (committed, audited); False if it already was.

    Another client's token (or none) is NotFound.
    """
    row = session.get(IntakeToken, token_id)
    if row is None or row.client_id != client.id:
        raise NotFound(_l("No such intake token."))
    if row.revoked_at is not None:
        return False
    row.revoked_at = now
    audit.record_request(
        session,
        "token_revoked",
        actor=actor,
        client_id=client.id,
        now=now,
        data={"realm": "intake", "token_id": row.id, "name": row.name, "client": client.slug},
    )
    session.commit()
    return True


def note_use(session: Session, token: str, *, now: datetime) -> None:
    """Record that an issued token was used (in the caller's transaction), at most once a
    minute per token and process: by Core UPDATE, so the world version stays as it is."""
    digest = token_digest(token)
    token_id = world_cache.intake_token_id(session, digest)
    if token_id is None:
        return
    tick = time.monotonic()
    with _noted_lock:
        if tick - _noted.get(digest, float("-inf")) < USE_NOTE_SECONDS:
            return
        if len(_noted) > NOTED_MAX:  # revoked tokens' entries go now and then
            _noted.clear()
        _noted[digest] = tick
    table = IntakeToken.__table__
    session.connection().execute(
        update(table)
        .where(table.c.id == token_id)
        .where(or_(table.c.last_used_at.is_(None), table.c.last_used_at < now))
        .values(last_used_at=now)
    )
