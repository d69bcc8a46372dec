"""Declarative base and the column types every model shares."""
from __future__ import annotations

import enum
import select
import uuid
from datetime import date, datetime, time, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every database (SQLite stores them naive)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use mwanzo.database.utcnow()")
            value = value.astimezone(timezone.utc)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


def str_enum(enum_cls: type[enum.Enum], length: int = 20, name: str | None = None) -> sa.Enum:
    """Enums stored as readable VARCHARs with a CHECK, identical on PostgreSQL and SQLite."""
    return sa.Enum(
        enum_cls,
        native_enum=False,
        create_constraint=True,
        length=length,
        name=name or enum_cls.__name__.lower(),
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


Money = sa.Numeric(10, 2, asdecimal=True)


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), Decimal: Money}


class TimestampedModel(Base):
    """UUID primary key plus created_at/updated_at, shared by every table."""

    __abstract__ = True

    id: Mapped[uuid.UUID] = mapped_column(sa.Uuid, primary_key=True, default=uuid.uuid4)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def configure_sqlite(engine: sa.Engine) -> None:
    """Make SQLite safe for the embedded default.

    pysqlite opens a transaction only before a write, so a SAVEPOINT issued first would start (and its
    RELEASE commit) a transaction of its own; we open the transaction before any savepoint. WAL lets
    the in-process job thread read while a request writes; busy_timeout waits for a lock instead of
    failing at once; foreign keys are enforced as on PostgreSQL.
    """

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @sa.event.listens_for(engine, "savepoint")
    def _before_savepoint(connection, _name):
        if not connection.connection.dbapi_connection.in_transaction:
            connection.exec_driver_sql("BEGIN")


def configure_postgresql(engine: sa.Engine) -> None:
    """Replace connections the server has closed before handing them out, without a round trip.

    A server that restarts or ends a backend sends its last message and closes the socket, so an idle pooled
    connection with bytes waiting to be read (or already closed) is stale: the pool drops it and opens another.
    This costs one local poll per checkout where ``pool_pre_ping`` cost a ``SELECT 1`` to the server on every
    request, which was a quarter of a signed-in catalog page's database round trips.
    """

    @sa.event.listens_for(engine, "checkout")
    def _replace_closed_by_server(dbapi_connection, _record, _proxy):
        if dbapi_connection.closed or select.select([dbapi_connection.fileno()], [], [], 0)[0]:
            raise sa.exc.DisconnectionError("the server closed this pooled connection")


def business_timezone() -> ZoneInfo:
    """Days in reports are Kenyan days (BABEL_DEFAULT_TIMEZONE, Africa/Nairobi), not UTC days."""
    from flask import current_app

    return ZoneInfo(current_app.config["BABEL_DEFAULT_TIMEZONE"])


def local_day(column) -> sa.ColumnElement:
    """The business-timezone calendar day of a timestamp column, on PostgreSQL and SQLite alike."""
    from flask import current_app

    zone = business_timezone()
    # The app's database (Flask-SQLAlchemy's extension), read without importing the extensions above us.
    if current_app.extensions["sqlalchemy"].engine.dialect.name == "postgresql":
        return sa.cast(sa.func.timezone(zone.key, column), sa.Date)
    # SQLite stores UTC; East Africa Time has no daylight saving, so one fixed offset is exact.
    offset_minutes = int(datetime.now(zone).utcoffset().total_seconds() // 60)
    return sa.func.date(column, f"{offset_minutes:+d} minutes")


def local_day_start(day: date) -> datetime:
    """The moment a business-timezone calendar day begins, as an aware UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=business_timezone()).astimezone(timezone.utc)
