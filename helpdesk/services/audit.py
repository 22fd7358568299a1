"""Recording and reading audit events. Recording only adds to the session: the caller's
commit stores the event together with the change it describes (or neither)."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from helpdesk.models import AUDIT_KINDS, AuditEvent, User
from helpdesk.models.audit import IP_MAX, USER_AGENT_MAX

EMAIL_MAX = 254


def record(
    session: Session,
    kind: str,
    *,
    now: datetime,
    actor: User | None = None,
    client_id: int | None = None,
    data: dict | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
) -> AuditEvent:
    """Add one event to the session (not committed)."""
    if kind not in AUDIT_KINDS:
        raise ValueError(f"unknown audit kind {kind!r}")
    event = AuditEvent(
        kind=kind,
        actor_id=actor.id if actor is not None else None,
        client_id=client_id if client_id is not None else _client_of(actor),
        ip=(ip or None) and ip[:IP_MAX],
        user_agent=(user_agent or None) and user_agent[:USER_AGENT_MAX],
        data=data or {},
        at=now,
    )
    session.add(event)
    return event


def _client_of(actor: User | None) -> int | None:
    return actor.client_id if actor is not None else None


def record_request(session: Session, kind: str, **kw) -> AuditEvent:
    """Record an event of the current HTTP request: its address, user agent and time."""
    if has_request_context():
        kw.setdefault("ip", request.remote_addr)
        kw.setdefault("user_agent", request.user_agent.string)
    kw.setdefault("now", datetime.now(UTC))
    return record(session, kind, **kw)


def failed_login(session: Session, *, email: str | None, realm: str, client_id=None) -> None:
    """A failed sign-in: the e-mail tried, never the password, and no hint whether it exists."""
    record_request(
        session,
        "login_failed",
        client_id=client_id,
        data={"email": (email or "").strip()[:EMAIL_MAX], "realm": realm},
    )


def events(
    session: Session,
    *,
    since: datetime | None = None,
    kind: str | None = None,
    client_id: int | None = None,
    limit: int = 100,
) -> list[AuditEvent]:
    """The latest events first, optionally since a time, of one kind, about one client."""
    stmt = select(AuditEvent)
    if since is not None:
        stmt = stmt.where(AuditEvent.at >= since)
    if kind is not None:
        stmt = stmt.where(AuditEvent.kind == kind)
    if client_id is not None:
        stmt = stmt.where(AuditEvent.client_id == client_id)
    stmt = stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def exported(session: Session, *, actor: User, client_id: int, what: str, **data) -> None:
    """A download of a client's data (CSV or JSON Lines) by a person: recorded and committed
    before the first byte is streamed."""
    record_request(session, "export", actor=actor, client_id=client_id, data={"what": what, **data})
    session.commit()
