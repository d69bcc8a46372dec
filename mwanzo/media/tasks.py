"""Background jobs for lesson videos. Each takes ids, reloads its rows and is safe to run twice."""
from __future__ import annotations

import logging
import tempfile
import uuid
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update

from mwanzo.courses.models import Lesson, ProcessingStatus
from mwanzo.courses.services import recompute_course_counters
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.jobs import job
from mwanzo.jobs.tasks import delete_stored_files
from mwanzo.media import services
from mwanzo.storage import get_storage

log = logging.getLogger(__name__)


@job(queue="transcode")
def transcode_lesson(lesson_id: str) -> None:
    """UPLOADED → PROCESSING → READY or FAILED. A crash (worker killed, storage down) leaves the lesson
    PROCESSING and raises, so the queue's retry or the sweeper runs it again from the start."""
    lesson = db.session.get(Lesson, uuid.UUID(lesson_id))
    if lesson is None or not lesson.source_key or lesson.processing_status not in (
            ProcessingStatus.UPLOADED, ProcessingStatus.PROCESSING):
        return  # already finished, failed for good, or replaced: nothing to do
    source_key = lesson.source_key
    services.set_processing_status(lesson, ProcessingStatus.PROCESSING)
    db.session.commit()

    def report(percent: int) -> None:
        db.session.execute(update(Lesson).where(Lesson.id == lesson.id, Lesson.source_key == source_key)
                           .values(processing_progress=percent, updated_at=utcnow()))
        db.session.commit()

    try:
        with tempfile.TemporaryDirectory(prefix="mwanzo-transcode-") as tmp:
            result = services.transcode_source(source_key, Path(tmp), report)
    except services.TranscodeFailed as exc:
        db.session.rollback()
        lesson = db.session.get(Lesson, lesson.id)
        if lesson is not None and lesson.source_key == source_key:
            services.set_processing_status(lesson, ProcessingStatus.FAILED, str(exc))
            db.session.commit()
        return
    except Exception:
        db.session.rollback()
        lesson = db.session.get(Lesson, lesson.id)
        if lesson is not None and lesson.processing_attempts >= current_app.config["MEDIA_MAX_ATTEMPTS"]:
            services.set_processing_status(lesson, ProcessingStatus.FAILED,
                                           _("Processing failed several times. Try uploading the video again."))
            db.session.commit()
            log.exception("transcode of lesson %s failed for good", lesson_id)
            return
        raise

    lesson = db.session.get(Lesson, lesson.id, populate_existing=True)
    if lesson is None or lesson.source_key != source_key:
        get_storage().delete_prefix(result.prefix)  # re-uploaded (or deleted) while we worked
        return
    previous = services.finish_transcode(lesson, result)
    recompute_course_counters(lesson.course_id)
    db.session.commit()
    if previous:
        delete_stored_files(previous)  # after the commit; kept if a duplicated course still plays it


@job()  # on a timer: mwanzo/tasks.py SCHEDULE
def sweep_stale_lessons() -> None:
    counts = services.sweep_stale_lessons()
    db.session.commit()
    if any(counts.values()):
        log.warning("stale lessons swept: %s", counts)
