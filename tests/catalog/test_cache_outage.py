"""With the cache's Redis gone or frozen the catalog still serves (built per request) and stays right; one
warning per outage. Uses a redis-server of its own on a free port, never the shared one."""
from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import time
from decimal import Decimal

import pytest
from redis.exceptions import RedisError

from mwanzo import create_app
from mwanzo.extensions import db
from mwanzo.studio import services as studio
from mwanzo.web.filters import format_kes
from tests.conftest import IsolatedClient, unavailable
from tests.servers import free_port

COPIED = ("TESTING", "SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "JOB_RUNNER", "MAIL_BACKEND", "BCRYPT_ROUNDS",
          "WTF_CSRF_ENABLED", "RATELIMIT_STORAGE_URI", "MEDIA_ROOT", "PUBLIC_BASE_URL", "SERVER_NAME", "REDIS_URL")


class RedisServer:
    def __init__(self, folder):
        self.port, self.folder = free_port(), folder
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        from redis import Redis

        self.process = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save",
                                         "", "--appendonly", "no", "--dir", str(self.folder)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        connection = Redis.from_url(self.url, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                connection.ping()
                return
            except RedisError:  # still starting
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@pytest.fixture
def redis_server(tmp_path):
    if not shutil.which("redis-server"):
        unavailable("redis-server not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGCONT)
        server.stop()


@pytest.fixture
def cached_app(app, redis_server):
    """The test app's settings, with its page cache in that redis-server."""
    other = create_app({**{name: app.config[name] for name in COPIED}, "CACHE_REDIS_URL": redis_server.url,
                        "CACHE_KEY_PREFIX": "outage-test:", "CACHE_RETRY_SECONDS": 0,
                        "CACHE_SOCKET_TIMEOUT": 0.2})
    other.test_client_class = IsolatedClient  # each request its own app context, as in production
    with other.app_context():
        yield other


def details(course, **changes) -> studio.CourseDetails:
    values = {name: getattr(course, name) for name in studio.COURSE_FIELDS}
    return studio.CourseDetails(**{**values, **changes})


def pages(course) -> list[tuple[str, dict]]:
    return [("/courses", {}), ("/courses", {"HX-Request": "true"}), ("/courses?q=tiling", {}),
            ("/categories/building", {}), (f"/courses/{course.slug}", {}), ("/", {})]


def priced_course(make, title: str):
    owner = make.instructor()
    building = make.category(name="Building", slug="building")
    return owner, make.course(title=title, price=Decimal("500"), instructor_id=owner.id, category_id=building.id)


def shown_everywhere(client, course, text: str) -> None:
    for path, headers in pages(course):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, (path, response.status_code)
        assert text in response.get_data(as_text=True), path


def test_with_redis_stopped_every_catalog_page_still_serves_and_shows_changes(cached_app, redis_server, make,
                                                                              caplog):
    owner, course = priced_course(make, "Tiling floors")
    client = cached_app.test_client()
    shown_everywhere(client, course, format_kes(Decimal("500")))  # cached in Redis now

    redis_server.stop()
    caplog.set_level(logging.INFO, logger="mwanzo.cache")
    shown_everywhere(client, course, format_kes(Decimal("500")))
    studio.update_course(course, details(course, price=Decimal("1500")), owner)
    db.session.commit()  # its bump cannot be sent: kept for later
    shown_everywhere(client, course, format_kes(Decimal("1500")))
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "mwanzo.cache"]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # once per outage, not once per request
    assert "cache unreachable" in warnings[0].getMessage()

    redis_server.start()  # back, empty
    shown_everywhere(client, course, format_kes(Decimal("1500")))
    assert any(r.getMessage() == "cache answering again" for r in caplog.records)


def test_a_change_made_while_redis_was_frozen_is_not_hidden_by_what_it_held(cached_app, redis_server, make):
    owner, course = priced_course(make, "Tiling walls")
    client = cached_app.test_client()
    shown_everywhere(client, course, format_kes(Decimal("500")))  # Redis holds the 500 pages

    redis_server.process.send_signal(signal.SIGSTOP)  # it keeps its data but answers nothing
    try:
        studio.update_course(course, details(course, price=Decimal("1500")), owner)
        db.session.commit()  # the bump times out and waits in this process
        response = client.get("/courses")
        assert response.status_code == 200 and format_kes(Decimal("1500")) in response.get_data(as_text=True)
    finally:
        redis_server.process.send_signal(signal.SIGCONT)
    # Redis answers again with the old pages still in it: the waiting bump goes first, so they are not served.
    for path, headers in pages(course):
        html = client.get(path, headers=headers).get_data(as_text=True)
        assert format_kes(Decimal("1500")) in html and format_kes(Decimal("500")) not in html, path
