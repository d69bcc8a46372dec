"""A course's questions and answers, votes, announcements and moderation: the rules, tested directly.

Access is the course's: enrolled learners (active or completed), its instructor and admins
(``learning.services.has_access``), checked on every call that takes a slug, so a revoked learner's next
request fails. Anything else raises NotFound, which views answer with 404.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import and_, case, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from mwanzo.auth.access import acts_for
from mwanzo.auth.models import User
from mwanzo.courses.models import Course, CourseStatus, Lesson, Review
from mwanzo.database import utcnow
from mwanzo.discussions.models import (SEARCH_CONFIG, Announcement, CourseAnswer, CourseQuestion, PostingSuspension,
                                       QuestionVote, Report, ReportStatus, ReportTarget)
from mwanzo.extensions import db
from mwanzo.inbox.models import NotificationKind
from mwanzo.inbox.services import notify, notify_many
from mwanzo.learning.models import Enrollment, EnrollmentStatus
from mwanzo.learning.services import has_access
from mwanzo.web.listing import Page

QUESTIONS_PER_PAGE = 15
ANSWERS_PER_PAGE = 10
DUPLICATE_WINDOW = timedelta(minutes=1)


class NotFound(Exception):
    """No such thing, or not for this user: the same answer either way."""


class Duplicate(Exception):
    """The same text from the same person within a minute."""


class Suspended(Exception):
    """An admin stopped this user from posting."""


class NotAllowed(Exception):
    """Signed in with access, but this action is someone else's (accepting is the asker's or instructor's)."""


# ---------------------------------------------------------------- access

def talk_course(user: User, slug: str) -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or not has_access(user, course):
        raise NotFound()
    return course


def review_course(user: User, slug: str) -> Course:
    """A course whose reviews this user can read: published, or one they have access to."""
    course = db.session.scalar(select(Course).where(Course.slug == slug))
    if course is None or (course.status != CourseStatus.PUBLISHED and not has_access(user, course)):
        raise NotFound()
    return course


def course_question(course: Course, question_id: uuid.UUID) -> CourseQuestion:
    question = db.session.scalar(
        select(CourseQuestion).options(joinedload(CourseQuestion.author))
        .where(CourseQuestion.id == question_id, CourseQuestion.course_id == course.id))
    if question is None:
        raise NotFound()
    return question


def is_moderator_or_instructor(user: User, course: Course) -> bool:
    return acts_for(user, course.instructor_id)


def posting_suspension(user_id: uuid.UUID) -> PostingSuspension | None:
    return db.session.scalar(select(PostingSuspension).where(PostingSuspension.user_id == user_id))


def check_can_post(user: User) -> None:
    if posting_suspension(user.id) is not None:
        raise Suspended()


# ---------------------------------------------------------------- questions

def _search_condition(q: str):
    if db.engine.dialect.name == "postgresql":
        return CourseQuestion.search_vector.op("@@")(func.websearch_to_tsquery(SEARCH_CONFIG, q))
    words = [word for word in q.split() if word]
    return and_(*[or_(CourseQuestion.title.ilike(f"%{_escape(word)}%", escape="\\"),
                      CourseQuestion.body.ilike(f"%{_escape(word)}%", escape="\\")) for word in words])


def _escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def question_page(user: User, course: Course, q: str = "", lesson_id: uuid.UUID | None = None,
                  page: int = 1) -> Page:
    """A page of the course's (or a lesson's) questions: one query for the count, one for the rows with their
    authors. Searching ranks by relevance on PostgreSQL."""
    conditions = [CourseQuestion.course_id == course.id]
    if lesson_id is not None:
        conditions.append(CourseQuestion.lesson_id == lesson_id)
    q = q.strip()
    order = [CourseQuestion.vote_count.desc(), CourseQuestion.created_at.desc()]
    if q:
        conditions.append(_search_condition(q))
        if db.engine.dialect.name == "postgresql":
            order = [func.ts_rank(CourseQuestion.search_vector,
                                  func.websearch_to_tsquery(SEARCH_CONFIG, q)).desc(), *order]
    total = db.session.scalar(select(func.count()).select_from(CourseQuestion).where(*conditions)) or 0
    rows = list(db.session.scalars(
        select(CourseQuestion).options(joinedload(CourseQuestion.author)).where(*conditions).order_by(*order)
        .limit(QUESTIONS_PER_PAGE).offset((page - 1) * QUESTIONS_PER_PAGE)))
    return Page(rows, total, page, QUESTIONS_PER_PAGE)


