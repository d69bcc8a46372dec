"""Lesson progress: one atomic upsert per save, watched time counted on the database side.

A save reports the player's position. The server credits the forward distance since the last
report, but never more than the server's clock allows: 2× the seconds since the previous save
(the fastest playback speed) plus a fixed slack of 2 s for rounding and network delay. The slack
is borrowed, not given: ``last_reported_at`` moves past now by whatever was credited beyond the
elapsed time, so the next save has that much less to spend. Credit over any run of saves is thus
at most 2× the wall-clock time plus 2 s once, however many saves are sent; seeking to the end or
a burst of saves does not count as watching. Two tabs saving at once cannot lose progress: the
arithmetic happens inside a single INSERT .. ON CONFLICT DO UPDATE, never in Python.
"""
from __future__ import annotations

import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from mwanzo.database import UTCDateTime, utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import VideoProgress

# A lesson counts as watched at 80 % (the design's rule): watched * 5 >= duration * 4.
COMPLETE_NUMERATOR, COMPLETE_DENOMINATOR = 4, 5
MAX_PLAYBACK_RATE = 2  # the fastest speed the player offers
SLACK_SECONDS = 2  # rounding of positions and network delay


class seconds_between(FunctionElement):
    """Seconds from `later` back to `earlier` (two timestamps)."""

    type = sa.Float()
    inherit_cache = True
    name = "seconds_between"
    sql = {"postgresql": "EXTRACT(EPOCH FROM ({0} - {1}))",
           "sqlite": "((julianday({0}) - julianday({1})) * 86400.0)"}


class add_seconds(FunctionElement):
    """A timestamp moved by a number of seconds (on SQLite in the text form it stores: %f gives
    milliseconds, the stored form has microseconds, and text order must match time order)."""

    type = UTCDateTime()
    inherit_cache = True
    name = "add_seconds"
    sql = {"postgresql": "({0} + ({1}) * INTERVAL '1 second')",
           "sqlite": "(strftime('%Y-%m-%d %H:%M:%f', julianday({0}) + ({1}) / 86400.0) || '000')"}


@compiles(seconds_between)
@compiles(add_seconds)
def _timestamp_arithmetic(element, compiler, **kw):
    """The same timestamp arithmetic written for PostgreSQL and for SQLite."""
    return element.sql[compiler.dialect.name].format(*(compiler.process(arg, **kw) for arg in element.clauses))


def _insert():
    return (postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert)(VideoProgress.__table__)


class greatest(sa.sql.functions.ReturnTypeFromArgs):
    """GREATEST(a, b) on PostgreSQL, max(a, b) on SQLite: short SQL where CASE would repeat its arguments."""

    inherit_cache = True


class least(sa.sql.functions.ReturnTypeFromArgs):
    inherit_cache = True


@compiles(greatest, "sqlite")
def _greatest_sqlite(element, compiler, **kw):
    return f"max({compiler.process(element.clauses, **kw)})"


@compiles(least, "sqlite")
def _least_sqlite(element, compiler, **kw):
    return f"min({compiler.process(element.clauses, **kw)})"


def _base_values(student_id: uuid.UUID, lesson_id: uuid.UUID, now: datetime) -> dict:
    return {"id": uuid.uuid4(), "student_id": student_id, "lesson_id": lesson_id,
            "created_at": now, "updated_at": now}


def save_position(student_id: uuid.UUID, lesson_id: uuid.UUID, duration: int, position: float,
                  now: datetime | None = None) -> bool:
    """Record where the player is. Returns True when this save completed the lesson."""
    now = now or utcnow()
    duration = max(int(duration or 0), 0)
    position = max(0, min(int(position), duration)) if duration else max(0, int(position))
    table = VideoProgress.__table__
    old = table.c
    now_param = sa.literal(now, UTCDateTime())
    reported_at = sa.func.coalesce(old.last_reported_at, now_param)
    elapsed = seconds_between(now_param, reported_at)  # below zero while slack is owed
    forward = greatest(sa.literal(position) - old.position_seconds, 0)
    allowance = greatest(sa.cast(sa.func.floor(elapsed * MAX_PLAYBACK_RATE + SLACK_SECONDS), sa.Integer), 0)
    credited = least(forward, allowance)
    # Credit beyond the elapsed time pushes the clock ahead by what it would have taken to play.
    credited_until = greatest(now_param, add_seconds(reported_at, credited * (1.0 / MAX_PLAYBACK_RATE)))
    watched = least(old.watched_seconds + credited, duration)
    reached = (watched * COMPLETE_DENOMINATOR >= duration * COMPLETE_NUMERATOR) if duration else sa.false()
    statement = _insert().values(
        **_base_values(student_id, lesson_id, now),
        position_seconds=position, watched_seconds=0, last_reported_at=now, completed=False,
    )
    statement = statement.on_conflict_do_update(
        index_elements=[old.student_id, old.lesson_id],
        set_={
            "position_seconds": position,
            "watched_seconds": watched,
            "last_reported_at": credited_until,
            "completed": old.completed | reached,
            "completed_at": sa.case((old.completed, old.completed_at), (reached, now_param), else_=None),
            "updated_at": now,
        },
    ).returning(old.completed_at)
    completed_at = db.session.execute(statement).scalar_one()
    return completed_at == now


