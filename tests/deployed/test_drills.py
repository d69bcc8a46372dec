"""Fault drills: the deployed product loses a worker mid-transcode, its PostgreSQL server, or its Redis.

They run on a deployment of their own, on a PostgreSQL cluster and a redis-server this run started (never
the machine's shared servers), so they can kill, restart and stop them. Each prints what it measured.
"""
import contextlib
import html
import re
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
import requests
from sqlalchemy import select

from mwanzo.courses.models import Lesson, LessonKind, ProcessingStatus, Section
from mwanzo.extensions import db
from mwanzo.jobs.models import OutboxJob
from tests import factories
from tests.deployed.conftest import (CSRF_INPUT, PostgresCluster, check_jobs, deploy, form_post, lane_database,
                                     process_tree, visitor, wait_until)
from tests.media.clips import make_clip

pytestmark = [pytest.mark.deployed, pytest.mark.postgres, pytest.mark.redis]


@pytest.fixture(scope="module")
def cluster():
    server = PostgresCluster()
    yield server
    server.remove()


@pytest.fixture(scope="module")
def drills(tmp_path_factory, cluster):
    with deploy(tmp_path_factory.mktemp("drills"), lane_database(cluster.url, "mwanzo_drills")) as deployed:
        yield deployed


@pytest.fixture(autouse=True)
def no_failed_jobs(drills):
    """The lane's check, on the drills' own deployment."""
    yield
    check_jobs(drills)


def signed_in(deployment, email: str) -> requests.Session:
    session = visitor(deployment)
    answer = form_post(session, f"{deployment.url}/login", {"email": email, "password": factories.PASSWORD},
                       allow_redirects=False)
    assert answer.status_code == 302, answer.text[:500]
    return session


def csrf_token(session: requests.Session, url: str) -> str:
    return CSRF_INPUT.search(session.get(url, timeout=30).text).group(1)


def running_ladder(pid: int) -> bool:
    """An ffmpeg encoding the HLS ladder among a process's descendants."""
    for child in process_tree(pid):
        with contextlib.suppress(OSError):
            command = Path(f"/proc/{child}/cmdline").read_bytes()
            if b"ffmpeg" in command and b"-filter_complex" in command:
                return True
    return False


def test_a_worker_killed_mid_transcode_is_retried_and_the_lesson_plays(drills, tmp_path):
    with drills.app_context():
        owner = factories.instructor(email="otieno@example.com")
        lesson = factories.lesson(factories.section(factories.draft_course(owner)), kind=LessonKind.VIDEO,
                                  body_markdown=None)
        lesson_id = lesson.id

    def status() -> ProcessingStatus:
        with drills.app_context():
            return db.session.scalar(select(Lesson.processing_status).where(Lesson.id == lesson_id))

    session = signed_in(drills, "otieno@example.com")
    edit_url = f"{drills.url}/studio/lessons/{lesson_id}/edit"
    headers = {"X-CSRFToken": csrf_token(session, edit_url), "Accept": "application/json", "Referer": edit_url}
    video = make_clip(tmp_path / "market-day.mp4", seconds=12, size="640x360").read_bytes()
    plan = session.post(f"{drills.url}/studio/lessons/{lesson_id}/video/start", headers=headers, timeout=30,
                        json={"filename": "market-day.mp4", "size": len(video)}).json()
    assert requests.put(plan["url"], data=video, headers={"Content-Type": "video/mp4"}, timeout=60).ok
    done = session.post(f"{drills.url}/studio/lessons/{lesson_id}/video/complete", json={"key": plan["key"]},
                        headers=headers, timeout=60)
    assert done.status_code == 200, done.text[:500]

    worker = drills.processes["worker"]
    wait_until(lambda: status() == ProcessingStatus.PROCESSING and running_ladder(worker.pid), 60,
               "ffmpeg transcoding the lesson in the worker")
    processes = process_tree(worker.pid)
    drills.kill("worker")
    killed = time.monotonic()
    wait_until(lambda: not any(Path(f"/proc/{pid}").exists() for pid in processes), 10, "ffmpeg to be gone")
    assert status() == ProcessingStatus.PROCESSING
    drills.restart("worker")
    wait_until(lambda: status() == ProcessingStatus.READY, 240, "the lesson to be READY after the restart", 1)
    print(f"\nworker killed mid-transcode: lesson READY {time.monotonic() - killed:.0f} s later")

    # It plays: the master playlist, a variant playlist and a segment answer 200 over HTTP.
    preview_url = f"{drills.url}/studio/lessons/{lesson_id}/preview"
    master_url = urljoin(preview_url, html.unescape(re.search(r'data-src="([^"]+)"',
                                                              session.get(preview_url, timeout=30).text).group(1)))
    master = session.get(master_url, timeout=30)
    assert master.status_code == 200 and "#EXT-X-STREAM-INF" in master.text
    variant_url = urljoin(master_url, next(line for line in master.text.splitlines() if "index.m3u8" in line))
    variant = session.get(variant_url, timeout=30)
    assert variant.status_code == 200
    segment_url = urljoin(variant_url, next(line for line in variant.text.splitlines()
                                            if line and not line.startswith("#")))
    segment = session.get(segment_url, timeout=30)
    assert segment.status_code == 200 and len(segment.content) > 1000


