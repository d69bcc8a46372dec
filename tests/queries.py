"""Counting the SQL statements a request runs, to pin list pages against N+1 queries."""
from __future__ import annotations

import sqlalchemy as sa

from mwanzo.extensions import db


def count_statements(call) -> tuple[int, object]:
    """(number of statements run while call() ran, call()'s result)."""
    count = 0

    def listener(*_args):
        nonlocal count
        count += 1

    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        result = call()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return count, result
