"""factory_boy factories for the models tests need; each commits so live servers see the rows."""
from __future__ import annotations

from decimal import Decimal

import factory
from factory.alchemy import SQLAlchemyModelFactory

from mwanzo.auth.models import Role, User
from mwanzo.catalog.models import Category, Course, CourseStatus, Lesson, LessonKind, Level, Section
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

    name = factory.Faker("name")
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


# ---------------------------------------------------------------- catalog: enrolments and reviews

def enrollment(student: User, course: Course, **kwargs):
    from mwanzo.learning.models import Enrollment, EnrollmentStatus

    row = Enrollment(student_id=student.id, course_id=course.id, status=kwargs.pop("status", EnrollmentStatus.ACTIVE),
                     **kwargs)
    db.session.add(row)
    db.session.commit()
    return row


def review(course: Course, rating: int = 5, text: str | None = None, student: User | None = None, **kwargs):
    """A review by an enrolled learner; the course's rating fields are recounted as the service does."""
    from mwanzo.catalog.models import Review
    from mwanzo.catalog.services import recount_rating

    student = student or UserFactory()
    row = Review(course_id=course.id, student_id=student.id, rating=rating, text=text, **kwargs)
    db.session.add(row)
    db.session.flush()
    recount_rating(course.id)
    db.session.commit()
    return row
