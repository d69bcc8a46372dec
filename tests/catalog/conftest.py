import contextlib

import pytest
from sqlalchemy import event

from mwanzo.extensions import db


@pytest.fixture
def count_queries(app):
    """with count_queries() as queries: ... → len(queries) SQL statements ran (selects, updates...)."""

    @contextlib.contextmanager
    def _count():
        statements: list[str] = []

        def listener(conn, cursor, statement, parameters, context, executemany):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
                statements.append(statement)

        engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            yield statements
        finally:
            event.remove(engine, "before_cursor_execute", listener)

    return _count
