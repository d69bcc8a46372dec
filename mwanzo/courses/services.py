"""Rules of course content that more than one domain applies: what a course totals (when a lesson counts is
Lesson.is_ready, in the model, so SQL queries share it)."""
from __future__ import annotations

import math
import uuid

from sqlalchemy import select

from mwanzo.courses.models import Course, Lesson
from mwanzo.extensions import db


def recompute_course_counters(course_id: uuid.UUID) -> None:
    """lecture_count and duration_minutes from the lessons learners can take (the one place they change)."""
    lessons = db.session.scalars(select(Lesson).where(Lesson.course_id == course_id)).all()
    ready = [lesson for lesson in lessons if lesson.is_ready]
    course = db.session.get(Course, course_id)
    if course is None:
        return
    course.lecture_count = len(ready)
    course.duration_minutes = math.ceil(sum(lesson.duration_seconds for lesson in ready) / 60)
    db.session.flush()
