"""Enrolment and course progress: who may learn, and how far they have come."""
from __future__ import annotations

import posixpath
import uuid
from dataclasses import dataclass

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.exc import IntegrityError

from mwanzo import cache
from mwanzo.auth.access import acts_for
from mwanzo.auth.models import User
from mwanzo.auth.services import find_user_by_email
from mwanzo.certificates.services import issue_certificate
from mwanzo.courses.models import Course, CourseStatus, Lesson, LessonCaption, LessonKind, LessonResource, Section
from mwanzo.database import utcnow
from mwanzo.extensions import db
from mwanzo.learning import progress
from mwanzo.learning.models import Enrollment, EnrollmentStatus, VideoProgress
from mwanzo.notifications.services import send_email
from mwanzo.quizzes.models import Question, Quiz, QuizAttempt
from mwanzo.storage import get_storage
from mwanzo.courses import revisions
from mwanzo.urls import absolute_url


class EnrollmentError(Exception):
    """Base of the refusals of enrolment."""


class EmailNotVerified(EnrollmentError):
    """Enrolling and paying need a verified email address."""


class CourseNotAvailable(EnrollmentError):
    """The course is not published."""


class PaymentRequired(EnrollmentError):
    """A paid course is enrolled through checkout."""


def get_enrollment(student_id: uuid.UUID, course_id: uuid.UUID) -> Enrollment | None:
    return db.session.scalar(
        select(Enrollment).where(Enrollment.student_id == student_id, Enrollment.course_id == course_id)
    )


def enrolled_learner(course: Course, email: str) -> User | None:
    """The account with this email address when it has an enrolment in the course (of any status)."""
    student = find_user_by_email(email)
    return student if student is not None and get_enrollment(student.id, course.id) is not None else None


def has_access(user: User | None, course: Course) -> bool:
    """Enrolled learners (active or completed), the course's instructor and admins."""
    enrollment = None
    if user is not None and user.is_authenticated and not user.is_admin and course.instructor_id != user.id:
        enrollment = get_enrollment(user.id, course.id)
    return access_given(user, course, enrollment)


def access_given(user: User | None, course: Course, enrollment: Enrollment | None) -> bool:
    """has_access when the learner's enrolment is already loaded."""
    if acts_for(user, course.instructor_id):
        return True
    return user is not None and user.is_authenticated and enrollment is not None and enrollment.grants_access


def _check_can_enrol(student: User, course: Course) -> None:
    if not student.is_contact_verified:
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
    cache.bump_course(enrollment.course_id)  # its learner count
    student = db.session.get(User, enrollment.student_id)
    course = db.session.get(Course, enrollment.course_id)
    send_email(student.email, "enrollment_confirmation", locale=student.locale, user=student, course=course,
               learn_url=absolute_url("catalog.course_detail", slug=course.slug))
    return True


def grant_enrollment(student: User, course: Course) -> bool:
    """An admin's manual grant: access at once, whatever the price or the course's status, also after a
    revocation. False when the learner already had access."""
    enrollment, _ = _get_or_create(student, course, EnrollmentStatus.PENDING_PAYMENT)
    return activate_enrollment(enrollment.id, allow_from_revoked=True)


def withdraw_enrollment(enrollment: Enrollment) -> bool:
    """An admin's manual revocation; False when the learner had no access to withdraw."""
    if not enrollment.grants_access:
        return False
    revoke_enrollment(enrollment)
    return True


