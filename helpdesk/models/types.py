"""Column types shared by the models: aware UTC datetimes on every database; the id limit; a
planner hint."""

from datetime import UTC, datetime

from sqlalchemy import Boolean, DateTime
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import TypeDecorator

ID_MAX = 2**31 - 1  # ids and numbers are INTEGER columns; larger ones match nothing


class UTCDateTime(TypeDecorator):
    """Store aware datetimes as UTC; always return aware UTC datetimes.

    SQLite drops the offset and PostgreSQL returns the session zone, so both are
    normalised here and a naive datetime is refused rather than guessed at.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: store aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def utcnow() -> datetime:
    """Now as an aware UTC datetime (the default for created_at columns)."""
    return datetime.now(UTC)


class likely(FunctionElement):  # lower case, as the SQL function it stands for
    """SQL: a condition most rows meet, said to SQLite's planner (likely()); elsewhere as is.

    Without table statistics SQLite takes any indexed equality or IN for a narrow search and
    sorts what it finds; told that a filter keeps most rows, it reads an index in the wanted
    order instead and stops after one page.
    """

    type = Boolean()
    name = "likely"
    inherit_cache = True
    _is_implicitly_boolean = True  # a condition: no "= 1" where booleans are integers


@compiles(likely)
def _likely_elsewhere(element, compiler, **kw) -> str:
    return f"({compiler.process(element.clauses, **kw)})"


@compiles(likely, "sqlite")
def _likely_on_sqlite(element, compiler, **kw) -> str:
    return f"likely({compiler.process(element.clauses, **kw)})"
