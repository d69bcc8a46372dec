"""The production path: the upload's job goes through real Redis to an RQ worker."""
from __future__ import annotations

import io
import uuid

import pytest
from rq import SimpleWorker

from mwanzo import jobs
from mwanzo.courses.models import Lesson, LessonKind, ProcessingStatus
from mwanzo.extensions import db

pytestmark = pytest.mark.redis


@pytest.fixture
def rq_app(app, redis_url, settings):
    settings(JOB_RUNNER="rq", REDIS_URL=redis_url, RQ_QUEUE_PREFIX=f"test-{uuid.uuid4().hex[:8]}-")
    yield app
    for name in jobs.QUEUES:
        jobs.rq_queue(name).empty()


def work(queue_name: str) -> None:
    queue = jobs.rq_queue(queue_name)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)


def test_upload_is_transcoded_by_an_rq_worker(rq_app, client, make, login, clip):
    owner = login(make.instructor())
    lesson = make.lesson(make.section(make.draft_course(owner)), kind=LessonKind.VIDEO, body_markdown=None)
    response = client.post(f"/studio/lessons/{lesson.id}/video", data={"video": (io.BytesIO(clip.read_bytes()), "a.mp4")},
                           content_type="multipart/form-data")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Lesson, lesson.id).processing_status == ProcessingStatus.UPLOADED  # waiting in Redis
    assert jobs.rq_queue("transcode").count == 1
    work("transcode")
    db.session.expire_all()
    lesson = db.session.get(Lesson, lesson.id)
    assert lesson.processing_status == ProcessingStatus.READY and lesson.processing_attempts == 1
    work("transcode")  # nothing left; running the task again would change nothing
    db.session.expire_all()
    assert db.session.get(Lesson, lesson.id).processing_attempts == 1
