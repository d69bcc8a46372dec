"""Rules written once: the "lesson is ready" rule agrees in Python and SQL, every enum shown to users has
a label in both languages, and slugs come from one function."""
from __future__ import annotations

import enum

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from mwanzo.auth.models import Role
from mwanzo.careers.models import ApplicationStatus, JobKind
from mwanzo.courses.models import CourseStatus, Lesson, LessonKind, Level, ProcessingStatus
from mwanzo.extensions import db
from mwanzo.labels import label
from mwanzo.learning.services import required_lessons
from mwanzo.payments.models import PaymentStatus
from mwanzo.quizzes.models import QuestionKind
from mwanzo.slugs import slugify
from mwanzo.studio.services import recompute_course_counters

LABELLED = (Role, Level, CourseStatus, LessonKind, ProcessingStatus, QuestionKind, JobKind, ApplicationStatus,
            PaymentStatus)


def test_python_and_sql_agree_on_which_lessons_are_ready(app, make):
    course = make.course()
    section = make.section(course)
    cases = {
        "text with content": dict(kind=LessonKind.TEXT, body_markdown="Read this."),
        "blank text": dict(kind=LessonKind.TEXT, body_markdown=" \n\t "),
        "no text": dict(kind=LessonKind.TEXT, body_markdown=None),
        "unpublished text": dict(kind=LessonKind.TEXT, is_published=False),
        "processed video": dict(kind=LessonKind.VIDEO, processing_status=ProcessingStatus.READY, body_markdown=None),
        "video in progress": dict(kind=LessonKind.VIDEO, processing_status=ProcessingStatus.PROCESSING),
        "unpublished video": dict(kind=LessonKind.VIDEO, processing_status=ProcessingStatus.READY, is_published=False),
    }
    lessons = {name: make.lesson(section, title=name, **fields) for name, fields in cases.items()}
    db.session.flush()

    in_python = {name for name, lesson in lessons.items() if lesson.is_ready}
    in_sql = set(db.session.scalars(select(Lesson.title).where(Lesson.course_id == course.id, Lesson.is_ready)))
    required = set(db.session.scalars(select(Lesson.title).where(Lesson.id.in_(required_lessons(course.id)))))
    recompute_course_counters(course.id)

    assert in_python == in_sql == required == {"text with content", "processed video"}
    assert course.lecture_count == 2


@pytest.mark.parametrize("enum_cls", LABELLED, ids=lambda cls: cls.__name__)
def test_every_status_and_kind_has_a_label_in_both_languages(app, enum_cls: type[enum.Enum]):
    with app.test_request_context():
        for member in enum_cls:
            english = str(label(member))
            with force_locale("sw"):
                swahili = str(label(member))
            assert english and english != member.value
            assert swahili and swahili != english or english in ("Video", "Text (Markdown)")


def test_a_stored_value_is_labelled_through_its_enum_name(app):
    with app.test_request_context():
        assert str(label("TRUE_FALSE", "QuestionKind")) == "True / false"
        assert label("free text") == "free text"


def test_one_slug_rule_for_courses_and_categories():
    assert slugify("Excel for Small Business!") == "excel-for-small-business"
    assert slugify("¿¡!", fallback="course") == "course"
    assert len(slugify("a" * 300, max_length=100)) == 100
