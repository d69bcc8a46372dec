"""Rules of course content that more than one domain applies: when a lesson counts, what a course totals."""
from __future__ import annotations

import math
import uuid

from sqlalchemy import select

from mwanzo import cache
from mwanzo.courses.models import Course, Lesson, LessonKind, ProcessingStatus
from mwanzo.extensions import db


def lesson_is_ready(lesson: Lesson) -> bool:
    """A learner can take it: a published text lesson, or a published video that finished processing."""
    if not lesson.is_published:
        return False
    if lesson.kind == LessonKind.TEXT:
        return bool((lesson.body_markdown or "").strip())
    return lesson.processing_status == ProcessingStatus.READY


def recompute_course_counters(course_id: uuid.UUID) -> None:
    """lecture_count and duration_minutes from the lessons learners can take (the one place they change)."""
    lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course_id)).all()
    ready = [lesson for lesson in lessons if lesson_is_ready(lesson)]
    course = db.session.get(Course, course_id)
    if course is None:
        return
    course.lecture_count = len(ready)
    course.duration_minutes = math.ceil(sum(lesson.duration_seconds for lesson in ready) / 60)
    db.session.flush()
    cache.bump_course(course_id)  # lessons change with their counters: the curriculum too
