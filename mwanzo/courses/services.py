"""Rules of course content that more than one domain applies: what a course totals (when a lesson counts is
Lesson.is_ready, in the model, so SQL queries share it)."""
from __future__ import annotations

import math
import uuid

from sqlalchemy import delete, exists, func, literal, or_, select
from sqlalchemy.orm import aliased

from mwanzo import cache
from mwanzo.courses.models import Course, CourseStatus, FormerSlug, Lesson, LessonCaption, LessonResource
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
    cache.bump_course(course_id)  # lessons change with their counters: the curriculum too


def change_slug(course: Course, slug: str) -> None:
    """Give the course a new address, keeping the old one as a former slug that redirects here. A slug
    belongs to the course that held it last, so recording it replaces whatever course held it before."""
    if slug == course.slug:
        return
    db.session.execute(delete(FormerSlug).where(FormerSlug.slug.in_((course.slug, slug))))
    db.session.add(FormerSlug(slug=course.slug, course_id=course.id))
    course.slug = slug


def current_slug_for(former: str) -> str | None:
    """The current slug of the course last reached at ``former``, or None: when no course had it, or when a
    course holds it now (a draft too: the address is that course's, even for visitors who may not see it)."""
    holder = aliased(Course)
    return db.session.scalar(
        select(Course.slug).join(FormerSlug, FormerSlug.course_id == Course.id)
        .where(FormerSlug.slug == former, ~exists().where(holder.slug == former)))


def course_matches(text: str):
    """The SQL condition of a course filter typed as text (list pages never list every course): the course at
    that address (slug), or every course whose title contains the text, in any case."""
    wanted = text.strip().lower()
    return or_(Course.slug == wanted, func.lower(Course.title).contains(wanted, autoescape=True))


def published_courses_named(lines) -> tuple[list[Course], list[str]]:
    """Each line names one published course by its address (slug) or its full title, in any case. Returns the
    courses found (in the order given, once each) and the lines that name none. One query."""
    wanted = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
    if not wanted:
        return [], []
    lowered = [line.lower() for line in wanted]
    rows = db.session.scalars(select(Course).where(
        Course.status == CourseStatus.PUBLISHED, or_(Course.slug.in_(lowered), func.lower(Course.title).in_(lowered))
    ).order_by(Course.created_at, Course.id)).all()
    by_key: dict[str, Course] = {}
    for course in rows:
        by_key.setdefault(course.slug, course)
        by_key.setdefault(course.title.lower(), course)
    found: dict = {}
    unknown = []
    for line, key in zip(wanted, lowered):
        if key in by_key:
            found.setdefault(by_key[key].id, by_key[key])
        else:
            unknown.append(line)
    return list(found.values()), unknown


def stored_files_in_use(prefix: str) -> bool:
    """Whether a lesson, its captions or its files still name a stored key at or below ``prefix`` (or a
    lesson's media folder holds it): a duplicated course shares its original's files, so removing one
    copy's files asks here first (jobs.tasks.delete_stored_files). LIKE's "_" may match more: that keeps a
    file, never loses one."""
    prefix = prefix.rstrip("/")
    below = prefix + "/%"

    def names(column):
        return or_(column == prefix, column.like(below))

    in_lessons = exists().where(or_(names(Lesson.media_prefix), literal(prefix).like(Lesson.media_prefix + "/%"),
                                    names(Lesson.source_key), names(Lesson.download_key), names(Lesson.poster_key)))
    return bool(db.session.scalar(select(or_(in_lessons, exists().where(names(LessonCaption.key)),
                                             exists().where(names(LessonResource.key))))))
