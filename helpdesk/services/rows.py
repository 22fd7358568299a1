"""New rows without the unit of work: one Core INSERT, then the object is persistent.

A filing adds a ticket (and often its requester) and reads nothing back but their ids.
The ORM's flush for one or two objects costs several times the INSERT itself (the unit
of work sorts, diffs and synchronises); `insert_now` writes the object's column values
in one statement, fetches what the database or a column default filled in, and attaches
the object to the session as if it had been loaded, so later reads need no query.

Many-to-one relationships set on the object (ticket.client = client) give their foreign
keys first, as a flush would. Nothing here runs ORM insert events (no model that goes
through it has any). If the transaction rolls back, the rows are gone, and so are these
objects from the session (`forget_on_rollback`), as the ORM does for rows it inserted.
"""

from __future__ import annotations

import functools

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import MANYTOONE, Session, make_transient_to_detached
from sqlalchemy.orm.exc import UnmappedColumnError

_INSERTED = "rows.inserted_now"


def insert_now(session: Session, *objs) -> None:
    """INSERT new (transient) objects of one class, attach them as persistent.

    Objects with the same attributes set go in one statement; the other columns (defaults,
    the id) are read back with RETURNING, in the objects' order. As in a flush, an
    attribute set to None is left to the column's default (a JSON column gets SQL NULL,
    not JSON null).
    """
    if not objs:
        return
    mapper = inspect(objs[0]).mapper
    columns = _columns(mapper)
    groups: dict[tuple, list] = {}
    for obj in objs:
        _foreign_keys(mapper, obj)
        state = obj.__dict__
        given = tuple(
            key
            for key, column in columns
            if state.get(key) is not None or (key in state and column.type.should_evaluate_none)
        )
        groups.setdefault(given, []).append(obj)
    for given, group in groups.items():
        _insert(session, mapper.local_table, columns, given, group)
    attach_inserted(session, objs)


def attach_inserted(session: Session, objs) -> None:
    """Attach objects whose rows were just inserted (their ids set) as persistent, as if
    loaded; they leave the session again if the transaction rolls back."""
    inserted = session.info.setdefault(_INSERTED, [])
    for obj in objs:
        make_transient_to_detached(obj)
        session.add(obj)
        inserted.append(obj)


def _insert(session: Session, table, columns, given: tuple, objs: list) -> None:
    names = {key: column.key for key, column in columns}
    rows = [{names[key]: obj.__dict__[key] for key in given} for obj in objs]
    stmt, missing = _statement(table, columns, given)
    # On the session's connection: a Core statement needs none of the ORM's execution.
    result = session.connection().execute(stmt, rows)
    if missing:
        for obj, row in zip(objs, result, strict=True):
            for key, value in zip(missing, row, strict=True):
                setattr(obj, key, value)


@functools.lru_cache(maxsize=64)
def _statement(table, columns: tuple, given: tuple):
    # Built once per table and set of given columns: building and cache-keying a statement
    # costs about as much as running it.
    missing = [(key, column) for key, column in columns if key not in given]
    stmt = insert(table)
    if missing:
        stmt = stmt.returning(*(column for _, column in missing), sort_by_parameter_order=True)
    return stmt, tuple(key for key, _ in missing)


@functools.lru_cache(maxsize=64)
def _columns(mapper) -> tuple:
    # (attribute key, column) of the mapped columns; an insert sentinel has no attribute.
    columns = []
    for column in mapper.local_table.columns:
        try:
            columns.append((mapper.get_property_by_column(column).key, column))
        except UnmappedColumnError:
            continue
    return tuple(columns)


def _foreign_keys(mapper, obj) -> None:
    # What a flush does first: many-to-one relationships set on the object give their keys.
    state = obj.__dict__
    for rel in mapper.relationships:
        if rel.direction is MANYTOONE and rel.key in state:
            target = state[rel.key]
            for local, remote in rel.local_remote_pairs:
                value = None
                if target is not None:
                    value = getattr(target, target.__mapper__.get_property_by_column(remote).key)
                setattr(obj, mapper.get_property_by_column(local).key, value)


@event.listens_for(Session, "after_soft_rollback")
def forget_on_rollback(session: Session, previous) -> None:
    """Rows inserted by `insert_now` are gone with the transaction: so are their objects.

    (Savepoints are not used with it: a nested rollback keeps the outer rows.)
    """
    if previous.nested:
        return
    for obj in session.info.pop(_INSERTED, ()):
        if obj in session:
            session.expunge(obj)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    session.info.pop(_INSERTED, None)