def mark_complete(student_id: uuid.UUID, lesson_id: uuid.UUID, now: datetime | None = None) -> bool:
    """A text lesson read to the end. Returns True the first time only."""
    now = now or utcnow()
    table = VideoProgress.__table__
    statement = _insert().values(**_base_values(student_id, lesson_id, now), completed=True, completed_at=now,
                                 position_seconds=0, watched_seconds=0)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.student_id, table.c.lesson_id],
        set_={"completed": True,
              "completed_at": sa.func.coalesce(table.c.completed_at, sa.literal(now, UTCDateTime())),
              "updated_at": now},
    ).returning(table.c.completed_at)
    return db.session.execute(statement).scalar_one() == now


def start_watching(student_id: uuid.UUID, lesson_id: uuid.UUID, now: datetime | None = None) -> None:
    """The server has served this learner the lesson's video: start its clock unless it already runs."""
    now = now or utcnow()
    table = VideoProgress.__table__
    statement = _insert().values(**_base_values(student_id, lesson_id, now), position_seconds=0,
                                 watched_seconds=0, last_reported_at=now, completed=False)
    db.session.execute(statement.on_conflict_do_nothing(index_elements=[table.c.student_id, table.c.lesson_id]))


def confirm_watched(student_id: uuid.UUID, lesson_id: uuid.UUID, duration: int,
                    now: datetime | None = None) -> tuple[bool, int]:
    """A learner without the player says "I've watched this". The same rule as the player's saves:
    what was credited so far plus 2× the server-clock seconds since the last save (or since the
    video was first served) plus the slack must reach 80 % of the duration. One conditional UPDATE.

    Returns (completed by this call, seconds still to wait: 0 once complete)."""
    now = now or utcnow()
    duration = max(int(duration or 0), 0)
    table = VideoProgress.__table__
    old = table.c
    now_param = sa.literal(now, UTCDateTime())
    elapsed = seconds_between(now_param, old.last_reported_at)
    credit = greatest(sa.cast(sa.func.floor(elapsed * MAX_PLAYBACK_RATE + SLACK_SECONDS), sa.Integer), 0)
    enough = (old.watched_seconds + credit) * COMPLETE_DENOMINATOR >= duration * COMPLETE_NUMERATOR
    owner = (old.student_id == student_id) & (old.lesson_id == lesson_id)
    done = db.session.execute(
        sa.update(table).where(owner, old.completed | (old.last_reported_at.is_not(None) & enough))
        .values(completed=True, completed_at=sa.func.coalesce(old.completed_at, now_param),
                watched_seconds=greatest(old.watched_seconds, least(old.watched_seconds + credit, duration)),
                updated_at=now)
        .returning(old.completed_at)
    ).first()
    if done is not None:
        return done.completed_at == now, 0
    row = db.session.execute(sa.select(old.watched_seconds, old.last_reported_at).where(owner)).first()
    if row is None or row.last_reported_at is None:
        return False, -(-duration * COMPLETE_NUMERATOR // (COMPLETE_DENOMINATOR * MAX_PLAYBACK_RATE))
    missing = duration * COMPLETE_NUMERATOR / COMPLETE_DENOMINATOR - row.watched_seconds - SLACK_SECONDS
    waited = (now - row.last_reported_at).total_seconds()
    return False, max(1, int(missing / MAX_PLAYBACK_RATE - waited) + 1)