def test_postgresql_restarted_under_load_loses_no_acknowledged_write(drills, cluster):
    with drills.app_context():
        owner = factories.instructor(email="akinyi@example.com")
        course_id = factories.draft_course(owner, title="Poultry Keeping").id
    session = signed_in(drills, "akinyi@example.com")
    builder_url = f"{drills.url}/studio/courses/{course_id}"
    token = csrf_token(session, builder_url)
    acknowledged, refused = [], []
    stop = threading.Event()

    def add_sections() -> None:
        """An instructor adding sections as fast as the site answers; a 302 is an acknowledged write."""
        number = 0
        while not stop.is_set():
            number += 1
            title = f"Week {number}"
            try:
                answer = session.post(f"{builder_url}/sections", data={"csrf_token": token, "title": title},
                                      headers={"Referer": builder_url}, allow_redirects=False, timeout=30)
                (acknowledged if answer.status_code == 302 else refused).append((time.monotonic(), title))
            except requests.RequestException:
                refused.append((time.monotonic(), title))

    writer = threading.Thread(target=add_sections)
    writer.start()
    try:
        wait_until(lambda: len(acknowledged) >= 10, 60, "writes before the restart")
        started = time.monotonic()
        cluster.restart()
        back = time.monotonic()
        anonymous = visitor(drills)
        wait_until(lambda: anonymous.get(f"{drills.url}/courses", timeout=10).status_code == 200, 30,
                   "the catalog after the restart", 0.1)
        serving = time.monotonic() - back
        wait_until(lambda: sum(at > back for at, _ in acknowledged) >= 10, 30, "writes after the restart", 0.1)
        writing = next(at for at, _ in acknowledged if at > back) - back
    finally:
        stop.set()
        writer.join()
    print(f"\nPostgreSQL fast restart: down {back - started:.1f} s; catalog 200 again {serving:.2f} s and first "
          f"write acknowledged {writing:.2f} s after it was back; {len(acknowledged)} writes acknowledged, "
          f"{len(refused)} refused")
    assert serving < 10 and writing < 10
    with drills.app_context():
        stored = set(db.session.scalars(select(Section.title).where(Section.course_id == course_id)))
    assert {title for _, title in acknowledged} <= stored  # no acknowledged write was lost


def test_with_redis_stopped_pages_serve_and_queued_work_is_done_when_it_returns(drills):
    with drills.app_context():
        slug = factories.course(title="Mobile Money for Chamas").slug
        factories.user(email="wanjiku@example.com")
        factories.user(email="guessed@example.com")
    drills.stop_redis()
    stopped = time.monotonic()
    anonymous = visitor(drills)
    for path in ("/courses", f"/courses/{slug}", "/login"):
        page = anonymous.get(f"{drills.url}{path}", timeout=30)
        assert page.status_code == 200, (path, page.status_code)
    signed_in(drills, "wanjiku@example.com")

    registered = form_post(visitor(drills), f"{drills.url}/register", {
        "name": "Mutua Kilonzo", "email": "mutua@example.com", "password": "Kenya#2026", "confirm": "Kenya#2026",
        "role": "STUDENT", "consent": "y"}, allow_redirects=False)
    assert registered.status_code == 302, registered.text[:500]
    with drills.app_context():
        waiting = db.session.scalars(select(OutboxJob.task).where(OutboxJob.delivered_at.is_(None))).all()
    assert "mwanzo.notifications.tasks.deliver_email" in waiting

    # Login guessing stays limited: each web process counts failures in its own memory meanwhile.
    guesser = visitor(drills)
    answers = [form_post(guesser, f"{drills.url}/login", {"email": "guessed@example.com", "password": f"guess-{n}"},
                         allow_redirects=False).status_code for n in range(12)]
    assert 429 in answers and set(answers) <= {422, 429}, answers

    assert time.monotonic() - stopped < 30
    time.sleep(30 - (time.monotonic() - stopped))
    drills.start_redis()
    back = time.monotonic()
    drills.wait_for_email("mutua@example.com", timeout=90)
    print(f"\nRedis stopped {back - stopped:.0f} s: the verification email queued meanwhile arrived "
          f"{time.monotonic() - back:.0f} s after it was back")
