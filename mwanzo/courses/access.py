"""A course and its parts for the pages that only its instructor (or an admin) may open: the studio's course
builder, quiz builder and analytics, and the admin's review pages. Another instructor's course, and every
section, lesson, quiz and question in it, answers 404 there, as an id that does not exist does."""
from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from mwanzo.auth.access import owned_or_404
from mwanzo.courses.models import Course, Lesson, Section
from mwanzo.extensions import db


def owned_course(course_id: uuid.UUID, with_curriculum: bool = False) -> Course:
    """The course with its category (and, if asked, its sections and lessons), or 404."""
    query = select(Course).where(Course.id == course_id).options(selectinload(Course.category))
    if with_curriculum:
        query = query.options(selectinload(Course.sections).selectinload(Section.lessons))
    return owned_or_404(db.session.scalar(query), lambda course: course.instructor_id)


def owned_part(model: type[Section] | type[Lesson], item_id: uuid.UUID):
    """A section or lesson of a course the user may edit, or 404."""
    item = db.get_or_404(model, item_id)
    owned_course(item.course_id)
    return item


def owned_section(section_id: uuid.UUID) -> Section:
    return owned_part(Section, section_id)


def owned_lesson(lesson_id: uuid.UUID) -> Lesson:
    return owned_part(Lesson, lesson_id)
