"""Enrolment and course progress: who may learn, and how far they have come."""
from __future__ import annotations

import uuid

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from mwanzo.auth.models import User
from mwanzo.catalog.models import Course, CourseStatus, Lesson, LessonKind, ProcessingStatus
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus, VideoProgress
from mwanzo.notifications.services import send_email
from mwanzo.quizzes.models import Quiz, QuizAttempt
from mwanzo.urls import absolute_url


class EnrollmentError(Exception):
    pass


class EmailNotVerified(EnrollmentError):
    pass


class CourseNotAvailable(EnrollmentError):
    pass


class PaymentRequired(EnrollmentError):
    pass


def get_enrollment(student_id: uuid.UUID, course_id: uuid.UUID) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(Enrollment.student_id == student_id, Enrollment.course_id == course_id)
    )


def has_access(user: User | None, course: Course) -> bool:
    """Enrolled learners (active or completed), the course's instructor and admins."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_admin or course.instructor_id == user.id:
        return True
    enrollment = get_enrollment(user.id, course.id)
    return enrollment is not None and enrollment.grants_access


def _check_can_enrol(student: User, course: Course) -> None:
    if not student.is_email_verified:
        raise EmailNotVerified()
    if course.status != CourseStatus.PUBLISHED:
        raise CourseNotAvailable()


def _get_or_create(student: User, course: Course, status: EnrollmentStatus) -> tuple[Enrollment, bool]:
    """One row per learner and course, also when two requests race: the unique constraint decides."""
    existing = get_enrollment(student.id, course.id)
    if existing is not None:
        return existing, False
    enrollment = Enrollment(student_id=student.id, course_id=course.id, status=status)
    try:
        with db.session.begin_nested():
            db.session.add(enrollment)
    except IntegrityError:
        return get_enrollment(student.id, course.id), False
    return enrollment, True


def enroll_free(student: User, course: Course) -> Enrollment:
    """Enrol in a free course. Enrolling again returns the existing enrolment and changes nothing."""
    _check_can_enrol(student, course)
    if not course.is_free:
        raise PaymentRequired()
    enrollment, created = _get_or_create(student, course, EnrollmentStatus.PENDING_PAYMENT)
    if enrollment.status == EnrollmentStatus.PENDING_PAYMENT:
        activate_enrollment(enrollment.id)
        db.session.refresh(enrollment)
    return enrollment


def start_paid_enrollment(student: User, course: Course) -> Enrollment:
    """The enrolment a payment will activate: PENDING_PAYMENT until the money arrives."""
    _check_can_enrol(student, course)
    enrollment, _ = _get_or_create(student, course, EnrollmentStatus.PENDING_PAYMENT)
    return enrollment


def activate_enrollment(enrollment_id: uuid.UUID, allow_from_revoked: bool = False) -> bool:
    """PENDING_PAYMENT → ACTIVE exactly once (a conditional UPDATE): counts the learner and emails them.

    Returns True only for the call that made the change, so callers racing each other cannot
    count or email twice.
    """
    allowed = [EnrollmentStatus.PENDING_PAYMENT] + ([EnrollmentStatus.REVOKED] if allow_from_revoked else [])
    result = db.session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment_id, Enrollment.status.in_(allowed))
        .values(status=EnrollmentStatus.ACTIVE, activated_at=utcnow(), updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    enrollment = db.session.get(Enrollment, enrollment_id)
    db.session.refresh(enrollment)
    db.session.execute(
        update(Course).where(Course.id == enrollment.course_id)
        .values(enrollment_count=Course.enrollment_count + 1).execution_options(synchronize_session=False)
    )
    student = db.session.get(User, enrollment.student_id)
    course = db.session.get(Course, enrollment.course_id)
    send_email(student.email, "enrollment_confirmation", locale=student.locale, user=student, course=course,
               learn_url=absolute_url("catalog.course_detail", slug=course.slug))
    return True


def revoke_enrollment(enrollment: Enrollment) -> None:
    """Access ends at once; the learner stays counted in history but not in enrollment_count."""
    if enrollment.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED):
        db.session.execute(
            update(Course).where(Course.id == enrollment.course_id, Course.enrollment_count > 0)
            .values(enrollment_count=Course.enrollment_count - 1).execution_options(synchronize_session=False)
        )
    enrollment.status = EnrollmentStatus.REVOKED


def required_lessons(course_id: uuid.UUID):
    """Lessons a learner must finish: published text lessons and published, ready videos."""
    return select(Lesson.id).where(
        Lesson.course_id == course_id,
        Lesson.is_published.is_(True),
        (Lesson.kind == LessonKind.TEXT) | (Lesson.processing_status == ProcessingStatus.READY),
    )


def progress_counts(enrollment: Enrollment) -> tuple[int, int]:
    """(completed, total) over required lessons and required quizzes."""
    lessons = required_lessons(enrollment.course_id).subquery()
    total_lessons = db.session.scalar(select(func.count()).select_from(lessons))
    done_lessons = db.session.scalar(
        select(func.count()).select_from(VideoProgress).where(
            VideoProgress.student_id == enrollment.student_id,
            VideoProgress.completed.is_(True),
            VideoProgress.lesson_id.in_(select(lessons.c.id)),
        )
    )
    quizzes = select(Quiz.id).where(Quiz.course_id == enrollment.course_id, Quiz.is_required.is_(True))
    total_quizzes = db.session.scalar(select(func.count()).select_from(quizzes.subquery()))
    passed_quizzes = db.session.scalar(
        select(func.count()).select_from(Quiz).where(
            Quiz.id.in_(quizzes),
            exists().where(and_(QuizAttempt.quiz_id == Quiz.id, QuizAttempt.student_id == enrollment.student_id,
                                QuizAttempt.passed.is_(True))),
        )
    )
    return done_lessons + passed_quizzes, total_lessons + total_quizzes


def refresh_progress(enrollment: Enrollment) -> Enrollment:
    """Recompute progress_percent; at 100 % the enrolment becomes COMPLETED (once), the learner is
    emailed and the certificate is issued."""
    completed, total = progress_counts(enrollment)
    enrollment.progress_percent = 100 if total and completed >= total else (100 * completed // total if total else 0)
    enrollment.last_activity_at = utcnow()
    db.session.flush()
    if total and completed >= total and enrollment.status == EnrollmentStatus.ACTIVE:
        result = db.session.execute(
            update(Enrollment)
            .where(Enrollment.id == enrollment.id, Enrollment.status == EnrollmentStatus.ACTIVE)
            .values(status=EnrollmentStatus.COMPLETED, completed_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        db.session.refresh(enrollment)
        if result.rowcount == 1:
            on_course_completed(enrollment)
    return enrollment


def on_course_completed(enrollment: Enrollment) -> None:
    from mwanzo.certificates.services import issue_certificate

    certificate = issue_certificate(enrollment)
    student = db.session.get(User, enrollment.student_id)
    course = db.session.get(Course, enrollment.course_id)
    send_email(student.email, "course_completed", locale=student.locale, user=student, course=course,
               certificate=certificate,
               certificate_url=absolute_url("certificates.certificate_detail", code=certificate.verification_code))


def course_outline(course_id: uuid.UUID):
    """Sections with their published lessons, in order (two queries)."""
    from sqlalchemy.orm import selectinload

    from mwanzo.catalog.models import Section

    return db.session.scalars(
        select(Section).where(Section.course_id == course_id).order_by(Section.display_order)
        .options(selectinload(Section.lessons))
    ).all()


def resume_lesson(user: User | None, course: Course) -> Lesson | None:
    """Where a learner picks up: the last lesson they opened, else the first lesson."""
    if user is not None and user.is_authenticated:
        enrollment = get_enrollment(user.id, course.id)
        if enrollment is not None and enrollment.last_lesson_id:
            lesson = db.session.get(Lesson, enrollment.last_lesson_id)
            if lesson is not None and lesson.is_published:
                return lesson
    for section in course_outline(course.id):
        for lesson in section.lessons:
            if lesson.is_published:
                return lesson
    return None