def _refuse_duplicate(model, author_id: uuid.UUID, **same) -> None:
    since = utcnow() - DUPLICATE_WINDOW
    conditions = [getattr(model, name) == value for name, value in same.items()]
    if db.session.scalar(select(model.id).where(model.author_id == author_id, model.created_at >= since,
                                                *conditions).limit(1)):
        raise Duplicate()


def ask(user: User, course: Course, title: str, body: str, lesson_id: uuid.UUID | None = None) -> CourseQuestion:
    check_can_post(user)
    title, body = title.strip(), body.strip()
    if lesson_id is not None and db.session.scalar(
            select(Lesson.id).where(Lesson.id == lesson_id, Lesson.course_id == course.id)) is None:
        raise NotFound()
    _refuse_duplicate(CourseQuestion, user.id, course_id=course.id, title=title, body=body)
    question = CourseQuestion(course_id=course.id, lesson_id=lesson_id, author_id=user.id, title=title, body=body)
    if db.engine.dialect.name == "postgresql":
        question.search_vector = func.to_tsvector(SEARCH_CONFIG, title + " " + body)
    db.session.add(question)
    db.session.flush()
    return question


# ---------------------------------------------------------------- answers

@dataclass
class Thread:
    question: CourseQuestion
    answers: list[CourseAnswer]
    page: int
    has_next: bool
    voted: bool
    can_accept: bool

    @property
    def remaining(self) -> int:
        """Answers after this page: the "show N more answers" link's N."""
        return max(0, self.question.answer_count - self.page * ANSWERS_PER_PAGE)


def thread(user: User, course: Course, question: CourseQuestion, page: int = 1) -> Thread:
    """The question and one page of its answers, the accepted one first, then the earliest: a long thread
    shows those and collapses the rest behind "show N more answers". A fixed number of queries."""
    rows = list(db.session.scalars(
        select(CourseAnswer).options(joinedload(CourseAnswer.author))
        .where(CourseAnswer.question_id == question.id)
        .order_by(CourseAnswer.is_accepted.desc(), CourseAnswer.created_at, CourseAnswer.id)
        .limit(ANSWERS_PER_PAGE + 1).offset((page - 1) * ANSWERS_PER_PAGE)))
    voted = db.session.scalar(select(QuestionVote.id).where(
        QuestionVote.question_id == question.id, QuestionVote.user_id == user.id)) is not None
    can_accept = user.id == question.author_id or is_moderator_or_instructor(user, course)
    return Thread(question, rows[:ANSWERS_PER_PAGE], page, len(rows) > ANSWERS_PER_PAGE, voted, can_accept)


def answer(user: User, course: Course, question: CourseQuestion, body: str, link: str) -> CourseAnswer:
    """Post an answer; the asker is notified (not when answering oneself)."""
    check_can_post(user)
    body = body.strip()
    _refuse_duplicate(CourseAnswer, user.id, question_id=question.id, body=body)
    row = CourseAnswer(question_id=question.id, author_id=user.id, body=body)
    db.session.add(row)
    db.session.execute(update(CourseQuestion).where(CourseQuestion.id == question.id)
                       .values(answer_count=CourseQuestion.answer_count + 1))
    db.session.flush()
    if question.author_id != user.id:
        notify(question.author_id, NotificationKind.ANSWER, link, name=user.name, question=question.title)
    return row


