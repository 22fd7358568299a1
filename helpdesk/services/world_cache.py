"""Read-mostly data kept per process: clients by intake token, SLA targets with their
calendars, sites.

Filing a ticket read them on every request; they change when an operator provisions or
edits the world. Every change of a Client, SlaTarget, Calendar, Site or IntakeToken through
the ORM (a provisioning run, the console, a test's factory) writes a new world version in the
same transaction (`site_settings.world_version`, a flush hook below). Each process reads that
version at most every WORLD_CACHE_SECONDS (0: at every use) and drops its whole cache when
it changed, so another process's change is seen within that time, and this process's own
at once. WORLD_CACHE_SECONDS < 0 switches the cache off.

Cached rows are detached ORM objects; a request gets its own copy through
`session.merge(row, load=False)`, which reads nothing.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, joinedload

from helpdesk.models import Calendar, Client, IntakeToken, Site, SiteSetting, SlaTarget

VERSION_KEY = "world_version"
WORLD_TYPES = (Client, SlaTarget, Calendar, Site, IntakeToken)
_MISSING = object()
_NONE = object()  # a cached "there is none"


class _Cache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.version: Any = _MISSING
        self.checked = float("-inf")
        self.entries: dict[tuple, Any] = {}

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()
            self.version = _MISSING
            self.checked = float("-inf")


_cache = _Cache()


def clear() -> None:
    """Forget everything this process cached (the next use reads the version again)."""
    _cache.clear()


def _seconds() -> float:
    return float(current_app.config.get("WORLD_CACHE_SECONDS", 1.0))


def _current(session: Session, seconds: float) -> None:
    # Drop the cache when the stored world version changed (read at most every `seconds`).
    now = time.monotonic()
    if now - _cache.checked < seconds:
        return
    version = session.scalar(select(SiteSetting.value).where(SiteSetting.key == VERSION_KEY))
    with _cache.lock:
        if version != _cache.version:
            _cache.entries.clear()
            _cache.version = version
        _cache.checked = now


def _cached(session: Session, key: tuple, load: Callable[[Session], Any]):
    # An ORM row, loaded apart from the request's session, so the cache holds detached rows
    # that nothing expires; the request gets its own copy through merge, which reads nothing.
    def apart(session: Session):
        with Session(bind=session.get_bind(), expire_on_commit=False) as other:
            row = load(other)
        return _NONE if row is None else row

    entry = _cached_value(session, key, apart)
    if entry is _NONE:
        return None
    return session.merge(entry, load=False)


def _cached_value(session: Session, key: tuple, load: Callable[[Session], Any]):
    # A value kept as it is (an id, or a detached row for _cached).
    seconds = _seconds()
    if seconds < 0:
        return load(session)
    _current(session, seconds)
    entry = _cache.entries.get(key, _MISSING)
    if entry is _MISSING:
        version = _cache.version
        entry = load(session)
        with _cache.lock:
            if _cache.version is version:
                _cache.entries[key] = entry
    return entry


def client_by_intake_token(session: Session, digest: str) -> Client | None:
    """The client whose intake token has this digest: the one provisioning set, or one the
    console issued and nobody revoked."""
    return _cached(session, ("intake", digest), lambda s: _intake_client(s, digest))


def _intake_client(session: Session, digest: str) -> Client | None:
    client = session.scalar(select(Client).where(Client.intake_token_hash == digest))
    if client is not None:
        return client
    return session.scalar(
        select(Client)
        .join(IntakeToken, IntakeToken.client_id == Client.id)
        .where(IntakeToken.token_hash == digest, IntakeToken.revoked_at.is_(None))
    )


def intake_token_id(session: Session, digest: str) -> int | None:
    """The id of the issued (live) intake token with this digest; None for a provisioned one."""
    return _cached_value(
        session,
        ("intake-id", digest),
        lambda s: s.scalar(
            select(IntakeToken.id).where(
                IntakeToken.token_hash == digest, IntakeToken.revoked_at.is_(None)
            )
        ),
    )


def sla_target(session: Session, client_id: int, priority: str) -> SlaTarget | None:
    """The client's SLA targets for a priority (with their calendar), if it has any."""
    return _cached(
        session,
        ("sla", client_id, priority),
        lambda s: s.scalar(
            select(SlaTarget)
            .options(joinedload(SlaTarget.calendar))
            .where(SlaTarget.client_id == client_id, SlaTarget.priority == priority)
        ),
    )


def site(session: Session, site_id: int) -> Site | None:
    """A site (its shifts and holidays)."""
    return _cached(session, ("site", site_id), lambda s: s.get(Site, site_id))


def bump(session: Session) -> None:
    """Write a new world version in the session's transaction (every process drops its
    cache once it commits); this process's cache goes at once."""
    values = {"key": VERSION_KEY, "value": uuid.uuid4().hex, "updated_at": datetime.now(UTC)}
    connection = session.connection()  # Core, in the flush's transaction: no autoflush
    insert = pg_insert if connection.dialect.name == "postgresql" else sqlite_insert
    stmt = insert(SiteSetting.__table__).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={"value": stmt.excluded.value, "updated_at": stmt.excluded.updated_at},
    )
    connection.execute(stmt)
    clear()


@event.listens_for(Session, "before_flush")
def _world_changed(session: Session, _context, _instances) -> None:
    """A flush that adds, changes or deletes world rows writes a new world version."""
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, WORLD_TYPES):
            bump(session)
            return
    for obj in session.dirty:
        # Columns only: a ticket added to a client's collection does not change the client.
        if isinstance(obj, WORLD_TYPES) and session.is_modified(obj, include_collections=False):
            bump(session)
            return
