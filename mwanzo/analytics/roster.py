"""An instructor's roster of one course: each learner with access, their progress, last activity, best
score per quiz and certificate. A page of learners costs three queries however many there are (the
enrolments with their learners, the page's quiz scores, the page's certificates).

"Stuck" means not completed and no activity (or, never started, no activity since enrolling) for
STUCK_AFTER."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from mwanzo.certificates.models import Certificate
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.quizzes.models import Quiz, QuizAttempt

STUCK_AFTER = timedelta(days=7)


@dataclass
class RosterRow:
    enrollment: Enrollment
    scores: list[tuple[str, Decimal]] = field(default_factory=list)  # (quiz title, best score), in quiz order
    certificate_code: str | None = None

    @property
    def last_activity(self) -> datetime | None:
        return self.enrollment.last_activity_at or self.enrollment.activated_at


def last_seen():
    return func.coalesce(Enrollment.last_activity_at, Enrollment.activated_at, Enrollment.created_at)


def roster_query(course_id: uuid.UUID, stuck: bool = False, now: datetime | None = None) -> Select:
    """The course's learners with access, the longest idle first (so the stuck top the list)."""
    stmt = (select(Enrollment)
            .where(Enrollment.course_id == course_id,
                   Enrollment.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)))
            .options(joinedload(Enrollment.student))
            .order_by(last_seen(), Enrollment.id))
    if stuck:
        stmt = stmt.where(Enrollment.status == EnrollmentStatus.ACTIVE, last_seen() < (now or utcnow()) - STUCK_AFTER)
    return stmt


def roster_rows(course_id: uuid.UUID, enrollments) -> list[RosterRow]:
    """Scores and certificates for these enrolments of one course: two queries."""
    rows = {e.student_id: RosterRow(e) for e in enrollments}
    if not rows:
        return []
    best = db.session.execute(
        select(QuizAttempt.student_id, Quiz.title, func.max(QuizAttempt.score))
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(Quiz.course_id == course_id, QuizAttempt.student_id.in_(rows), QuizAttempt.score.is_not(None))
        .group_by(QuizAttempt.student_id, Quiz.id, Quiz.title, Quiz.display_order)
        .order_by(Quiz.display_order, Quiz.title)
    ).all()
    for student_id, title, score in best:
        rows[student_id].scores.append((title, Decimal(score)))
    for student_id, code in db.session.execute(
            select(Certificate.student_id, Certificate.verification_code)
            .where(Certificate.course_id == course_id, Certificate.student_id.in_(rows),
                   Certificate.revoked_at.is_(None))):
        rows[student_id].certificate_code = code
    return list(rows.values())


def csv_rows(course_id: uuid.UUID, stuck: bool = False) -> list[list]:
    """Every learner (not one page) as spreadsheet rows."""
    rows = roster_rows(course_id, db.session.scalars(roster_query(course_id, stuck)).unique().all())
    return [[r.enrollment.student.name, r.enrollment.student.email, r.enrollment.status.value,
             r.enrollment.progress_percent, r.last_activity.isoformat(timespec="minutes") if r.last_activity else "",
             "; ".join(f"{title}: {float(score):g}" for title, score in r.scores), r.certificate_code or ""]
            for r in rows]