def accept(user: User, course: Course, question: CourseQuestion, answer_id: uuid.UUID, link: str) -> CourseAnswer:
    """The asker or the course's instructor (or an admin) marks one answer accepted; its author is notified."""
    row = db.session.scalar(select(CourseAnswer).where(CourseAnswer.id == answer_id,
                                                       CourseAnswer.question_id == question.id))
    if row is None:
        raise NotFound()
    if user.id != question.author_id and not is_moderator_or_instructor(user, course):
        raise NotAllowed()
    if row.is_accepted:
        return row
    db.session.execute(update(CourseAnswer).where(CourseAnswer.question_id == question.id,
                                                  CourseAnswer.id != row.id).values(is_accepted=False))
    row.is_accepted = True
    question.is_answered = True
    db.session.flush()
    if row.author_id != user.id:
        notify(row.author_id, NotificationKind.ACCEPTED, link, question=question.title)
    return row


def vote(user: User, question: CourseQuestion) -> bool:
    """"I have this question too", once per person: the unique constraint decides under concurrency and the
    count is recomputed from the votes, so it never drifts. True when this call added the vote."""
    if question.author_id == user.id:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(QuestionVote(question_id=question.id, user_id=user.id))
    except IntegrityError:
        return False
    count = select(func.count()).select_from(QuestionVote).where(QuestionVote.question_id == question.id)
    db.session.execute(update(CourseQuestion).where(CourseQuestion.id == question.id)
                       .values(vote_count=count.scalar_subquery()))
    db.session.refresh(question, ["vote_count"])
    return True


# ---------------------------------------------------------------- the instructor's list

@dataclass
class InstructorQuestions:
    items: list[CourseQuestion]
    courses: dict  # course id -> Course
    unanswered: dict  # course id -> number of questions without an answer


def instructor_questions(instructor: User, limit: int = 50) -> InstructorQuestions:
    """Across every course the instructor teaches: questions with no answer first (oldest first, since they
    have waited longest), then those without an accepted answer, then the rest; and per course how many wait."""
    courses = {course.id: course for course in db.session.scalars(
        select(Course).where(Course.instructor_id == instructor.id).order_by(Course.title))}
    if not courses:
        return InstructorQuestions([], {}, {})
    waiting = case((CourseQuestion.answer_count == 0, 0), (CourseQuestion.is_answered.is_(False), 1), else_=2)
    rows = list(db.session.scalars(
        select(CourseQuestion).options(joinedload(CourseQuestion.author))
        .where(CourseQuestion.course_id.in_(courses), CourseQuestion.hidden_at.is_(None))
        .order_by(waiting, CourseQuestion.created_at).limit(limit)))
    counts = dict(db.session.execute(
        select(CourseQuestion.course_id, func.count()).where(
            CourseQuestion.course_id.in_(courses), CourseQuestion.answer_count == 0,
            CourseQuestion.hidden_at.is_(None))
        .group_by(CourseQuestion.course_id)).all())
    return InstructorQuestions(rows, courses, counts)


# ---------------------------------------------------------------- announcements

def learner_ids(course_id: uuid.UUID) -> list[uuid.UUID]:
    return list(db.session.scalars(select(Enrollment.student_id).where(
        Enrollment.course_id == course_id,
        Enrollment.status.in_((EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED)))))


def announce(instructor: User, course: Course, title: str, body: str, link: str) -> Announcement:
    """Post to the course and notify each learner; each notification's email is its own job, sent once."""
    check_can_post(instructor)
    title, body = title.strip(), body.strip()
    _refuse_duplicate(Announcement, instructor.id, course_id=course.id, title=title, body=body)
    row = Announcement(course_id=course.id, author_id=instructor.id, title=title, body=body)
    db.session.add(row)
    db.session.flush()
    notify_many(learner_ids(course.id), NotificationKind.ANNOUNCEMENT, link, course=course.title, title=title)
    return row


def announcements(course_id: uuid.UUID, limit: int = 3) -> list[Announcement]:
    return list(db.session.scalars(select(Announcement).where(Announcement.course_id == course_id)
                                   .order_by(Announcement.created_at.desc()).limit(limit)))


# ---------------------------------------------------------------- moderation

