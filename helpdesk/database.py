"""Engine-level settings: SQLite pragmas for foreign keys and concurrent access."""

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


def init_database_hooks(app: Flask) -> None:
    """Attach the SQLite pragmas to the app's engine."""
    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "sqlite":
            event.listen(engine, "connect", _sqlite_pragmas)
