"""Shared fixtures: one app per session on a migrated database, cleaned after every test.

The database is SQLite in a temporary folder unless TEST_DATABASE_URL points at PostgreSQL.
With MWANZO_REQUIRE_SERVICES=1 (CI), a missing PostgreSQL, Redis or Chromium fails the run
instead of skipping, so those tests can never silently not run.
"""
from __future__ import annotations

import contextvars
import os
import shutil
import threading
import uuid

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_migrate import upgrade
from werkzeug.serving import make_server

from mwanzo import create_app
from mwanzo import cache as page_cache
from mwanzo.extensions import db, limiter
from tests import factories

REQUIRE_SERVICES = os.environ.get("MWANZO_REQUIRE_SERVICES") == "1"


def unavailable(reason: str):
    """Skip locally; fail in CI where every service must be there."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


def pytest_collection_modifyitems(items):
    """A test that needs PostgreSQL says so with @pytest.mark.postgres, so `-m "not postgres"` and the
    CI report can count them; a test asking for the postgres fixture without the marker is a mistake."""
    unmarked = [item.nodeid for item in items
                if "postgres" in getattr(item, "fixturenames", ()) and not item.get_closest_marker("postgres")]
    if unmarked:
        raise pytest.UsageError("mark these PostgreSQL tests with @pytest.mark.postgres: " + ", ".join(unmarked))


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and not os.environ.get("TEST_DATABASE_URL"):
        unavailable("PostgreSQL not configured (set TEST_DATABASE_URL)")


def fresh_postgres_database(base_url: str, name: str) -> str:
    """Create (or recreate) an empty database next to the one TEST_DATABASE_URL names."""
    url = sa.make_url(base_url).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


class IsolatedClient(FlaskClient):
    """Each request runs in its own app context, as in production: its own DB session and its own
    `g`, instead of sharing the test's (which would hide stale-session and cached-user bugs)."""

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    base = os.environ.get("TEST_DATABASE_URL")
    if base:
        return fresh_postgres_database(base, f"mwanzo_test_{os.getpid()}")
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "JOB_RUNNER": "sync",
        "MAIL_BACKEND": "console",
        "BCRYPT_ROUNDS": 4,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "MEDIA_ROOT": str(tmp_path_factory.mktemp("media")),
        "PUBLIC_BASE_URL": "http://localhost",
        "SERVER_NAME": None,
        "REDIS_URL": None,
        # The shared page cache is the real Redis when REDIS_URL is set (each pytest process its own keys),
        # else the in-process cache of the embedded default.
        "CACHE_REDIS_URL": os.environ.get("REDIS_URL") or None,
        "CACHE_KEY_PREFIX": f"test-{os.getpid()}-mwanzo:cache:",
    })
    app.test_client_class = IsolatedClient
    with app.app_context():
        upgrade()
    return app


@pytest.fixture(autouse=True)
def _clean_state(request, app):
    """Every test starts with empty tables, reset rate limits and an app context."""
    ctx = app.app_context()
    ctx.push()
    limiter.reset()
    page_cache.clear()  # the tables are emptied after each test; so are the pages built from them
    yield
    db.session.remove()
    tables = [t.name for t in reversed(db.metadata.sorted_tables)]
    # DELETE beats TRUNCATE for the handful of rows a test leaves behind.
    with db.engine.begin() as conn:
        for table in tables:
            conn.execute(sa.text(f'DELETE FROM "{table}"'))
    ctx.pop()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def settings(app, monkeypatch):
    """Change settings for one test: ``settings(JOB_RUNNER="thread")``; monkeypatch puts each back afterwards."""
    def change(**values):
        for key, value in values.items():
            monkeypatch.setitem(app.config, key, value)

    return change


@pytest.fixture
def csrf_enabled(settings):
    settings(WTF_CSRF_ENABLED=True)


@pytest.fixture
def login(client):
    """login(user) signs the test client in as that user, as the login form would."""

    def _login(user):
        with client.session_transaction() as session:
            session["_user_id"] = user.get_id()
            session["_fresh"] = True
        return user

    return _login


@pytest.fixture
def make():
    return factories


@pytest.fixture
def postgres(database_url):
    """The PostgreSQL database URL of a @pytest.mark.postgres test (the marker skips it on SQLite)."""
    return database_url


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL")
    if not url:
        unavailable("Redis not configured (set REDIS_URL)")
    from redis import Redis

    connection = Redis.from_url(url)
    try:
        connection.ping()
    except Exception as exc:
        unavailable(f"Redis at {url} not reachable: {exc}")
    return url


# ---------------------------------------------------------------- browser harness

def chromium_path() -> str | None:
    return os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def live_server(app):
    """The session app served on a loopback port, for Chromium to talk to."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if not path:
        unavailable("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=path, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


PHONE_VIEWPORT = {"width": 360, "height": 740}


def axe_on(browser, live_server, pages) -> list[str]:
    """Open each (url, storage state) in a phone-sized tab and run axe on it; one line per violation."""
    from tests.browser.helpers import axe_violations

    lines = []
    for url, state in pages:
        context = browser.new_context(base_url=live_server, viewport=PHONE_VIEWPORT, bypass_csp=True,
                                      storage_state=state)
        try:
            tab = context.new_page()
            if tab.goto(url).status != 200:
                continue  # gone since (a one-time page, a deleted record): nothing left to check
            lines += [f"{url}: {v['rule']} ({v['impact']}) {v['help']}: {v['nodes']}" for v in axe_violations(tab)]
        finally:
            context.close()
    return lines


@pytest.fixture
def new_page(browser, live_server, app, settings):
    """new_page(javascript=True) opens a phone-sized tab with its own cookies; options go to the browser context."""
    contexts = []

    visited: dict[str, object] = {}  # each page a test opened (a GET answered with HTML) -> its context

    def remember(context, response):
        request = response.request
        if (request.resource_type == "document" and request.method == "GET" and response.status == 200
                and request.url.startswith(live_server) and "/media/" not in request.url):
            visited.setdefault(request.url, context)

    def _new_page(javascript: bool = True, viewport=PHONE_VIEWPORT, **options):
        context = browser.new_context(base_url=live_server, viewport=viewport, java_script_enabled=javascript,
                                      **options)
        context.set_default_timeout(10_000)
        context.on("response", lambda response: remember(context, response))
        contexts.append(context)
        return context.new_page()

    settings(PUBLIC_BASE_URL=live_server)
    yield _new_page
    # Every page the test visited is opened again as the same person, with axe (WCAG 2.1 A/AA): CSP is
    # bypassed only in this checking tab, to load axe; the page is served as it was to the test.
    states = {id(context): context.storage_state() for context in contexts}
    for context in contexts:
        context.close()
    found = axe_on(browser, live_server, [(url, states[id(context)]) for url, context in visited.items()])
    assert not found, "accessibility violations on the pages this test visited:\n" + "\n".join(found)


@pytest.fixture
def page(new_page):
    return new_page()


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}@example.com"


@pytest.fixture
def s3(app, monkeypatch, settings):
    """s3 mode against moto's S3 server on loopback, for this test."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    host, port = server.get_host_and_port()
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch.setenv(name, value)
    settings(STORAGE_BACKEND="s3", S3_BUCKET="mwanzo-media", S3_ENDPOINT_URL=f"http://{host}:{port}",
             AWS_REGION="us-east-1")
    app.extensions.pop("mwanzo_storage", None)
    from mwanzo.storage import get_storage

    get_storage().client.create_bucket(Bucket="mwanzo-media")
    yield get_storage()
    app.extensions.pop("mwanzo_storage", None)
    server.stop()
