"""Counting the SQL statements a request runs, to pin list pages against N+1 queries."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from mwanzo.extensions import db


@contextmanager
def counted_queries():
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
