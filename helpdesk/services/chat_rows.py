"""A message's rows without the unit of work: Core statements, then the session as a flush
leaves it.

A chat line (or a reply) adds a Message, one or two TicketEvents, maybe an SlaClock, and
changes its ticket and some clocks. The ORM's flush of those few objects costs several
times the statements themselves (issue #17). `store` writes them before the commit, in
the flush's order: the changed tickets' and clocks' columns (one UPDATE per table and set
of columns), the new messages and clocks (services.rows.insert_now), then the events (one
INSERT ... RETURNING for all, in the order they were added, each given the id of its
message in `data` as TicketEvent's before_insert listener does). The objects are then
persistent and unmodified, as after a flush, so the commit has nothing left to flush.

What it cannot write that way (other new objects, say an outgoing mail; a change to a
many-to-one relationship or to a loaded collection) is left to the flush at the commit,
which then runs for those alone. Nothing is written this way inside a savepoint (a nested
rollback expires only what the flush wrote). If the transaction rolls back, the events
leave the session (as insert_now's objects do) and every object is expired, as usual.
"""

from __future__ import annotations

import functools

from sqlalchemy import bindparam, insert, inspect, update
from sqlalchemy.orm import MANYTOONE, ONETOMANY, Session
from sqlalchemy.orm.exc import StaleDataError, UnmappedColumnError

from helpdesk.models import Message, SlaClock, Ticket, TicketEvent
from helpdesk.services.rows import attach_inserted, insert_now

_EVENTS = TicketEvent.__table__
_EVENT_COLUMNS = ("ticket_id", "kind", "actor_id", "data", "at", "message_id")
_INSERT_EVENTS = insert(_EVENTS).returning(_EVENTS.c.id, sort_by_parameter_order=True)


def store(session: Session) -> bool:
    """Write the session's new messages, clocks and events and its tickets' and clocks'
    changes now, with Core statements; False (nothing written) when the flush must.

    For callers about to commit, after their last read.
    """
    connection = session.connection()
    if connection.in_nested_transaction():
        return False
    new = sorted(session.new, key=lambda obj: inspect(obj).insert_order)
    messages = [obj for obj in new if type(obj) is Message]
    clocks = [obj for obj in new if type(obj) is SlaClock]
    events = [obj for obj in new if type(obj) is TicketEvent]
    if not _insertable(messages, clocks, events):
        return False
    changes = [change for obj in session.dirty if (change := _changes(obj)) is not None]
    for table, keys, rows in _grouped(changes):
        stmt = _update(table, keys)
        result = connection.execute(stmt, rows)
        dialect = connection.dialect
        sane = (
            dialect.supports_sane_rowcount
            if len(rows) == 1
            else dialect.supports_sane_multi_rowcount
        )
        if sane and result.rowcount != len(rows):
            # As the flush: a row gone (deleted meanwhile) is an error, not a silent no-op.
            raise StaleDataError(
                f"UPDATE {table.name}: {len(rows)} rows, {result.rowcount} matched"
            )
    for obj, _keys, _row in changes:
        inspect(obj)._commit_all(obj.__dict__, session.identity_map)  # as a flush does
    for group in (messages, clocks):
        for run in _runs(group):
            for obj in run:
                session.expunge(obj)
            insert_now(session, *run)
    if events:
        _insert_events(session, connection, events)
    return True


def _insertable(messages: list, clocks: list, events: list) -> bool:
    # Every parent already stored (a message's ticket and author, an event's message may be
    # one of `messages`, stored first), and every event with its time and data.
    inserted = {id(obj) for obj in messages}
    for obj in (*messages, *clocks, *events):
        for rel in _many_to_one(type(obj)):
            parent = obj.__dict__.get(rel.key)
            if parent is not None and inspect(parent).key is None and id(parent) not in inserted:
                return False
    return all(e.at is not None and e.data is not None for e in events)


def _runs(objs: list) -> list[list]:
    # insert_now puts objects with the same columns set in one statement, group after
    # group: consecutive runs keep their ids in the order they were added.
    runs: list[list] = []
    last = None
    for obj in objs:
        given = frozenset((key, value is None) for key, value in obj.__dict__.items())
        if runs and given == last:
            runs[-1].append(obj)
        else:
            runs.append([obj])
            last = given
    return runs


def _insert_events(session: Session, connection, events: list) -> None:
    rows = []
    for obj in events:
        _parent_keys(obj)
        message = obj.__dict__.get("message")
        if message is not None and obj.data.get("message_id") is None:
            obj.data = {**obj.data, "message_id": message.id}  # TicketEvent's before_insert
        rows.append({key: getattr(obj, key) for key in _EVENT_COLUMNS})
    ids = connection.execute(_INSERT_EVENTS, rows).scalars().all()
    for obj, new_id in zip(events, ids, strict=True):
        session.expunge(obj)
        obj.id = new_id
    attach_inserted(session, events)


def _parent_keys(obj) -> None:
    # What a flush does first: many-to-one relationships set on the object give their keys.
    mapper = inspect(obj).mapper
    for rel in _many_to_one(type(obj)):
        if rel.key in obj.__dict__:
            parent = obj.__dict__[rel.key]
            for local, remote in rel.local_remote_pairs:
                value = None
                if parent is not None:
                    value = getattr(parent, parent.__mapper__.get_property_by_column(remote).key)
                setattr(obj, mapper.get_property_by_column(local).key, value)


def _changes(obj) -> tuple | None:
    """(object, changed column keys, UPDATE parameters) of a changed ticket or clock, or
    None when the flush must write it (another class, a relationship changed)."""
    if type(obj) not in (Ticket, SlaClock):
        return None
    state = inspect(obj)
    columns, relationships = _attributes(type(obj))
    row = {}
    for key, old in state.committed_state.items():
        if key in columns:
            value = obj.__dict__.get(key)
            if value is not old and value != old:
                row[f"v_{key}"] = value
        elif relationships.get(key) is not ONETOMANY or key in obj.__dict__:
            return None  # only an unloaded collection's backref appends are the flush's own
    keys = tuple(sorted(row))
    row["pk"] = obj.id
    return obj, keys, row


def _grouped(changes: list) -> list[tuple]:
    groups: dict[tuple, list] = {}
    for obj, keys, row in changes:
        if keys:
            groups.setdefault((type(obj).__table__, keys), []).append(row)
    # Tickets before clocks, each by id: the order a flush takes their row locks in.
    order = {"tickets": 0, "sla_clocks": 1}
    return [
        (table, keys, sorted(rows, key=lambda r: r["pk"]))
        for (table, keys), rows in sorted(
            groups.items(), key=lambda g: (order[g[0][0].name], g[0][1])
        )
    ]


@functools.lru_cache(maxsize=64)
def _update(table, keys: tuple):
    # Built once per table and set of columns: building a statement costs about as much
    # as running it.
    return (
        update(table)
        .where(table.c.id == bindparam("pk"))
        .values({table.c[key[2:]]: bindparam(key) for key in keys})
    )


@functools.cache
def _attributes(cls) -> tuple[dict, dict]:
    # Column attribute keys (same as their columns' here) and relationship directions.
    mapper = inspect(cls)
    columns = {}
    for column in mapper.local_table.columns:
        try:
            prop = mapper.get_property_by_column(column)
        except UnmappedColumnError:
            continue
        if prop.key == column.key:
            columns[prop.key] = column
    return columns, {rel.key: rel.direction for rel in mapper.relationships}


@functools.cache
def _many_to_one(cls) -> tuple:
    return tuple(rel for rel in inspect(cls).relationships if rel.direction is MANYTOONE)