def reported_content(target: ReportTarget, target_id: uuid.UUID):
    """The reported question, answer or review and its course (through the question for an answer); None when
    gone. Job posts are careers' (a domain above this one), which loads them itself."""
    if target == ReportTarget.REVIEW:
        row = db.session.get(Review, target_id)
        return (row, row.course_id) if row else (None, None)
    if target == ReportTarget.QUESTION:
        row = db.session.get(CourseQuestion, target_id)
        return (row, row.course_id) if row else (None, None)
    row = db.session.get(CourseAnswer, target_id) if target == ReportTarget.ANSWER else None
    if row is None:
        return None, None
    return row, db.session.scalar(select(CourseQuestion.course_id).where(CourseQuestion.id == row.question_id))


def report(user: User, course: Course, target: ReportTarget, target_id: uuid.UUID, reason: str) -> Report | None:
    """Report a post of this course."""
    row, course_id = reported_content(target, target_id)
    if row is None or course_id != course.id:
        raise NotFound()
    return file_report(user, target, target_id, reason)


def file_report(user: User, target: ReportTarget, target_id: uuid.UUID, reason: str) -> Report | None:
    """Once per person and post (a second report of the same post is a no-op, None). The caller loaded the
    post as one this user may read."""
    try:
        with db.session.begin_nested():
            entry = Report(reporter_id=user.id, target=target, target_id=target_id, reason=reason.strip()[:500])
            db.session.add(entry)
    except IntegrityError:
        return None
    return entry


def open_reports(limit: int = 50) -> list[Report]:
    """The moderation queue, oldest first."""
    return list(db.session.scalars(select(Report).where(Report.status == ReportStatus.OPEN)
                                   .order_by(Report.created_at, Report.id).limit(limit)))


def set_hidden(target: ReportTarget, row, moderator: User, reason: str | None):
    """Hide (with a reason) or, with reason None, restore a post (any Moderated row); closes its open reports."""
    row.hidden_at = utcnow() if reason is not None else None
    row.hidden_reason = reason
    db.session.execute(update(Report).where(Report.target == target, Report.target_id == row.id,
                                            Report.status == ReportStatus.OPEN)
                       .values(status=ReportStatus.HIDDEN if reason is not None else ReportStatus.DISMISSED,
                               resolved_by_id=moderator.id, resolved_at=utcnow()))
    return row


def dismiss(report_id: uuid.UUID, moderator: User) -> Report:
    entry = db.session.get(Report, report_id)
    if entry is None:
        raise NotFound()
    entry.status, entry.resolved_by_id, entry.resolved_at = ReportStatus.DISMISSED, moderator.id, utcnow()
    return entry


def suspend(user: User, moderator: User, reason: str) -> PostingSuspension:
    row = posting_suspension(user.id)
    if row is None:
        row = PostingSuspension(user_id=user.id, reason=reason, suspended_by_id=moderator.id)
        db.session.add(row)
    db.session.flush()
    return row


def lift_suspension(user: User) -> bool:
    row = posting_suspension(user.id)
    if row is not None:
        db.session.delete(row)
    return row is not None


# ---------------------------------------------------------------- review replies

class AlreadyReplied(Exception):
    """The instructor replies once to a review."""


def course_reviews(course_id: uuid.UUID, limit: int = 50):
    return list(db.session.scalars(select(Review).options(joinedload(Review.student))
                                   .where(Review.course_id == course_id).order_by(Review.created_at.desc())
                                   .limit(limit)))


def reply_to_review(course: Course, review_id: uuid.UUID, text: str):
    """One public reply per review, by the course's instructor (the caller loaded the course as theirs).
    A conditional UPDATE, so two replies sent at once cannot both land."""
    changed = db.session.execute(
        update(Review).where(Review.id == review_id, Review.course_id == course.id, Review.reply.is_(None))
        .values(reply=text.strip(), replied_at=utcnow())).rowcount
    if not changed:
        if db.session.scalar(select(Review.id).where(Review.id == review_id, Review.course_id == course.id)) is None:
            raise NotFound()
        raise AlreadyReplied()


