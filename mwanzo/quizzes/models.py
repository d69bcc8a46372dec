from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mwanzo.database import TimestampedModel, str_enum
from mwanzo.labels import labels


class QuestionKind(enum.StrEnum):
    SINGLE = "SINGLE"
    MULTIPLE = "MULTIPLE"
    TRUE_FALSE = "TRUE_FALSE"
    SHORT_ANSWER = "SHORT_ANSWER"  # typed words, compared with the accepted answers (case, spaces, accents)
    NUMERIC = "NUMERIC"  # a number, right within the tolerance
    MATCHING = "MATCHING"  # each prompt matched with its partner (partial credit per pair)


CHOICE_KINDS = frozenset({QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.TRUE_FALSE})

labels(QuestionKind, {QuestionKind.SINGLE: _l("Single choice (one correct answer)"),
                      QuestionKind.MULTIPLE: _l("Multiple choice (partial credit)"),
                      QuestionKind.TRUE_FALSE: _l("True / false"),
                      QuestionKind.SHORT_ANSWER: _l("Short answer (typed)"),
                      QuestionKind.NUMERIC: _l("Number (with tolerance)"),
                      QuestionKind.MATCHING: _l("Matching pairs (partial credit)")})


class AnswersShown(enum.StrEnum):
    """When a learner's result page may show the correct answers and explanations."""

    AFTER_LAST_ATTEMPT = "AFTER_LAST_ATTEMPT"  # once the learner has passed or used every attempt
    IMMEDIATELY = "IMMEDIATELY"
    NEVER = "NEVER"


class Quiz(TimestampedModel):
    __tablename__ = "quizzes"
    __table_args__ = (
        sa.CheckConstraint("passing_score >= 0 AND passing_score <= 100", name="passing_score_range"),
        sa.CheckConstraint("bank_draw IS NULL OR bank_draw > 0", name="bank_draw_positive"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("sections.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(200))
    instructions: Mapped[str | None] = mapped_column(sa.Text)
    passing_score: Mapped[int] = mapped_column(default=70)
    max_attempts: Mapped[int | None]  # None: unlimited
    time_limit_seconds: Mapped[int | None]
    shuffle: Mapped[bool] = mapped_column(default=False)
    is_required: Mapped[bool] = mapped_column(default=True)
    answers_shown: Mapped[AnswersShown] = mapped_column(
        str_enum(AnswersShown), default=AnswersShown.AFTER_LAST_ATTEMPT,
        server_default=AnswersShown.AFTER_LAST_ATTEMPT.value)
    display_order: Mapped[int] = mapped_column(default=0)
    # Set: each attempt draws this many questions at random from the course's question bank instead of
    # asking the quiz's own questions.
    bank_draw: Mapped[int | None]

    questions: Mapped[list[Question]] = relationship(
        order_by="Question.display_order", cascade="all, delete-orphan", lazy="raise_on_sql"
    )


class Question(TimestampedModel):
    __tablename__ = "questions"
    __table_args__ = (sa.CheckConstraint("points > 0", name="points_positive"),
                      sa.CheckConstraint("numeric_tolerance IS NULL OR numeric_tolerance >= 0",
                                         name="numeric_tolerance_not_negative"))

    course_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    # None: the question sits in its course's question bank, drawn from by quizzes with ``bank_draw``.
    quiz_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    kind: Mapped[QuestionKind] = mapped_column(str_enum(QuestionKind), default=QuestionKind.SINGLE)
    points: Mapped[int] = mapped_column(default=1)
    explanation: Mapped[str | None] = mapped_column(sa.Text)
    numeric_answer: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 6))
    numeric_tolerance: Mapped[Decimal | None] = mapped_column(sa.Numeric(18, 6))
    display_order: Mapped[int] = mapped_column(default=0)

    answers: Mapped[list[Answer]] = relationship(
        order_by="Answer.display_order", cascade="all, delete-orphan", lazy="raise_on_sql"
    )


class Answer(TimestampedModel):
    __tablename__ = "answers"

    question_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(sa.Text)
    is_correct: Mapped[bool] = mapped_column(default=False)
    # Matching questions: the partner of the prompt in ``text``.
    match_text: Mapped[str | None] = mapped_column(sa.Text)
    display_order: Mapped[int] = mapped_column(default=0)


class QuizAttempt(TimestampedModel):
    __tablename__ = "quiz_attempts"
    __table_args__ = (
        sa.UniqueConstraint("quiz_id", "student_id", "attempt_number", name="uq_quiz_attempts_number"),
    )

    quiz_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id"), index=True)
    attempt_number: Mapped[int] = mapped_column(default=1)
    started_at: Mapped[datetime]
    deadline_at: Mapped[datetime | None]
    submitted_at: Mapped[datetime | None]
    # Question and answer order shown to this learner when the quiz shuffles.
    question_order: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    score: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    passed: Mapped[bool | None]

    answers: Mapped[list[StudentAnswer]] = relationship(cascade="all, delete-orphan", lazy="raise_on_sql")


class StudentAnswer(TimestampedModel):
    __tablename__ = "student_answers"
    __table_args__ = (sa.UniqueConstraint("attempt_id", "question_id", name="uq_student_answers_attempt_question"),)

    attempt_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("questions.id", ondelete="CASCADE"), index=True)
    chosen_answer_ids: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # Typed answers: the text (short answer, numeric) or {prompt answer id: chosen partner's answer id} (matching).
    response: Mapped[str | dict | None] = mapped_column(sa.JSON)
    points_awarded: Mapped[Decimal | None] = mapped_column(sa.Numeric(6, 2))


class QuizAllowance(TimestampedModel):
    """Extra time or attempts the instructor granted one learner on one quiz (the latest grant stands)."""

    __tablename__ = "quiz_allowances"
    __table_args__ = (
        sa.UniqueConstraint("quiz_id", "student_id", name="uq_quiz_allowances_quiz_student"),
        sa.CheckConstraint("extra_attempts >= 0 AND extra_seconds >= 0", name="extras_not_negative"),
    )

    quiz_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("quizzes.id", ondelete="CASCADE"), index=True)
    student_id: Mapped[uuid.UUID] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    extra_attempts: Mapped[int] = mapped_column(default=0)
    extra_seconds: Mapped[int] = mapped_column(default=0)
    granted_by_id: Mapped[uuid.UUID | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