def watched_percent(student_id: uuid.UUID, course_id: uuid.UUID) -> int:
    """How much of the course's published video the learner has watched, 0–100 (whole per cent, rounded
    down): each lesson counts at most its length."""
    seen = func.coalesce(VideoProgress.watched_seconds, 0)
    watched, total = db.session.execute(
        select(func.coalesce(func.sum(case((seen < Lesson.duration_seconds, seen), else_=Lesson.duration_seconds)), 0),
               func.coalesce(func.sum(Lesson.duration_seconds), 0))
        .select_from(Lesson)
        .outerjoin(VideoProgress, and_(VideoProgress.lesson_id == Lesson.id, VideoProgress.student_id == student_id))
        .where(Lesson.course_id == course_id, Lesson.is_published.is_(True), Lesson.kind == LessonKind.VIDEO)
    ).one()
    return min(100, int(watched) * 100 // int(total)) if total else 0


def revoke_enrollment(enrollment: Enrollment) -> None:
    """Access ends at once; the learner stays counted in history but not in enrollment_count."""
    if enrollment.status in (EnrollmentStatus.ACTIVE, EnrollmentStatus.COMPLETED):
        db.session.execute(
            update(Course).where(Course.id == enrollment.course_id, Course.enrollment_count > 0)
            .values(enrollment_count=Course.enrollment_count - 1).execution_options(synchronize_session=False)
        )
        cache.bump_course(enrollment.course_id)
    enrollment.status = EnrollmentStatus.REVOKED


def required_lessons(course_id: uuid.UUID):
    """Lessons a learner must finish: the ready ones (Lesson.is_ready)."""
    return select(Lesson.id).where(
        Lesson.course_id == course_id,
        Lesson.is_ready,
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
    # A required quiz still without questions to ask (its own, or its course bank's when it draws from the
    # bank) cannot be passed, so it does not hold completion back; nor does a quiz or question waiting for
    # review, which learners do not see.
    new_quizzes, new_questions = revisions.unapproved_quiz_parts(enrollment.course_id)
    asked = or_(and_(Quiz.bank_draw.is_(None), Question.quiz_id == Quiz.id),
                and_(Quiz.bank_draw.is_not(None), Question.quiz_id.is_(None), Question.course_id == Quiz.course_id))
    quizzes = select(Quiz.id).where(Quiz.course_id == enrollment.course_id, Quiz.is_required.is_(True),
                                    Quiz.id.not_in(new_quizzes),
                                    exists().where(asked, Question.id.not_in(new_questions)))
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


def credit_quiz_attempts(quiz: Quiz, scored: list[QuizAttempt]) -> None:
    """Quiz passed → progress: call with the attempts a quiz service just scored. A pass of a required
    quiz moves the learner's course progress (and may complete the course, in the same transaction)."""
    if not quiz.is_required:
        return
    for student_id in dict.fromkeys(attempt.student_id for attempt in scored if attempt.passed):
        enrollment = get_enrollment(student_id, quiz.course_id)
        if enrollment is not None:
            refresh_progress(enrollment)


def on_course_completed(enrollment: Enrollment) -> None:
    """Course completed → certificate (same transaction) and email (sent after commit by the job pipeline)."""
    certificate = issue_certificate(enrollment.id, enrollment.student_id, enrollment.course_id,
                                    enrollment.completed_at)
    student = db.session.get(User, enrollment.student_id)
    course = db.session.get(Course, enrollment.course_id)
    send_email(student.email, "course_completed", locale=student.locale, user=student, course=course,
               certificate=certificate,
               certificate_url=absolute_url("certificates.certificate_detail", code=certificate.verification_code))


def course_outline(course_id: uuid.UUID):
    """Sections with their published lessons, in order (two queries)."""
    from sqlalchemy.orm import selectinload

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


# ---------------------------------------------------------------- lessons and the player

class LessonNotFound(Exception):
    """No such published lesson in this course."""


class LessonLocked(Exception):
    """The learner may not open this lesson; they belong on the course page."""


@dataclass
class LessonAccess:
    course: Course
    lesson: Lesson
    enrollment: Enrollment | None
    full_access: bool  # enrolled (active/completed), instructor or admin

    @property
    def can_view(self) -> bool:
        return self.full_access or self.lesson.is_preview


def lesson_access(user: User | None, slug: str, lesson_id: uuid.UUID) -> LessonAccess:
    """Course, lesson and the learner's enrolment in ONE query, plus who may see what.

    Raises LessonNotFound for a missing/unpublished lesson, or a course this user may not see."""
    authenticated = user is not None and user.is_authenticated
    enrollment_join = and_(Enrollment.course_id == Course.id,
                           Enrollment.student_id == (user.id if authenticated else None))
    row = db.session.execute(
        select(Lesson, Course, Enrollment)
        .join(Course, Course.id == Lesson.course_id)
        .outerjoin(Enrollment, enrollment_join)
        .where(Lesson.id == lesson_id, Course.slug == slug)
    ).first()
    if row is None:
        raise LessonNotFound()
    lesson, course, enrollment = row
    full = access_given(user, course, enrollment)
    if not lesson.is_published or (course.status != CourseStatus.PUBLISHED and not full):
        raise LessonNotFound()
    return LessonAccess(course, lesson, enrollment, full)


def viewable_lesson(user: User | None, slug: str, lesson_id: uuid.UUID) -> LessonAccess:
    access = lesson_access(user, slug, lesson_id)
    if not access.can_view:
        raise LessonLocked()
    return access


@dataclass
class LessonPage:
    access: LessonAccess
    outline: list
    completed_ids: set
    position: int
    previous: Lesson | None
    next: Lesson | None
    captions: list[LessonCaption]


def open_lesson(user: User | None, slug: str, lesson_id: uuid.UUID) -> LessonPage:
    """Everything the lesson page shows; remembers the lesson as where the learner left off."""
    access = viewable_lesson(user, slug, lesson_id)
    outline = course_outline(access.course.id)
    lessons = [item for section in outline for item in section.lessons if item.is_published]
    index = next(i for i, item in enumerate(lessons) if item.id == access.lesson.id)
    completed_ids, position = set(), 0
    if user is not None and user.is_authenticated:
        rows = db.session.execute(
            select(VideoProgress.lesson_id, VideoProgress.completed, VideoProgress.position_seconds)
            .where(VideoProgress.student_id == user.id, VideoProgress.lesson_id.in_([item.id for item in lessons]))
        ).all()
        completed_ids = {row.lesson_id for row in rows if row.completed}
        position = next((row.position_seconds for row in rows if row.lesson_id == access.lesson.id), 0)
    if access.enrollment is not None and access.enrollment.grants_access:
        access.enrollment.last_lesson_id = access.lesson.id
        access.enrollment.last_activity_at = utcnow()
    captions = list(db.session.scalars(select(LessonCaption).where(LessonCaption.lesson_id == access.lesson.id)
                                       .order_by(LessonCaption.language)))
    return LessonPage(access, outline, completed_ids, position,
                      lessons[index - 1] if index > 0 else None,
                      lessons[index + 1] if index + 1 < len(lessons) else None, captions)


def choose_captions(user: User, language: str | None) -> None:
    """The learner's captions choice, remembered for every lesson: a language, or None (off)."""
    user.captions_language = language


@dataclass
class TranscriptHit:
    lesson: Lesson
    caption: LessonCaption
    index: int
    start_ms: int
    text: str


MAX_TRANSCRIPT_HITS = 50


def search_transcripts(user: User | None, course: Course, query: str) -> list[TranscriptHit]:
    """Captions lines of this course's lessons that contain ``query`` (any case), in curriculum order, from
    the lessons this user may open: all ready lessons with full access, else the free previews."""
    needle = " ".join(query.split()).lower()
    if not needle:
        return []
    rows = db.session.execute(
        select(LessonCaption, Lesson)
        .join(Lesson, Lesson.id == LessonCaption.lesson_id)
        .join(Section, Section.id == Lesson.section_id)
        .where(LessonCaption.course_id == course.id, Lesson.is_ready,
               LessonCaption.search_text.contains(needle, autoescape=True),
               *([] if has_access(user, course) else [Lesson.is_preview.is_(True)]))
        .order_by(Section.display_order, Lesson.display_order, LessonCaption.language)
    ).all()
    hits: list[TranscriptHit] = []
    for caption, lesson in rows:
        for index, (start_ms, _end_ms, text) in enumerate(caption.cues):
            if needle in " ".join(text.split()).lower():
                hits.append(TranscriptHit(lesson, caption, index, start_ms, text))
                if len(hits) >= MAX_TRANSCRIPT_HITS:
                    return hits
    return hits


def _after_lesson_completed(access: LessonAccess, newly_completed: bool) -> bool:
    """Enrolment progress moves only when a lesson becomes complete, so ordinary saves stay cheap.

    Returns True when this lesson completed the course (the certificate has just been issued)."""
    enrollment = access.enrollment
    if not (newly_completed and enrollment is not None and enrollment.grants_access):
        return False
    before = enrollment.status
    refresh_progress(enrollment)
    return before != EnrollmentStatus.COMPLETED and enrollment.status == EnrollmentStatus.COMPLETED


@dataclass
class Completion:
    wait_seconds: int = 0  # still to wait before a video counts as watched
    course_completed: bool = False  # this completed the course: its certificate exists now
    enrollment_id: uuid.UUID | None = None


def record_position(user: User, slug: str, lesson_id: uuid.UUID, position: float, now=None) -> bool:
    """A player's progress save: one query to authorise, one upsert (and rarely the course progress)."""
    access = viewable_lesson(user, slug, lesson_id)
    if access.lesson.kind != LessonKind.VIDEO:
        raise LessonNotFound()
    completed = progress.save_position(user.id, access.lesson.id, access.lesson.duration_seconds, position, now)
    _after_lesson_completed(access, completed)
    return completed


def video_served(user: User | None, access: LessonAccess) -> None:
    """The MP4 (played or downloaded) went to a signed-in learner: from now the server's clock counts."""
    if user is not None and user.is_authenticated and access.lesson.kind == LessonKind.VIDEO:
        progress.start_watching(user.id, access.lesson.id)


def confirm_video_watched(user: User, slug: str, lesson_id: uuid.UUID, now=None) -> Completion:
    """"I've watched this" from a page without the player's saves (see progress.confirm_watched)."""
    access = viewable_lesson(user, slug, lesson_id)
    if access.lesson.kind != LessonKind.VIDEO:
        raise LessonNotFound()
    completed, wait = progress.confirm_watched(user.id, access.lesson.id, access.lesson.duration_seconds, now)
    return Completion(wait, _after_lesson_completed(access, completed), access.enrollment and access.enrollment.id)


def complete_text_lesson(user: User, slug: str, lesson_id: uuid.UUID) -> Completion:
    access = viewable_lesson(user, slug, lesson_id)
    if access.lesson.kind != LessonKind.TEXT:
        raise LessonNotFound()
    course_completed = _after_lesson_completed(access, progress.mark_complete(user.id, access.lesson.id))
    return Completion(0, course_completed, access.enrollment and access.enrollment.id)


def playlist_name(lesson: Lesson, key: str) -> str | None:
    """The path of a playlist below the lesson's media folder, or None if it is not one of its playlists."""
    prefix = (lesson.media_prefix or "").rstrip("/")
    key = posixpath.normpath(key)
    if not prefix or not key.startswith(prefix + "/") or not key.endswith(".m3u8"):
        return None
    return key[len(prefix) + 1:]


def playlist_key(lesson: Lesson, name: str) -> str:
    """The storage key of one of the lesson's playlists; anything else is not found."""
    key = posixpath.normpath(posixpath.join(lesson.media_prefix or "", name))
    if playlist_name(lesson, key) is None or not get_storage().exists(key):
        raise LessonNotFound()
    return key


def lesson_resource(lesson: Lesson, resource_id: uuid.UUID) -> LessonResource:
    resource = db.session.get(LessonResource, resource_id)
    if resource is None or resource.lesson_id != lesson.id:
        raise LessonNotFound()
    return resource


def downloadable_lesson(user: User | None, slug: str, lesson_id: uuid.UUID) -> LessonAccess:
    """Offline copies are for learners with full access, not preview visitors."""
    access = lesson_access(user, slug, lesson_id)
    if not access.full_access:
        raise LessonLocked()
    if not access.lesson.download_key:
        raise LessonNotFound()
    return access