def recent_announcements(course_ids: list[uuid.UUID], days: int = 14, limit: int = 3) -> list[tuple[Announcement, str, str]]:
    """The dashboard's latest announcements of the learner's courses: (announcement, course title, slug), one query."""
    if not course_ids:
        return []
    return [tuple(row) for row in db.session.execute(
        select(Announcement, Course.title, Course.slug).join(Course, Course.id == Announcement.course_id)
        .where(Announcement.course_id.in_(course_ids), Announcement.created_at >= utcnow() - timedelta(days=days))
        .order_by(Announcement.created_at.desc()).limit(limit))]


# ---------------------------------------------------------------- the person's data (privacy calls these)

def export_user_data(user: User) -> dict[str, list[dict]]:
    mine = CourseQuestion.author_id == user.id
    questions = db.session.execute(select(CourseQuestion, Course.title).join(Course, Course.id == CourseQuestion.course_id)
                                   .where(mine).order_by(CourseQuestion.created_at)).all()
    answers = db.session.scalars(select(CourseAnswer).where(CourseAnswer.author_id == user.id)
                                 .order_by(CourseAnswer.created_at))
    votes = db.session.scalars(select(QuestionVote).where(QuestionVote.user_id == user.id))
    reports = db.session.scalars(select(Report).where(Report.reporter_id == user.id).order_by(Report.created_at))
    suspension = db.session.scalar(select(PostingSuspension).where(PostingSuspension.user_id == user.id))
    return {
        "course_questions": [{"course": title, "title": q.title, "body": q.body, "date": q.created_at,
                              "hidden_reason": q.hidden_reason} for q, title in questions],
        "course_answers": [{"question_id": a.question_id, "body": a.body, "accepted": a.is_accepted,
                            "date": a.created_at, "hidden_reason": a.hidden_reason} for a in answers],
        "question_votes": [{"question_id": v.question_id, "date": v.created_at} for v in votes],
        "content_reports": [{"target": r.target.value, "target_id": r.target_id, "reason": r.reason,
                             "status": r.status.value, "date": r.created_at} for r in reports],
        "posting_suspensions": [{"reason": suspension.reason, "since": suspension.created_at}] if suspension else [],
    }


def erase_user_data(user: User) -> None:
    """The person's questions (with the answers and votes under them), answers, votes, reports and any
    posting suspension go; reports about what they wrote go with it; the questions they touched are recounted."""
    question_ids = list(db.session.scalars(select(CourseQuestion.id).where(CourseQuestion.author_id == user.id)))
    answers = db.session.execute(select(CourseAnswer.id, CourseAnswer.question_id)
                                 .where(CourseAnswer.author_id == user.id)).all()
    review_ids = list(db.session.scalars(select(Review.id).where(Review.student_id == user.id)))
    targets = {ReportTarget.QUESTION: question_ids, ReportTarget.ANSWER: [a.id for a in answers],
               ReportTarget.REVIEW: review_ids}
    db.session.execute(delete(Report).where(or_(Report.reporter_id == user.id, *(
        and_(Report.target == target, Report.target_id.in_(ids)) for target, ids in targets.items() if ids))))
    db.session.execute(delete(PostingSuspension).where(PostingSuspension.user_id == user.id))
    voted = set(db.session.scalars(select(QuestionVote.question_id).where(QuestionVote.user_id == user.id)))
    db.session.execute(delete(QuestionVote).where(QuestionVote.user_id == user.id))
    db.session.execute(delete(CourseAnswer).where(CourseAnswer.author_id == user.id))
    db.session.execute(delete(CourseQuestion).where(CourseQuestion.id.in_(question_ids)))
    touched = (voted | {a.question_id for a in answers}) - set(question_ids)
    for question_id in touched:
        recount_question(question_id)


def recount_question(question_id: uuid.UUID) -> None:
    """Votes, answers and "answered" from the rows themselves."""
    of = CourseAnswer.question_id == question_id
    db.session.execute(update(CourseQuestion).where(CourseQuestion.id == question_id).values(
        vote_count=select(func.count()).select_from(QuestionVote)
        .where(QuestionVote.question_id == question_id).scalar_subquery(),
        answer_count=select(func.count()).select_from(CourseAnswer).where(of).scalar_subquery(),
        is_answered=select(CourseAnswer.id).where(of, CourseAnswer.is_accepted.is_(True)).exists()))
