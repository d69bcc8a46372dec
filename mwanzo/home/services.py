"""The learner's dashboard: where to pick up, their courses, payments waiting and certificates."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlalchemy.orm import joinedload

from mwanzo.auth.models import User
from mwanzo.certificates.models import Certificate
from mwanzo.courses.models import Course, Lesson
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus, VideoProgress
from mwanzo.payments.models import Payment, PaymentStatus


@dataclass
class Dashboard:
    resume: tuple | None  # (VideoProgress, Lesson, Course)
    active: list[Enrollment]
    completed: list[Enrollment]
    pending_payments: list
    certificates: list


def dashboard_for(user: User) -> Dashboard:
    """Five queries whatever the number of courses."""
    enrollments = db.session.scalars(
        select(Enrollment).where(Enrollment.student_id == user.id,
                                 Enrollment.status.in_([EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED]))
        .options(joinedload(Enrollment.course)).order_by(Enrollment.last_activity_at.desc().nulls_last(),
                                                         Enrollment.created_at.desc())
    ).all()
    resume = db.session.execute(
        select(VideoProgress, Lesson, Course)
        .join(Lesson, Lesson.id == VideoProgress.lesson_id).join(Course, Course.id == Lesson.course_id)
        .join(Enrollment, and_(Enrollment.course_id == Course.id, Enrollment.student_id == user.id))
        .where(VideoProgress.student_id == user.id, Lesson.is_published.is_(True),
               Enrollment.status.in_([EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED]))
        .order_by(VideoProgress.updated_at.desc()).limit(1)
    ).first()
    payments = db.session.scalars(
        select(Payment).where(Payment.student_id == user.id, Payment.status == PaymentStatus.PENDING)
        .options(joinedload(Payment.course)).order_by(Payment.created_at.desc())
    ).all()
    certificates = db.session.scalars(
        select(Certificate).where(Certificate.student_id == user.id, Certificate.revoked_at.is_(None))
        .order_by(Certificate.issued_at.desc())
    ).all()
    return Dashboard(
        resume=tuple(resume) if resume else None,
        active=[e for e in enrollments if e.status == EnrollmentStatus.ACTIVE],
        completed=[e for e in enrollments if e.status == EnrollmentStatus.COMPLETED],
        pending_payments=list(payments),
        certificates=list(certificates),
    )
