from __future__ import annotations

import enum
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mwanzo.auth.models import User
from mwanzo.database import TimestampedModel, str_enum

# The text search configuration for questions: "simple" (no stemming), since learners write in Swahili
# and English alike. The service writes the vector when the question is posted (PostgreSQL only).
SEARCH_CONFIG = "simple"


class Moderated:
    """Hidden by a moderator: others read "removed by a moderator", the author still sees it and why."""

    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(sa.Text)

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class CourseQuestion(Moderated, TimestampedModel):
    __tablename__ = "course_questions"
    __table_args__ = (
        sa.Index("ix_course_questions_course_created", "course_id", "created_at"),
        sa.Index("ix_course_questions_search_vector", "search_vector", postgresql_using="gin"),
        sa.CheckConstraint("vote_count >= 0", name="vote_count_not_negative"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    lesson_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("lessons.id", ondelete="SET NULL"), index=True)
    author_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    vote_count: Mapped[int] = mapped_column(default=0)
    answer_count: Mapped[int] = mapped_column(default=0)
    is_answered: Mapped[bool] = mapped_column(default=False)  # an answer was accepted
    search_vector: Mapped[str | None] = mapped_column(
        TSVECTOR().with_variant(sa.Text(), "sqlite"), deferred=True, deferred_raiseload=True
    )

    author: Mapped[User] = relationship(lazy="raise_on_sql")


class CourseAnswer(Moderated, TimestampedModel):
    __tablename__ = "course_answers"
    __table_args__ = (sa.Index("ix_course_answers_question_created", "question_id", "created_at"),)

    question_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("course_questions.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    is_accepted: Mapped[bool] = mapped_column(default=False)

    author: Mapped[User] = relationship(lazy="raise_on_sql")


class QuestionVote(TimestampedModel):
    """"I have this question too": once per learner and question (the unique constraint holds under races)."""

    __tablename__ = "question_votes"
    __table_args__ = (sa.UniqueConstraint("question_id", "user_id", name="uq_question_votes_question_user"),)

    question_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("course_questions.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)


class Announcement(TimestampedModel):
    __tablename__ = "announcements"
    __table_args__ = (sa.Index("ix_announcements_course_created", "course_id", "created_at"),)

    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"))
    author_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)


class ReportTarget(enum.StrEnum):
    QUESTION = "QUESTION"
    ANSWER = "ANSWER"
    REVIEW = "REVIEW"  # a course review (public on the course page)
    JOB = "JOB"  # a job post on the board (careers; its author is the employer)


class ReportStatus(enum.StrEnum):
    OPEN = "OPEN"
    HIDDEN = "HIDDEN"  # a moderator hid the content
    DISMISSED = "DISMISSED"  # a moderator kept it


class Report(TimestampedModel):
    """Someone signed in reports a post, once; admins work the open ones oldest first."""

    __tablename__ = "content_reports"
    __table_args__ = (
        sa.UniqueConstraint("reporter_id", "target", "target_id", name="uq_content_reports_reporter_target"),
        sa.Index("ix_content_reports_status_created", "status", "created_at"),
    )

    reporter_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    target: Mapped[ReportTarget] = mapped_column(str_enum(ReportTarget))
    target_id: Mapped[uuid.UUID] = mapped_column(sa.Uuid)
    reason: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[ReportStatus] = mapped_column(str_enum(ReportStatus), default=ReportStatus.OPEN)
    resolved_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None]


class PostingSuspension(TimestampedModel):
    """A user an admin stopped from posting questions, answers and announcements (until lifted)."""

    __tablename__ = "posting_suspensions"

    user_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    reason: Mapped[str] = mapped_column(sa.String(500))
    suspended_by_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"))
