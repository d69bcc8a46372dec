import pytest

from tests import queries


@pytest.fixture
def count_queries():
    """with count_queries() as queries: ... → len(queries) SQL statements ran (selects, updates...)."""
    return queries.count_queries
