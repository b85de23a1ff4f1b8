"""The SQLAlchemy base model with a constraint naming convention, and time helpers: UTC in the
database, dates as they are in China."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, registry
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timezone-aware UTC timestamp, also on SQLite, which keeps no offset."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given for a UTC column")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


def one_of(column: str, enum_cls) -> str:
    """CHECK text limiting a StrEnum column to its members: "status IN ('draft', ...)"."""
    return f"{column} IN ({', '.join(repr(str(m)) for m in enum_cls)})"


SHANGHAI = ZoneInfo("Asia/Shanghai")


def utcnow() -> datetime:
    return datetime.now(UTC)


def today() -> date:
    """Today's date in China, which deadlines and application windows count in."""
    return datetime.now(SHANGHAI).date()


def local_date(moment: datetime) -> date:
    """The day a stored UTC time falls on in China."""
    return moment.astimezone(SHANGHAI).date()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record):
    """Give SQLite real transactions (BEGIN on first statement, SAVEPOINTs) and foreign keys."""
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(conn):
    """On SQLite, a request that changes things (any but GET and HEAD) takes the write lock as its
    transaction begins, waiting its turn (busy_timeout). Begun as a reader, it could not write once
    another connection had committed since its first read, such as a registry import running in the
    background, and would fail at once with "database is locked". Pages only read, and share."""
    if conn.dialect.name == "sqlite":
        writes = has_request_context() and request.method not in ("GET", "HEAD")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writes else "BEGIN")
