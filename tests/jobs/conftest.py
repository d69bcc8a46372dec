import pytest

from tests.payments.conftest import checkout, paid_course, payhero  # noqa: F401  (payment fixtures, shared)
from tests.processes import Pipeline


@pytest.fixture
def pipeline(app, postgres, redis_url, tmp_path, settings):
    """pipeline.start("scheduler", "worker") runs those processes against the test database and Redis."""
    running = Pipeline(app, postgres, redis_url, tmp_path, settings)
    yield running
    running.stop()
