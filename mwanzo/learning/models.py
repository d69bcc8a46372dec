from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mwanzo.auth.models import User
from mwanzo.courses.models import Course, Lesson
from mwanzo.database import TimestampedModel, str_enum


class EnrollmentStatus(enum.StrEnum):
    PENDING_PAYMENT = "PENDING_PAYMENT"
    ACTIVE = "ACTIVE"
    COMPLETED = "COMPLETED"
    REVOKED = "REVOKED"


class Enrollment(TimestampedModel):
    __tablename__ = "enrollments"
    __table_args__ = (
        sa.UniqueConstraint("student_id", "course_id", name="uq_enrollments_student_course"),
        sa.CheckConstraint("progress_percent >= 0 AND progress_percent <= 100", name="progress_range"),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id"), index=True)
    status: Mapped[EnrollmentStatus] = mapped_column(str_enum(EnrollmentStatus), index=True)
    progress_percent: Mapped[int] = mapped_column(default=0)
    activated_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    last_lesson_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("lessons.id", ondelete="SET NULL"))
    last_activity_at: Mapped[datetime | None]

    student: Mapped[User] = relationship(lazy="raise_on_sql")
    course: Mapped[Course] = relationship(lazy="raise_on_sql")
    last_lesson: Mapped[Lesson | None] = relationship(lazy="raise_on_sql")

    @property
    def grants_access(self) -> bool:
        return self.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)


class VideoProgress(TimestampedModel):
    """A learner's progress in one lesson (video position, or completion of a text lesson)."""

    __tablename__ = "video_progress"
    __table_args__ = (sa.UniqueConstraint("student_id", "lesson_id", name="uq_video_progress_student_lesson"),)

    student_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    lesson_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("lessons.id", ondelete="CASCADE"), index=True)
    position_seconds: Mapped[int] = mapped_column(default=0)
    watched_seconds: Mapped[int] = mapped_column(default=0)
    # The server time watched seconds have been credited up to (a little ahead of the last save while the
    # slack it borrowed is owed): watched time grows no faster than the clock.
    last_reported_at: Mapped[datetime | None]
    completed: Mapped[bool] = mapped_column(default=False)
    completed_at: Mapped[datetime | None]


class SectionRelease(TimestampedModel):
    """When a section opens to a learner (release conditions, checked by mwanzo.learning.release): every
    condition set must hold: the earlier section finished (all its ready lessons completed), the quiz
    passed, ``days_after_enrolment`` days gone since the learner's enrolment began (drip), and the
    moment ``opens_at`` (UTC; the studio takes it in Nairobi time) reached, the same for everyone."""

    __tablename__ = "section_releases"
    __table_args__ = (
        sa.CheckConstraint("days_after_enrolment IS NULL OR days_after_enrolment >= 0",
                           name="days_not_negative"),
    )

    section_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("sections.id", ondelete="CASCADE"), unique=True)
    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    after_section_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("sections.id", ondelete="SET NULL"))
    quiz_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="SET NULL"))
    days_after_enrolment: Mapped[int | None]
    opens_at: Mapped[datetime | None]
