"""Sign-in sessions, API tokens and the sockets opened under them: started, checked, ended.

A browser's signed cookie carries a random key; only its digest is stored in a UserSession.
Every request and socket event checks that the record (or the socket's API token) is still
live, so ending one works at once on every process. Ending also disconnects the sockets
opened under it: with a message queue, python-socketio forwards `disconnect(sid)` to the
process that holds the sid; without one every socket is in this process.

This module is the one place that ends sessions, tokens and sockets: sign-out, "sign out
everywhere else", a password changed or set from a link, a deactivation or a change of
permissions, a revoked token.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from helpdesk.extensions import socketio
from helpdesk.models import ApiToken, SocketConnection, User, UserSession
from helpdesk.services import audit
from helpdesk.services.errors import NotFound

log = logging.getLogger(__name__)

SEEN_EVERY = timedelta(minutes=1)  # last_seen_at / last_used_at are written at most this often
USER_AGENT_MAX = 200
IP_MAX = 45
REASON_MAX = 32
SESSIONS_LISTED = 50  # the settings page shows the most recent live sessions


def key_digest(key: str) -> str:
    """The stored form of a session key: SHA-256 hex (keys are long random strings)."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class Ended:
    """What an ending staged: the sockets to disconnect once it is committed."""

    sids: list[str] = field(default_factory=list)
    sessions: int = 0
    tokens: int = 0


# -- sessions ------------------------------------------------------------------------------------


def start(
    session: Session,
    user: User,
    *,
    realm: str,
    user_agent: str | None,
    ip: str | None,
    now: datetime,
    replaces: str | None = None,
) -> tuple[str, UserSession]:
    """A new session record for a sign-in, and its key (keep it in the signed cookie).

    `replaces` is the key this browser held before, if any: that record ends now, so a
    browser holds one live session at a time. The caller's sign-in audit commits it.
    """
    if replaces:
        _end_where(session, UserSession.key_hash == key_digest(replaces), "replaced", now)
    key = secrets.token_urlsafe(32)
    record = UserSession(
        key_hash=key_digest(key),
        user_id=user.id,
        realm=realm,
        user_agent=(user_agent or None) and user_agent[:USER_AGENT_MAX],
        ip=(ip or None) and ip[:IP_MAX],
        created_at=now,
        last_seen_at=now,
    )
    session.add(record)
    session.flush()
    return key, record


