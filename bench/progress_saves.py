"""Progress saves under load: threads of learners POSTing positions to a live server on loopback.

    .venv/bin/python bench/progress_saves.py [--learners 16] [--seconds 10]

Uses PostgreSQL when BENCH_DATABASE_URL (or TEST_DATABASE_URL) is set — a fresh database named
mwanzo_bench is created next to it — otherwise a temporary SQLite file. Each learner is enrolled and
saves its position as the player does (form POST with the CSRF token, one keep-alive connection).
Prints saves per second, latency percentiles and SQL statements per save (counted on the engine).
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from mwanzo import create_app  # noqa: E402
from mwanzo.courses.models import LessonKind, ProcessingStatus  # noqa: E402
from mwanzo.extensions import db  # noqa: E402
from mwanzo.learning import services  # noqa: E402


def database_url() -> str:
    base = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL")
    if not base:
        return f"sqlite:///{tempfile.mkdtemp(prefix='mwanzo-bench-')}/bench.db"
    url = sa.make_url(base).set(drivername="postgresql+psycopg")
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text('DROP DATABASE IF EXISTS "mwanzo_bench" WITH (FORCE)'))
        conn.execute(sa.text('CREATE DATABASE "mwanzo_bench"'))
    admin.dispose()
    return url.set(database="mwanzo_bench").render_as_string(hide_password=False)


def seed(app, learners: int):
    from tests import factories

    with app.app_context():
        upgrade()
        course = factories.course()
        lesson = factories.lesson(factories.section(course), kind=LessonKind.VIDEO, body_markdown=None,
                                  duration_seconds=3600, processing_status=ProcessingStatus.READY)
        users = [factories.user(email=f"bench{n}@example.com") for n in range(learners)]
        for user in users:
            services.enroll_free(user, course)
        db.session.commit()
        return course.slug, lesson.id, [user.get_id() for user in users]


def session_for(app, user_id: str, host: str, port: int, page: str) -> tuple[str, str]:
    """A signed-in session cookie and the CSRF token the lesson page hands the player."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    cookie = client.get_cookie("session").value
    conn = http.client.HTTPConnection(host, port)
    conn.request("GET", page, headers={"Cookie": f"session={cookie}"})
    response = conn.getresponse()
    body = response.read().decode()
    updated = re.search(r"session=([^;]+)", response.getheader("Set-Cookie") or "")
    conn.close()
    return (updated.group(1) if updated else cookie), re.search(r'"X-CSRFToken": "([^"]+)"', body).group(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()

    url = database_url()
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-secret-key-0123456789-0123456789",
        "JOB_RUNNER": "sync", "MAIL_BACKEND": "console", "BCRYPT_ROUNDS": 4, "RATELIMIT_ENABLED": False,
        "MEDIA_ROOT": tempfile.mkdtemp(prefix="mwanzo-bench-media-"), "REDIS_URL": None,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": args.learners + 4} if url.startswith("postgresql") else {},
    })
    import logging
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    slug, lesson_id, user_ids = seed(app, args.learners)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = "127.0.0.1", server.server_port
    page = f"/learn/{slug}/lessons/{lesson_id}"
    sessions = [session_for(app, user_id, host, port, page) for user_id in user_ids]

    counted = {"statements": 0}
    with app.app_context():
        engine = db.engine

    def count(*_):
        counted["statements"] += 1

    latencies: list[float] = []
    failures: list[int] = []
    stop_at = time.perf_counter() + args.seconds
    barrier = threading.Barrier(len(sessions) + 1)

    def learner(cookie: str, token: str) -> None:
        conn = http.client.HTTPConnection(host, port)
        headers = {"Cookie": f"session={cookie}", "Content-Type": "application/x-www-form-urlencoded"}
        position, mine = 0, []
        barrier.wait()
        while time.perf_counter() < stop_at:
            position += 15
            began = time.perf_counter()
            conn.request("POST", f"{page}/progress", body=urlencode({"position": position, "csrf_token": token}),
                         headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - began)
            if response.status != 204:
                failures.append(response.status)
        conn.close()
        latencies.extend(mine)

    threads = [threading.Thread(target=learner, args=s) for s in sessions]
    for thread in threads:
        thread.start()
    sa.event.listen(engine, "before_cursor_execute", count)
    began = time.perf_counter()
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    sa.event.remove(engine, "before_cursor_execute", count)
    server.shutdown()

    saves = len(latencies)
    ordered = sorted(latencies)
    print(f"database            {sa.make_url(url).get_backend_name()}")
    print(f"learners (threads)  {len(sessions)}")
    print(f"saves               {saves} in {elapsed:.1f} s, {len(failures)} failed")
    print(f"saves per second    {saves / elapsed:.0f}")
    print(f"latency ms          p50 {statistics.median(ordered) * 1000:.1f}  "
          f"p95 {ordered[int(len(ordered) * 0.95) - 1] * 1000:.1f}  max {ordered[-1] * 1000:.1f}")
    print(f"SQL per save        {counted['statements'] / max(saves, 1):.2f}")


if __name__ == "__main__":
    main()
