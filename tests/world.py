"""One of every record the URL map names, for the tests and bench scripts that walk every route."""
from __future__ import annotations

from decimal import Decimal

from mwanzo.auth.models import Role
from mwanzo.careers import services as careers
from mwanzo.courses.models import LessonKind
from mwanzo.extensions import db
from mwanzo.learning.models import EnrollmentStatus
from mwanzo.payments.models import PaymentStatus
from mwanzo.quizzes import services as quizzes
from tests import factories as make
from tests.learning.media_fixtures import ready_video_lesson


def one_of_everything():
    """(values for every URL variable, users by role): one of each record, made the way the app makes them.
    tests/web/test_hostile_input.py sends hostile input to every URL with them; bench/page_sizes.py weighs
    every page with them."""
    student = make.user(role=Role.STUDENT)
    instructor = make.instructor()
    employer = make.user(role=Role.EMPLOYER)
    admin = make.user(role=Role.ADMIN)
    category = make.category()
    course = make.course(instructor_id=instructor.id, category_id=category.id, price=Decimal("500"))
    section = make.section(course)
    video = ready_video_lesson(section, title="Video")
    make.lesson(section, title="Reading", kind=LessonKind.TEXT)
    enrolment = make.enrollment(student, course, status=EnrollmentStatus.ACTIVE)
    payment = make.payment(enrolment, "500", PaymentStatus.SUCCESS)
    certificate = make.certificate(student)
    quiz = make.quiz(course)
    question = make.question(quiz)
    attempt = quizzes.start_attempt(quiz, student)
    job = make.job(employer)
    application = careers.apply(job, student, "Hello", [certificate.id])
    db.session.commit()
    values = {
        "user_id": student.id, "category_id": category.id, "course_id": course.id, "job_id": job.id,
        "application_id": application.id, "slug": course.slug, "code": certificate.verification_code,
        "lesson_id": video.id, "section_id": section.id, "payment_id": payment.id, "quiz_id": quiz.id,
        "question_id": question.id, "attempt_id": attempt.id, "token": "token", "name": "index.m3u8",
        "version": "1", "width": 320, "ext": "webp", "key": "lessons/x", "filename": "css/app.css",
    }
    users = {None: None, Role.STUDENT: student, Role.INSTRUCTOR: instructor, Role.EMPLOYER: employer,
             Role.ADMIN: admin}
    return values, users