def live(session: Session, key: object, *, user_id: int) -> tuple[UserSession, User] | None:
    """The live session record of this key and its user, in one indexed lookup; else None."""
    if not isinstance(key, str) or not key or len(key) > 100:
        return None
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(
            UserSession.key_hash == key_digest(key),
            UserSession.ended_at.is_(None),
            UserSession.user_id == user_id,
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


def seen(session: Session, record: UserSession, *, now: datetime) -> None:
    """Note that the session was used; written (and committed) at most once a minute."""
    if now - record.last_seen_at < SEEN_EVERY:
        return
    session.execute(
        update(UserSession)
        .where(UserSession.id == record.id, UserSession.last_seen_at < now - SEEN_EVERY)
        .values(last_seen_at=now),
        execution_options={"synchronize_session": False},
    )
    session.commit()
    set_committed_value(record, "last_seen_at", now)  # the session keeps objects after commit


def sessions_of(session: Session, user: User) -> list[UserSession]:
    """The user's live sessions, most recently seen first."""
    stmt = (
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
        .limit(SESSIONS_LISTED)
    )
    return list(session.scalars(stmt))


def end_by_key(
    session: Session, key: object, *, user: User, reason: str, now: datetime
) -> list[int]:
    """Sign-out: end the user's session of this key, not committed (the caller's audit of
    the sign-out commits it, then calls disconnect_sessions with what this returns)."""
    if not isinstance(key, str) or not key:
        return []
    where = (UserSession.key_hash == key_digest(key)) & (UserSession.user_id == user.id)
    return _end_where(session, where, reason, now)


def disconnect_sessions(session: Session, session_ids: list[int]) -> None:
    """After the commit that ended these sessions: disconnect the sockets opened under them."""
    if session_ids:
        disconnect(_sids(session, SocketConnection.session_id.in_(session_ids)))


def end(session: Session, user: User, session_id: int, *, reason: str, now: datetime) -> None:
    """End one of the user's live sessions (signed out there); another's answers NotFound."""
    ids = _end_where(
        session, (UserSession.id == session_id) & (UserSession.user_id == user.id), reason, now
    )
    if not ids:
        session.rollback()
        raise NotFound(_l("Not found."))
    audit.record_request(
        session, "sessions_ended", actor=user, now=now, data={"sessions": 1, "reason": reason}
    )
    session.commit()
    disconnect_sessions(session, ids)


def end_all(
    session: Session,
    user: User,
    *,
    reason: str,
    now: datetime,
    actor: User | None,
    keep: int | None = None,
) -> Ended:
    """Sign the user out everywhere at once: sessions (but `keep`), API tokens and sockets.

    For "sign out everywhere else", a deactivation or a change of permissions (`actor`: who
    did it, None for provisioning). Audited and committed; then the sockets are disconnected.
    """
    ended = stage_end_all(session, user, reason=reason, now=now, keep=keep, actor=actor)
    session.commit()
    finish(session, ended, user=user, keep=keep)
    return ended


def stage_end_all(
    session: Session,
    user: User,
    *,
    reason: str,
    now: datetime,
    actor: User | None,
    keep: int | None = None,
) -> Ended:
    """end_all's changes and audit event, not committed: for a service that commits once
    (a password change, provisioning). After its commit it calls finish()."""
    where = UserSession.user_id == user.id
    if keep is not None:
        where = where & (UserSession.id != keep)
    ended = Ended(sessions=len(_end_where(session, where, reason, now)))
    ended.tokens = _revoke_where(session, ApiToken.user_id == user.id, now)
    if not ended.sessions and not ended.tokens:
        return ended  # nothing was live: nothing to audit (its sockets are still looked for)
    audit.record_request(
        session,
        "sessions_ended",
        actor=actor,
        client_id=user.client_id,
        now=now,
        data={
            "user_id": user.id,
            "sessions": ended.sessions,
            "tokens": ended.tokens,
            "reason": reason[:REASON_MAX],
        },
    )
    return ended


def finish(session: Session, ended: Ended, *, user: User, keep: int | None = None) -> None:
    """After the commit of stage_end_all: disconnect the user's sockets (but `keep`'s).

    The sockets are read after the commit: one that connected meanwhile either was
    recorded before (and is found here) or sees the ended record in its own check.
    """
    where = SocketConnection.user_id == user.id
    if keep is not None:
        where = where & (
            SocketConnection.session_id.is_(None) | (SocketConnection.session_id != keep)
        )
    ended.sids = _sids(session, where)
    disconnect(ended.sids)


# -- tokens --------------------------------------------------------------------------------------


def tokens_of(session: Session, user: User, *, now: datetime) -> list[ApiToken]:
    """The user's live API tokens, newest first."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.expires_at > now)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return list(session.scalars(stmt))


def revoke_token(session: Session, user: User, token_id: int, *, now: datetime) -> None:
    """Revoke one of the user's live tokens at once, and disconnect its sockets; audited.

    Another user's token (or an unknown or dead one) answers NotFound.
    """
    where = (ApiToken.id == token_id) & (ApiToken.user_id == user.id)
    if not _revoke_where(session, where, now):
        session.rollback()
        raise NotFound(_l("Not found."))
    audit.record_request(session, "token_revoked", actor=user, now=now, data={"token": token_id})
    session.commit()
    disconnect(_sids(session, SocketConnection.token_id == token_id))


def token_used(session: Session, token: ApiToken, *, now: datetime) -> None:
    """Note that the token was used; written (and committed) at most once a minute."""
    if token.last_used_at is not None and now - token.last_used_at < SEEN_EVERY:
        return
    token.last_used_at = now
    session.commit()


# -- sockets -------------------------------------------------------------------------------------


def socket_opened(
    session: Session,
    sid: str,
    *,
    user_id: int,
    now: datetime,
    session_id: int | None = None,
    token_id: int | None = None,
) -> None:
    """Record an open socket and what it was opened with (committed)."""
    session.add(
        SocketConnection(
            sid=sid, user_id=user_id, session_id=session_id, token_id=token_id, connected_at=now
        )
    )
    session.commit()


def socket_closed(session: Session, sid: str) -> None:
    """Forget a closed socket (committed)."""
    session.execute(delete(SocketConnection).where(SocketConnection.sid == sid))
    session.commit()


def grant_live(
    session: Session, *, session_id: int | None, token_id: int | None, now: datetime
) -> bool:
    """Whether what a socket was opened with (a session record or a token) is still live."""
    if session_id is not None:
        stmt = select(UserSession.id).where(
            UserSession.id == session_id, UserSession.ended_at.is_(None)
        )
    elif token_id is not None:
        stmt = select(ApiToken.id).where(ApiToken.id == token_id, ApiToken.expires_at > now)
    else:
        return False
    return session.scalar(stmt) is not None


def disconnect(sids: Iterable[str]) -> None:
    """Disconnect sockets wherever they are (after the commit that ended their grant).

    With the message queue, a sid of another process is forwarded to it; a failure to
    reach it is logged (its next event is refused by the liveness check anyway).
    """
    for sid in sids:
        try:
            socketio.server.disconnect(sid, namespace="/")
        except Exception:
            log.exception("could not disconnect socket %s", sid)


# -- internals -----------------------------------------------------------------------------------


def _end_where(session: Session, where, reason: str, now: datetime) -> list[int]:
    ids = list(session.scalars(select(UserSession.id).where(where, UserSession.ended_at.is_(None))))
    if ids:
        session.execute(
            update(UserSession)
            .where(UserSession.id.in_(ids), UserSession.ended_at.is_(None))
            .values(ended_at=now, end_reason=reason[:REASON_MAX]),
            execution_options={"synchronize_session": False},
        )
    return ids


def _revoke_where(session: Session, where, now: datetime) -> int:
    # A revoked token expires now: the row stays until the next issue clears expired ones,
    # so its sockets can still be found and disconnected.
    result = session.execute(
        update(ApiToken).where(where, ApiToken.expires_at > now).values(expires_at=now),
        execution_options={"synchronize_session": False},
    )
    return result.rowcount or 0


def _sids(session: Session, where) -> list[str]:
    sids = list(session.scalars(select(SocketConnection.sid).where(where)))
    if sids:
        session.execute(delete(SocketConnection).where(SocketConnection.sid.in_(sids)))
        session.commit()
    return sids
