"""A transcode that dies half-way is run again; lessons stuck in PROCESSING never stay stuck."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from mwanzo import jobs
from mwanzo.courses.models import Lesson, LessonKind, ProcessingStatus
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.media import tasks
from mwanzo.storage import get_storage
from tests.media.clips import make_clip
from tests.processes import wait_for


@pytest.fixture(scope="module")
def long_clip(tmp_path_factory):
    """Long enough (a few seconds of encoding) to be interrupted mid-way."""
    return make_clip(tmp_path_factory.mktemp("long") / "long.mp4", seconds=12, size="480x272", rate=25)


def uploaded_lesson(make, clip: Path) -> Lesson:
    """A lesson whose upload was accepted but whose job has not run yet."""
    lesson = make.lesson(make.section(make.draft_course(make.instructor())), kind=LessonKind.VIDEO,
                         body_markdown=None, duration_seconds=0)
    key = f"lessons/{lesson.id}/v1/source.mp4"
    get_storage().save(key, clip, "video/mp4")
    lesson.source_key, lesson.processing_status = key, ProcessingStatus.UPLOADED
    db.session.commit()
    return lesson


def reload(lesson_id) -> Lesson:
    db.session.expire_all()
    return db.session.get(Lesson, lesson_id)


def ffmpeg_pids_for(lesson_id) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "ffmpeg" in cmdline and f"lessons/{lesson_id}/" in cmdline and "-progress" in cmdline:
                pids.append(int(entry.name))
    return pids


def test_ffmpeg_killed_mid_job_is_retried_by_the_runner(app, make, long_clip, settings):
    lesson_id = uploaded_lesson(make, long_clip).id
    killed = []

    def kill_first_ffmpeg():
        if wait_for(lambda: ffmpeg_pids_for(lesson_id)):
            time.sleep(0.3)  # let it write some segments first
            for pid in ffmpeg_pids_for(lesson_id):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)

    watcher = threading.Thread(target=kill_first_ffmpeg)
    watcher.start()
    settings(JOB_RUNNER="thread", THREAD_RETRY_SLEEP=False)  # the runner that retries in-process
    jobs.enqueue(tasks.transcode_lesson, str(lesson_id))
    db.session.commit()
    jobs.wait_for_background_jobs(app, timeout=120)
    watcher.join()
    assert killed, "the test never saw ffmpeg running"
    lesson = reload(lesson_id)
    assert lesson.processing_status == ProcessingStatus.READY, lesson.processing_error
    assert lesson.processing_attempts == 2 and lesson.duration_seconds == 12
    assert [r["name"] for r in lesson.renditions] == ["144p", "240p", "audio"]


def test_worker_killed_mid_job_is_swept_back_to_the_queue_and_finishes(app, make, long_clip, database_url, settings):
    lesson = uploaded_lesson(make, long_clip)
    env = {**os.environ, "DATABASE_URL": database_url, "MEDIA_ROOT": app.config["MEDIA_ROOT"],
           "SECRET_KEY": app.config["SECRET_KEY"], "JOB_RUNNER": "sync", "REDIS_URL": ""}
    worker = subprocess.Popen(
        [sys.executable, "-c", "from mwanzo import create_app, jobs\nwith create_app().app_context():\n"
                               f"    jobs.run_task({jobs.task_name(tasks.transcode_lesson)!r}, {str(lesson.id)!r})"],
        env=env, start_new_session=True, cwd=Path(__file__).parents[2])
    try:
        assert wait_for(lambda: reload(lesson.id).processing_progress >= 5), "the worker never made progress"
    finally:
        os.killpg(worker.pid, signal.SIGKILL)  # the worker and its ffmpeg die, as in a crash or OOM kill
        worker.wait()
    stuck = reload(lesson.id)
    assert stuck.processing_status == ProcessingStatus.PROCESSING and 5 <= stuck.processing_progress < 100

    settings(MEDIA_STALL_SECONDS=0)
    tasks.sweep_stale_lessons()  # requeues; the sync runner runs it at commit
    lesson = reload(lesson.id)
    assert lesson.processing_status == ProcessingStatus.READY and lesson.processing_attempts == 2


def test_sweeper_fails_lessons_out_of_attempts_and_leaves_live_jobs_alone(app, make, clip):
    stuck = uploaded_lesson(make, clip)
    live = uploaded_lesson(make, clip)
    long_ago = utcnow() - timedelta(hours=2)
    db.session.execute(update(Lesson).where(Lesson.id == stuck.id).values(
        processing_status=ProcessingStatus.PROCESSING, processing_attempts=3, updated_at=long_ago))
    db.session.execute(update(Lesson).where(Lesson.id == live.id).values(
        processing_status=ProcessingStatus.PROCESSING, processing_attempts=1, processing_progress=40))
    db.session.commit()
    tasks.sweep_stale_lessons()
    stuck, live = reload(stuck.id), reload(live.id)
    assert stuck.processing_status == ProcessingStatus.FAILED and "without finishing" in stuck.processing_error
    assert live.processing_status == ProcessingStatus.PROCESSING and live.processing_progress == 40

