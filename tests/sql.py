"""Counting the SQL statements a block of code sends (to pin query counts)."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from mwanzo.extensions import db


@contextmanager
def statements():
    """with statements() as sent: ...; len(sent) is the number of statements executed."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
