"""factory_boy factories for the models tests need; each commits so live servers see the rows."""
from __future__ import annotations

from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from mwanzo.auth.models import Role, User
from mwanzo.courses.models import Category, Course, CourseStatus, Lesson, LessonKind, Level, Section
from mwanzo.database import utcnow
from mwanzo.extensions import db

PASSWORD = "Str0ng!pass"


class BaseFactory(SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731  (the current app context's session)
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    name = factory.Sequence(lambda n: f"Test Person {n}")  # predictable: no random name matches a search
    email = factory.Sequence(lambda n: f"user{n}@example.com")
    role = Role.STUDENT
    is_email_verified = True
    password_hash = ""

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            db.session.commit()


class CategoryFactory(BaseFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    slug = factory.Sequence(lambda n: f"category-{n}")


class CourseFactory(BaseFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Course {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    description = "A **useful** course."
    short_description = "Short description"
    category_id = factory.LazyFunction(lambda: CategoryFactory().id)
    instructor_id = factory.LazyFunction(lambda: UserFactory(role=Role.INSTRUCTOR).id)
    price = Decimal("0")
    level = Level.BEGINNER
    status = CourseStatus.PUBLISHED
    published_at = factory.LazyFunction(utcnow)


class SectionFactory(BaseFactory):
    class Meta:
        model = Section

    title = factory.Sequence(lambda n: f"Section {n}")
    display_order = factory.Sequence(int)


class LessonFactory(BaseFactory):
    class Meta:
        model = Lesson

    title = factory.Sequence(lambda n: f"Lesson {n}")
    kind = LessonKind.TEXT
    body_markdown = "Read this."
    duration_seconds = 300
    display_order = factory.Sequence(int)


def user(**kwargs) -> User:
    return UserFactory(**kwargs)


def course(**kwargs) -> Course:
    return CourseFactory(**kwargs)


def category(**kwargs) -> Category:
    return CategoryFactory(**kwargs)


def section(course: Course, **kwargs) -> Section:
    return SectionFactory(course_id=course.id, **kwargs)


def lesson(section: Section, **kwargs) -> Lesson:
    return LessonFactory(course_id=section.course_id, section_id=section.id, **kwargs)


# ---------------------------------------------------------------- careers, learning records, payments

def enrollment(student: User, course: Course, status=None, **kwargs):
    """An enrolment row as it would stand after the learning services ran (committed)."""
    from mwanzo.learning.models import Enrollment, EnrollmentStatus

    row = Enrollment(student_id=student.id, course_id=course.id, status=status or EnrollmentStatus.ACTIVE,
                     activated_at=kwargs.pop("activated_at", utcnow()), **kwargs)
    db.session.add(row)
    db.session.commit()
    return row


def certificate(student: User, course: Course | None = None):
    """A completed enrolment and its certificate, issued by the real service."""
    from mwanzo.certificates.services import issue_certificate
    from mwanzo.learning.models import EnrollmentStatus

    course = course or CourseFactory()
    row = enrollment(student, course, status=EnrollmentStatus.COMPLETED, completed_at=utcnow(), progress_percent=100)
    issued = issue_certificate(row.id, row.student_id, row.course_id, row.completed_at)
    db.session.commit()
    return issued


def job(employer: User, **kwargs):
    from mwanzo.careers.models import Job, JobKind

    values = {"title": "Data clerk", "description": "Enter **data** carefully.", "location": "Nairobi",
              "kind": JobKind.FULL_TIME, "skills": ["Excel"], **kwargs}
    row = Job(employer_id=employer.id, **values)
    db.session.add(row)
    db.session.commit()
    return row


def payment(enrollment_row, amount, status, **kwargs):
    import uuid as _uuid

    from mwanzo.payments.models import Payment

    row = Payment(enrollment_id=enrollment_row.id, student_id=enrollment_row.student_id,
                  course_id=enrollment_row.course_id, amount=Decimal(amount), status=status, provider="sandbox",
                  phone_number=kwargs.pop("phone_number", "254712345678"), external_reference=_uuid.uuid4().hex, **kwargs)
    db.session.add(row)
    db.session.commit()
    return row


# ---------------------------------------------------------------- quizzes and certificates

def quiz(course: Course, **kwargs):
    from mwanzo.quizzes.models import Quiz

    quiz = Quiz(course_id=course.id, title=kwargs.pop("title", "Check your understanding"), **kwargs)
    db.session.add(quiz)
    db.session.commit()
    return quiz


def question(quiz, answers: list[tuple[str, bool]] | None = None, **kwargs):
    """answers: [(text, is_correct), ...] or, for matching, [(prompt, partner), ...]; defaults to a single-choice
    question with one right answer. ``quiz`` may be a course: the question then sits in its bank."""
    from mwanzo.courses.models import Course
    from mwanzo.quizzes.models import Answer, Question, QuestionKind

    answers = [("Right", True), ("Wrong", False)] if answers is None else answers
    if kwargs.get("kind") == QuestionKind.MATCHING:
        rows = [Answer(text=t, match_text=m, is_correct=True, display_order=i) for i, (t, m) in enumerate(answers)]
    else:
        rows = [Answer(text=t, is_correct=c, display_order=i) for i, (t, c) in enumerate(answers)]
    in_bank = isinstance(quiz, Course)
    question = Question(quiz_id=None if in_bank else quiz.id, course_id=quiz.id if in_bank else quiz.course_id,
                        text=kwargs.pop("text", "Which one is right?"), answers=rows, **kwargs)
    db.session.add(question)
    db.session.commit()
    return question


def instructor(**kwargs) -> User:
    return UserFactory(role=Role.INSTRUCTOR, **kwargs)


def draft_course(owner: User, **kwargs) -> Course:
    kwargs.setdefault("status", CourseStatus.DRAFT)
    return CourseFactory(instructor_id=owner.id, published_at=None, **kwargs)


def review(course: Course, rating: int = 5, text: str | None = None, student: User | None = None, **kwargs):
    """A review by a learner; the course's rating fields are recounted as the service does."""
    from mwanzo.courses.models import Review
    from mwanzo.catalog.services import recount_rating

    student = student or UserFactory()
    row = Review(course_id=course.id, student_id=student.id, rating=rating, text=text, **kwargs)
    db.session.add(row)
    db.session.flush()
    recount_rating(course.id)
    db.session.commit()
    return row
