"""Engine-level settings: SQLite pragmas for foreign keys and concurrent access."""

import sqlite3
import threading

from flask import Flask
from sqlalchemy import event

from helpdesk.extensions import db


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers work while one writer commits; foreign keys are off by default.
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")
_BUSY_SECONDS = 10.0  # the same patience as busy_timeout


def _serialize_writers(engine) -> None:
    """One writing transaction at a time per process, queued on a Python lock.

    SQLite lets one transaction write at a time. Threads that find the database locked
    wait in SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and so
    leaves the database idle after the writer commits. Queuing a process's writers on a
    lock hands the database over the moment the writer is done; other processes (the
    CLI, a second server) still meet the busy handler as before. The pysqlite driver
    opens the transaction at the first write, so that is where the lock is taken; it is
    given back once the driver's COMMIT or ROLLBACK has run.
    """
    lock = threading.Lock()
    holder: list = [None]  # the DBAPI connection whose transaction holds the lock
    dialect = engine.dialect

    def take(conn, _cursor, statement, _params, _context, _many) -> None:
        raw = conn.connection.dbapi_connection
        if holder[0] is raw or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        if not lock.acquire(timeout=_BUSY_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        holder[0] = raw

    def give_back(connection) -> None:
        # The dialect is handed the pool's proxy; pool events the driver's connection.
        raw = getattr(connection, "dbapi_connection", connection)
        if holder[0] is raw:
            holder[0] = None
            lock.release()

    def ending(original):
        def end(raw) -> None:
            try:
                original(raw)
            finally:
                give_back(raw)

        return end

    dialect.do_commit = ending(dialect.do_commit)
    dialect.do_rollback = ending(dialect.do_rollback)
    event.listen(engine, "before_cursor_execute", take)
    # A connection thrown away mid-transaction gives the lock back too.
    event.listen(engine.pool, "invalidate", lambda raw, *_: give_back(raw))
    event.listen(engine.pool, "close", lambda raw, *_: give_back(raw))


def init_database_hooks(app: Flask) -> None:
    """Attach the SQLite pragmas (and the writers' queue) to the app's engine."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
            _serialize_writers(engine)
