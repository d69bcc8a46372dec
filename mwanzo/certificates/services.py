"""Certificates: issued once per completed enrolment, verifiable by anyone with the code."""
from __future__ import annotations

import secrets
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mwanzo.auth.models import User
from mwanzo.catalog.models import Course
from mwanzo.certificates.models import Certificate
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment

# No 0/O, 1/I/L: a code read aloud over the phone is typed right the first time.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_verification_code() -> str:
    """MWZ-XXXX-XXXX: 8 random symbols from 31, about 8.5 × 10^11 codes."""
    symbols = "".join(secrets.choice(CODE_ALPHABET) for _ in range(8))
    return f"MWZ-{symbols[:4]}-{symbols[4:]}"


def normalise_code(raw: str) -> str:
    compact = "".join(ch for ch in (raw or "").upper() if ch.isalnum())
    if compact.startswith("MWZ"):
        compact = compact[3:]
    return f"MWZ-{compact[:4]}-{compact[4:]}" if len(compact) == 8 else (raw or "").strip().upper()


def certificate_for_enrollment(enrollment_id) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.enrollment_id == enrollment_id))


def issue_certificate(enrollment: Enrollment) -> Certificate:
    """Issue the enrolment's certificate, or return the one it already has (also under a race:
    the unique enrollment_id decides)."""
    existing = certificate_for_enrollment(enrollment.id)
    if existing is not None:
        return existing
    student = db.session.get(User, enrollment.student_id)
    course = db.session.get(Course, enrollment.course_id)
    instructor = db.session.get(User, course.instructor_id)
    completed_at = enrollment.completed_at or utcnow()
    certificate = Certificate(
        enrollment_id=enrollment.id, student_id=student.id, course_id=course.id,
        verification_code=new_verification_code(), learner_name=student.name, course_title=course.title,
        instructor_name=instructor.name, completed_on=completed_at.date(),
        content_hours=(Decimal(course.duration_minutes) / 60).quantize(Decimal("0.1")), issued_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(certificate)
    except IntegrityError:
        return certificate_for_enrollment(enrollment.id)
    return certificate


def find_by_code(raw_code: str) -> Certificate | None:
    return db.session.scalar(select(Certificate).where(Certificate.verification_code == normalise_code(raw_code)))
