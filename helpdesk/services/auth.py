"""Authentication: passwords per realm, hashed API tokens, client intake tokens."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash

from helpdesk.domain.text import without_bidi_controls
from helpdesk.models import STAFF_REALM, ApiToken, Client, SocketConnection, User
from helpdesk.services import audit, sessions, world_cache

TOKEN_LIFETIME = timedelta(days=30)
TOKEN_NAME_MAX = 80
TOKENS_PER_USER = 20  # issuing one more revokes the oldest
# Checked when no user matches so a failed login costs the same either way.
_DUMMY_HASH = "scrypt:32768:8:1$abcdefghijklmnop$" + "0" * 128


def token_digest(token: str) -> str:
    """The stored form of a token: SHA-256 hex (tokens are long random strings)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def authenticate(session: Session, *, email: str, password: str, realm: int | None) -> User | None:
    """The active user with these credentials in the realm (None: any realm), else None."""
    email = (email or "").strip().lower()
    if not email or not password or len(email) > 254 or len(password) > 1024:
        check_password_hash(_DUMMY_HASH, "x")
        return None
    stmt = select(User).where(User.email == email, User.active.is_(True))
    if realm is not None:
        stmt = stmt.where(User.realm == realm)
    users = list(session.scalars(stmt))
    matches = [u for u in users if u.check_password(password)]
    if not any(u.password_hash for u in users):
        # No hash was checked (no such account, or one without a password): check one
        # anyway, so a failure costs one hash whether or not the account exists.
        check_password_hash(_DUMMY_HASH, password)
    if not matches:
        return None
    # One person may be a customer of several clients; staff win, else the only match.
    staff = [u for u in matches if u.realm == STAFF_REALM]
    if staff:
        return staff[0]
    return matches[0] if len(matches) == 1 else None


def issue_token(session: Session, user: User, *, now: datetime, name: str | None = None) -> str:
    """Create a user API token (optionally named), audited; only its digest is stored."""
    token = "hdu_" + secrets.token_urlsafe(32)
    audit.record_request(session, "token_issued", actor=user, now=now, data={"realm": "api"})
    session.add(
        ApiToken(
            user=user,
            token_hash=token_digest(token),
            created_at=now,
            expires_at=now + TOKEN_LIFETIME,
            password_mark=user.password_mark(),
            name=without_bidi_controls(name or "").strip()[:TOKEN_NAME_MAX] or None,
        )
    )
    session.flush()
    # At most TOKENS_PER_USER at once: the oldest beyond them (and any expired) are revoked.
    kept = select(ApiToken.id).where(ApiToken.user_id == user.id, ApiToken.expires_at > now)
    kept = kept.order_by(ApiToken.created_at.desc(), ApiToken.id.desc()).limit(TOKENS_PER_USER)
    dropped = (ApiToken.user_id == user.id) & ApiToken.id.not_in(kept.scalar_subquery())
    # Their sockets are found before the rows go (the socket rows go with them).
    sids = list(
        session.scalars(
            select(SocketConnection.sid)
            .join(ApiToken, ApiToken.id == SocketConnection.token_id)
            .where(dropped)
        )
    )
    session.execute(
        delete(ApiToken).where(dropped), execution_options={"synchronize_session": False}
    )
    session.commit()
    sessions.disconnect(sids)
    return token


def token_for(session: Session, token: str, *, now: datetime) -> ApiToken | None:
    """The live API token row of an active user (its `user` loaded), else None."""
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(token)))
    if row is None or row.expires_at <= now or not row.user.active:
        return None
    # A password changed or set since (settings, a mailed link, provisioning) ends the token.
    if row.password_mark is None or not hmac.compare_digest(
        row.password_mark, row.user.password_mark()
    ):
        return None
    return row


def user_for_token(session: Session, token: str, *, now: datetime) -> User | None:
    """The active user a live API token belongs to."""
    row = token_for(session, token, now=now)
    return row.user if row is not None else None


def client_for_intake_token(session: Session, token: str) -> Client | None:
    """The client whose intake token this is (cached per process: services.world_cache)."""
    return world_cache.client_by_intake_token(session, token_digest(token))
