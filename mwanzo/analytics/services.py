"""Platform and per-course numbers for the admin and instructor analytics pages.

Days are UTC calendar days; a range includes both its first and its last day. Every daily series
has one point per day of the range (zero where nothing happened), so charts and CSVs line up.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy import case, func, select

from mwanzo.auth.models import User
from mwanzo.courses.models import Course, Lesson, Review, Section
from mwanzo.courses.services import course_matches
from mwanzo.database import business_timezone, local_day, local_day_start, utcnow
from mwanzo.extensions import db
from mwanzo.learning.models import Enrollment, EnrollmentStatus, VideoProgress
from mwanzo.payments.models import Payment, PaymentStatus
from mwanzo.quizzes.models import Quiz, QuizAttempt

DEFAULT_DAYS = 30
MAX_DAYS = 366


class InvalidRange(ValueError):
    """The analytics date range is reversed or too long."""


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date

    @classmethod
    def from_args(cls, args, today: date | None = None) -> "DateRange":
        """?start=YYYY-MM-DD&end=YYYY-MM-DD; missing values default to the last 30 days."""
        today = today or utcnow().astimezone(business_timezone()).date()
        try:
            end = date.fromisoformat(args["end"]) if args.get("end") else today
            start = date.fromisoformat(args["start"]) if args.get("start") else end - timedelta(days=DEFAULT_DAYS - 1)
        except ValueError as exc:
            raise InvalidRange(str(exc)) from None
        if start > end or (end - start).days >= MAX_DAYS:
            raise InvalidRange("start must not be after end, and the range at most a year")
        return cls(start, end)

    @property
    def lower(self) -> datetime:
        return local_day_start(self.start)

    @property
    def upper(self) -> datetime:
        return local_day_start(self.end + timedelta(days=1))

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def contains(self, column):
        return sa.and_(column >= self.lower, column < self.upper)

    def args(self) -> dict:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def _as_date(value) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def daily(column, value, rng: DateRange, *where) -> list[tuple[date, Decimal | int]]:
    """[(day, value)] for each day in the range; value is an aggregate such as func.count()."""
    day = local_day(column).label("day")
    rows = db.session.execute(
        select(day, value).where(rng.contains(column), *where).group_by(day)
    ).all()
    found = {_as_date(d): v for d, v in rows}
    return [(d, found.get(d, 0) or 0) for d in rng.days()]


# ---------------------------------------------------------------- platform

def signups_per_day(rng: DateRange):
    return daily(User.created_at, func.count(), rng)


def paid_at():
    return func.coalesce(Payment.settled_at, Payment.created_at)


def enrollments_per_day(rng: DateRange, course_id: uuid.UUID | None = None):
    where = [Enrollment.course_id == course_id] if course_id else []
    return daily(Enrollment.activated_at, func.count(), rng, *where)


def revenue_per_day(rng: DateRange, course_id: uuid.UUID | None = None):
    where = [Payment.status == PaymentStatus.SUCCESS] + ([Payment.course_id == course_id] if course_id else [])
    column = paid_at()
    day = local_day(column).label("day")
    rows = db.session.execute(
        select(day, func.sum(Payment.amount)).where(rng.contains(column), *where).group_by(day)
    ).all()
    found = {_as_date(d): Decimal(v or 0) for d, v in rows}
    return [(d, found.get(d, Decimal("0"))) for d in rng.days()]


@dataclass
class CourseCompletion:
    title: str
    enrolled: int
    completed: int

    @property
    def rate(self) -> float:
        return round(100 * self.completed / self.enrolled, 1) if self.enrolled else 0.0


def completion_by_course(rng: DateRange, instructor_id: uuid.UUID | None = None) -> list[CourseCompletion]:
    """Of the enrolments activated in the range, how many have completed (per course)."""
    completed = func.sum(case((Enrollment.status == EnrollmentStatus.COMPLETED, 1), else_=0))
    stmt = (select(Course.title, func.count(Enrollment.id), completed)
            .join(Enrollment, Enrollment.course_id == Course.id)
            .where(rng.contains(Enrollment.activated_at))
            .group_by(Course.id, Course.title).order_by(Course.title))
    if instructor_id:
        stmt = stmt.where(Course.instructor_id == instructor_id)
    return [CourseCompletion(title, int(n), int(done or 0)) for title, n, done in db.session.execute(stmt)]


@dataclass
class PaymentOutcomes:
    counts: dict[str, int]

    @property
    def finished(self) -> int:
        return sum(n for status, n in self.counts.items() if status != PaymentStatus.PENDING.value)

    @property
    def success_rate(self) -> float:
        ok = self.counts.get(PaymentStatus.SUCCESS.value, 0) + self.counts.get(PaymentStatus.REFUNDED.value, 0)
        return round(100 * ok / self.finished, 1) if self.finished else 0.0


def payment_outcomes(rng: DateRange) -> PaymentOutcomes:
    """Payments started in the range, by status; the success rate counts only finished ones (not PENDING).
    A refunded payment did succeed first, so it counts as a success here."""
    rows = db.session.execute(
        select(Payment.status, func.count()).where(rng.contains(Payment.created_at)).group_by(Payment.status)
    ).all()
    counts = {s.value: 0 for s in PaymentStatus}
    counts.update({PaymentStatus(s).value: int(n) for s, n in rows})
    return PaymentOutcomes(counts)


@dataclass
class TopCourse:
    title: str
    enrollments: int
    revenue: Decimal


def top_courses(rng: DateRange, limit: int = 10) -> list[TopCourse]:
    revenue = (select(Payment.course_id, func.sum(Payment.amount).label("total"))
               .where(Payment.status == PaymentStatus.SUCCESS, rng.contains(paid_at()))
               .group_by(Payment.course_id).subquery())
    enrolled = (select(Enrollment.course_id, func.count().label("n"))
                .where(rng.contains(Enrollment.activated_at)).group_by(Enrollment.course_id).subquery())
    rows = db.session.execute(
        select(Course.title, func.coalesce(enrolled.c.n, 0), func.coalesce(revenue.c.total, 0))
        .outerjoin(enrolled, enrolled.c.course_id == Course.id)
        .outerjoin(revenue, revenue.c.course_id == Course.id)
        .where(sa.or_(enrolled.c.n.is_not(None), revenue.c.total.is_not(None)))
        .order_by(func.coalesce(enrolled.c.n, 0).desc(), func.coalesce(revenue.c.total, 0).desc(), Course.title)
        .limit(limit)
    ).all()
    return [TopCourse(title, int(n), Decimal(total)) for title, n, total in rows]


# ---------------------------------------------------------------- one course (instructor)

def instructor_courses(user: User, criteria: dict):
    """The courses whose reports the user reads (an admin: every course, paged and searchable by title)."""
    stmt = select(Course).order_by(Course.title, Course.id)
    if not user.is_admin:
        stmt = stmt.where(Course.instructor_id == user.id)
    if text := criteria.get("q"):
        stmt = stmt.where(course_matches(text))
    return stmt


@dataclass
class LessonFunnel:
    title: str
    started: int
    completed: int


def lesson_funnel(course_id: uuid.UUID) -> list[LessonFunnel]:
    """Per lesson in course order: learners who started it (a progress row) and who completed it."""
    completed = func.sum(case((VideoProgress.completed.is_(True), 1), else_=0))
    rows = db.session.execute(
        select(Lesson.title, func.count(VideoProgress.id), completed)
        .join(Section, Section.id == Lesson.section_id)
        .outerjoin(VideoProgress, VideoProgress.lesson_id == Lesson.id)
        .where(Lesson.course_id == course_id, Lesson.is_published.is_(True))
        .group_by(Lesson.id, Lesson.title, Section.display_order, Lesson.display_order)
        .order_by(Section.display_order, Lesson.display_order)
    ).all()
    return [LessonFunnel(title, int(started), int(done or 0)) for title, started, done in rows]


SCORE_BUCKETS = [(0, 10), (10, 20), (20, 30), (30, 40), (40, 50), (50, 60), (60, 70), (70, 80), (80, 90), (90, 101)]


@dataclass
class QuizScores:
    title: str
    buckets: list[tuple[str, int]]
    attempts: int
    average: Decimal | None


def quiz_score_distribution(course_id: uuid.UUID) -> list[QuizScores]:
    """Submitted attempts per quiz, counted in score bands of ten points (90–100 is one band)."""
    quizzes = list(db.session.execute(
        select(Quiz.id, Quiz.title).where(Quiz.course_id == course_id).order_by(Quiz.display_order, Quiz.title)
    ))
    if not quizzes:
        return []
    band = case(*[(QuizAttempt.score < high, low) for low, high in SCORE_BUCKETS], else_=90).label("band")
    rows = db.session.execute(
        select(QuizAttempt.quiz_id, band, func.count())
        .where(QuizAttempt.quiz_id.in_([q.id for q in quizzes]), QuizAttempt.score.is_not(None))
        .group_by(QuizAttempt.quiz_id, band)
    ).all()
    averages = dict(db.session.execute(
        select(QuizAttempt.quiz_id, func.avg(QuizAttempt.score))
        .where(QuizAttempt.quiz_id.in_([q.id for q in quizzes]), QuizAttempt.score.is_not(None))
        .group_by(QuizAttempt.quiz_id)
    ).all())
    counts: dict[tuple, int] = {(quiz_id, int(b)): int(n) for quiz_id, b, n in rows}
    result = []
    for quiz_id, title in quizzes:
        buckets = [(f"{low}–{min(high, 100) - (0 if high == 101 else 1)}", counts.get((quiz_id, low), 0))
                   for low, high in SCORE_BUCKETS]
        average = averages.get(quiz_id)
        result.append(QuizScores(title, buckets, sum(n for _, n in buckets),
                                 Decimal(average).quantize(Decimal("0.1")) if average is not None else None))
    return result


def rating_summary(course_id: uuid.UUID) -> tuple[Decimal | None, int]:
    average, count = db.session.execute(
        select(func.avg(Review.rating), func.count(Review.id)).where(Review.course_id == course_id)
    ).one()
    return (Decimal(average).quantize(Decimal("0.01")) if average is not None else None), int(count)
