"""Counting the SQL statements a block runs (pins eager loading on list pages)."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from mwanzo.extensions import db


@contextmanager
def count_queries():
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
